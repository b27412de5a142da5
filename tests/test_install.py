"""Install layout: nothing tamclass writes at run time lands inside the installed package, and a source checkout
finds the signature library without the install's ``tamclass.library`` mapping.

Why it matters: files left in ``site-packages/tamclass/`` survive ``pip uninstall`` (and the uninstall step of
``pip install -e .`` over a regular install), and the leftover folder then imports as an empty namespace package
that hides the editable install. ``.ci/run`` runs the README's two install commands in one venv to catch it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tamclass

PKG = Path(tamclass.__file__).resolve().parent
REPO = Path(__file__).resolve().parents[1]
KERNEL_MODULES = ("tamclass.scoring._kernels", "tamclass.scoring._aucell_kernels")


def _numba_files(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in root.rglob("*") if p.suffix in (".nbi", ".nbc")}


def _dispatchers():
    from numba.core.dispatcher import Dispatcher

    for name in KERNEL_MODULES:
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == name:
                yield f"{name}.{attr}", obj


@pytest.mark.skipif(bool(os.environ.get("NUMBA_CACHE_DIR")), reason="NUMBA_CACHE_DIR set: the user chose the cache")
def test_every_kernel_caches_outside_the_package():
    found = 0
    for name, disp in _dispatchers():
        path = Path(disp._cache._cache_path).resolve()  # numba's chosen cache folder for this kernel
        assert PKG not in path.parents and path != PKG, f"{name} caches inside the package: {path}"
        found += 1
    assert found >= 10  # the rank, module/mean and aucell kernels


def test_scoring_writes_no_cache_file_into_the_package(tmp_path):
    """Score with every method in a fresh process whose user cache is empty: the compiled kernels go to
    <cache>/tamclass/numba, and no numba file in the package folder is created or rewritten."""
    before = _numba_files(PKG)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path / "home"), MPLBACKEND="Agg")
    code = textwrap.dedent("""
        import tamclass as tc
        a = tc.datasets.demo()[:60].copy()
        for m in ("rank", "module", "aucell", "mean"):
            tc.tl.score(a, ["Cheng2021_M1", "Cheng2021_M2"], method=m, key_added="t_" + m)
        print("ok")
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr[-3000:]
    assert _numba_files(PKG) == before
    if sys.platform.startswith("linux"):
        written = list((tmp_path / "cache" / "tamclass" / "numba").rglob("*.nbi"))
        assert written, "the kernels were not cached in the per-user folder"


def test_user_numba_cache_dir_is_respected(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "mine"))
    code = "import json, tamclass.scoring._kernels as k; print(json.dumps(k.ucell_accumulate._cache._cache_path))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert Path(json.loads(res.stdout)).resolve().is_relative_to((tmp_path / "mine").resolve())


@pytest.mark.skipif(
    not (REPO / "signatures" / "library.json").is_file() or PKG.parent != REPO / "src",
    reason="needs tamclass imported from a source checkout",
)
def test_checkout_finds_library_without_the_install_mapping(tmp_path):
    """A non-editable install does not map the checkout's signatures/ to tamclass.library; tamclass imported
    from the checkout (tests run there) must still load the library, the same one as through the mapping."""
    code = textwrap.dedent("""
        import importlib.abc, json, sys

        class NoLibrary(importlib.abc.MetaPathFinder):   # what a checkout looks like after `pip install .`
            def find_spec(self, name, path=None, target=None):
                if name == "tamclass.library":
                    raise ModuleNotFoundError("No module named 'tamclass.library'", name=name)
                return None

        if sys.argv[1] == "blocked":
            sys.meta_path.insert(0, NoLibrary())
        import tamclass as tc
        sigs = tc.signatures.load("all")
        mouse = tc.signatures.load("all", species="mouse")
        print(json.dumps({"path": str(tc.signatures.library_path()), "version": tc.signatures.LIBRARY_VERSION,
                          "human": {k: [list(s.up), list(s.down)] for k, s in sigs.items()},
                          "n_mouse": len(mouse), "n_symbols": len(tc.signatures.gene_symbols("human"))}))
    """)
    out = {}
    for mode in ("blocked", "mapped"):
        res = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, cwd=REPO, timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
        out[mode] = json.loads(res.stdout)
    assert Path(out["blocked"]["path"]).resolve() == (REPO / "signatures").resolve()
    blocked, mapped = out["blocked"], out["mapped"]
    assert blocked.pop("path") and mapped.pop("path")
    assert blocked == mapped and len(blocked["human"]) > 50
