"""The signature library ships inside the wheel and loads from an installed (non-editable) tamclass."""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tamclass as tc
    human = tc.signatures.load("all")
    mouse = tc.signatures.load("all", species="mouse")
    tab = tc.signatures.available()
    found, missing = tc.signatures.match_genes(["SELENOP"], ["SEPP1"])
    print(json.dumps({
        "file": tc.__file__,
        "library": str(tc.signatures.library_path()),
        "version": tc.signatures.LIBRARY_VERSION,
        "n_human": len(human), "n_mouse": len(mouse), "n_table": len(tab),
        "n_genes": sum(s.n_genes for s in human.values()),
        "default": len(tc.signatures.load("default")),
        "alias": found,
        "show": tc.signatures.show("Cheng2021_M1").splitlines()[0],
    }))
    """
)


@pytest.mark.slow
def test_wheel_ships_and_loads_every_signature(tmp_path):
    pytest.importorskip("build")
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in ("src", "signatures"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for f in REPO.iterdir():
        if f.is_file() and (
            f.name in {"pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in"}
            or f.name.upper().startswith(("README", "LICENSE", "LICENCE"))
        ):
            shutil.copy2(f, src / f.name)
    dist = tmp_path / "dist"
    # no build isolation: CI and this machine build offline with the installed setuptools
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--skip-dependency-check",
            "--outdir",
            str(dist),
            str(src),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(dist.glob("tamclass-*.whl"))
    assert len(wheels) == 1

    import zipfile

    names = set(zipfile.ZipFile(wheels[0]).namelist())
    for rel in (
        "manifest.tsv",
        "library.json",
        "curation_log.tsv",
        "genes/human_symbols.tsv.gz",
        "genes/mouse_symbols.tsv.gz",
        "genes/aliases.tsv",
        "genes/orthologs_human_mouse.tsv",
        "sets/ma2022.tsv",
        "mouse/ma2022.tsv",
    ):
        assert f"tamclass/library/{rel}" in names, rel

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    # make the dependencies of the running interpreter visible (appended after the venv's own site-packages,
    # without processing their .pth files, so an editable tamclass there cannot shadow the wheel)
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_tamclass_test_deps.pth").write_text("\n".join(deps) + "\n")
    proc = subprocess.run(
        [str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheels[0])],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    run = tmp_path / "run"
    run.mkdir()
    proc = subprocess.run([str(py), "-c", SCRIPT], capture_output=True, text=True, cwd=run)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["file"]).resolve().is_relative_to(venv.resolve()), out["file"]
    assert Path(out["library"]).resolve().is_relative_to(venv.resolve()), out["library"]

    import tamclass as tc

    assert out["version"] == tc.signatures.LIBRARY_VERSION
    assert out["n_human"] == len(tc.signatures.load("all"))
    assert out["n_mouse"] == len(tc.signatures.load("all", species="mouse"))
    assert out["n_table"] == len(tc.signatures.available())
    assert out["n_genes"] == sum(s.n_genes for s in tc.signatures.load("all").values())
    assert out["default"] == len(tc.signatures.load("default"))
    assert out["alias"] == {"SELENOP": "SEPP1"}
    assert out["show"].startswith("Cheng2021_M1")
