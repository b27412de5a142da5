"""The ``tamclass`` command line, end to end in subprocesses, on the bundled demo data.

Checks that the CLI is a thin shell (same numbers as the Python API), that outputs are complete, that user
errors give exit 2 with one line on stderr, that interrupted writes leave nothing behind, and that the
input file is never modified (hash before/after).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import tamclass as tc
import tamclass._io
from tamclass.datasets._demo import DEMO_PATH

ENV = {**os.environ, "MPLBACKEND": "Agg", "TAMCLASS_PROGRESS": "0", "PYTHONWARNINGS": "ignore::DeprecationWarning"}


def run_cli(*args, cwd=None, timeout=600, check_rc=None):
    proc = subprocess.run(
        [sys.executable, "-m", "tamclass", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=timeout,
    )
    if check_rc is not None:
        assert proc.returncode == check_rc, f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def leftovers(directory) -> list[str]:
    return sorted(p.name for p in Path(directory).rglob("*.tmp"))


def run_main(capsys, *args):
    """Run tamclass.cli.main in this process; returns (exit code, stdout, stderr)."""
    from tamclass import _settings
    from tamclass.cli import main

    level = _settings.logger.level
    capsys.readouterr()
    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code
    finally:
        _settings.logger.setLevel(level)
    out, err = capsys.readouterr()
    return rc, out, err


def assert_user_error(proc, pattern: str):
    assert proc.returncode == 2, f"rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("tamclass: error:") or ln.startswith("usage:")]
    assert errors, proc.stderr
    assert "Traceback" not in proc.stderr
    assert re.search(pattern, proc.stderr), proc.stderr


@pytest.fixture
def workdir(tmp_path):
    shutil.copyfile(DEMO_PATH, tmp_path / "in.h5ad")
    return tmp_path


def _api_reference(src, *, classify=True, groupby=None):
    """What the Python API gives on the same file (the CLI must give the same)."""
    adata = ad.read_h5ad(src)
    tc.tl.score(adata, "default", random_state=0)
    tc.tl.gate(adata, groupby=groupby)
    if classify:
        tc.tl.classify(adata, random_state=0)
    return adata


def _assert_same_results(out, ref, *, classify=True):
    pd.testing.assert_frame_equal(
        out.obsm["tamclass_scores"], ref.obsm["tamclass_scores"], check_exact=False, rtol=1e-6
    )
    cols = ["tamclass_celltype", "tamclass_is_macrophage"]
    if classify:
        cols += ["tamclass_state", "tamclass_subset"]
    for col in cols:
        assert (out.obs[col].astype(str) == ref.obs[col].astype(str)).all(), col
    if classify:
        np.testing.assert_allclose(
            out.obs["tamclass_polarization"].to_numpy(dtype=float),
            ref.obs["tamclass_polarization"].to_numpy(dtype=float),
            equal_nan=True,
            rtol=1e-6,
        )


# --------------------------------------------------------------------------------------- basics
def test_version_and_help():
    proc = run_cli("--version", check_rc=0)
    assert proc.stdout.strip() == f"tamclass {tc.__version__}"
    helptext = run_cli("score", "--help", check_rc=0).stdout
    for opt in (
        "-o",
        "--signatures",
        "--method",
        "--layer",
        "--use-raw",
        "--gene-symbols",
        "--species",
        "--sample-key",
        "--groupby",
        "--model",
        "--no-classify",
        "--table",
        "--report",
        "--backed",
        "--device",
        "--seed",
    ):
        assert opt in helptext, opt
    for sub in ("score", "signatures", "train", "meta", "demo"):
        assert sub in run_cli("--help", check_rc=0).stdout


def test_no_subcommand_is_usage_error(capsys):
    from tamclass.cli import main

    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2 and "usage:" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ score e2e
def test_score_end_to_end(workdir):
    """One full run: h5ad + tables + report; same numbers as the API; input untouched."""
    src = workdir / "in.h5ad"
    before = sha(src)
    proc = run_cli(
        "score",
        src,
        "-o",
        workdir / "out.h5ad",
        "--sample-key",
        "sample",
        "--groupby",
        "leiden",
        "--table",
        workdir / "tables",
        "--report",
        workdir / "report.html",
        "--seed",
        "0",
        check_rc=0,
    )
    assert sha(src) == before, "input file was modified"
    assert leftovers(workdir) == []
    assert "per-sample summary" in proc.stdout and "demo_3" in proc.stdout

    # --- the h5ad
    out = ad.read_h5ad(workdir / "out.h5ad")
    assert out.shape == (559, 9810)
    for col in (
        "tamclass_celltype",
        "tamclass_is_macrophage",
        "tamclass_state",
        "tamclass_state_confidence",
        "tamclass_polarization",
        "tamclass_subset",
        "tamclass_subset_confidence",
    ):
        assert col in out.obs.columns, col
    for key in ("tamclass_scores", "tamclass_state_proba", "tamclass_subset_proba", "X_umap"):
        assert key in out.obsm, key
    assert isinstance(out.uns["tamclass"]["samples"], pd.DataFrame)
    assert out.uns["tamclass"]["cli"]["command"].startswith("tamclass score")
    src_adata = ad.read_h5ad(src)
    assert (out.obs["leiden"] == src_adata.obs["leiden"]).all()  # user data kept
    assert abs(out.layers["counts"] - src_adata.layers["counts"]).max() == 0

    # --- thin shell: the same numbers as the Python API
    ref = _api_reference(src, groupby="leiden")
    _assert_same_results(out, ref)
    table = tc.tl.summarize(ref, "sample")
    np.testing.assert_allclose(
        out.uns["tamclass"]["samples"]["n_macrophages"].to_numpy(dtype=float),
        table["n_macrophages"].to_numpy(dtype=float),
    )

    # --- tables
    tables = workdir / "tables"
    cells = pd.read_csv(tables / "cells.tsv", sep="\t", index_col=0)
    assert list(cells.index) == list(out.obs_names)
    scores = out.obsm["tamclass_scores"]
    np.testing.assert_allclose(
        cells[[f"score_{c}" for c in scores.columns]].to_numpy(), scores.to_numpy(), rtol=1e-6, equal_nan=True
    )
    assert (cells["tamclass_celltype"].astype(str) == out.obs["tamclass_celltype"].astype(str)).all()
    samples = pd.read_csv(tables / "samples.tsv", sep="\t", index_col=0)
    assert sorted(samples.index) == ["demo_1", "demo_2", "demo_3"]
    assert samples["n_cells"].sum() == 559
    by_hand = out.obs.groupby("sample", observed=True)["tamclass_is_macrophage"].sum()  # hand count per sample
    assert (samples.loc[by_hand.index, "n_macrophages"].to_numpy() == by_hand.to_numpy()).all()
    sigs = pd.read_csv(tables / "signatures.tsv", sep="\t")
    assert set(sigs["signature"]) == set(scores.columns)

    # --- report
    text = (workdir / "report.html").read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html>")
    for section in (
        "Input",
        "Signatures",
        "Cell-type gate",
        "Scores per cell type",
        "Macrophage states",
        "Per-sample summary",
        "Literature evidence",
        "Parameters",
        "Research use only",
    ):
        assert section in text, section
    assert "Cheng2021_M1" in text and "10.1016/j.cell.2021.01.010" in text
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=\"(https?:)?//", text, re.I)
    assert "@import" not in text and "url(http" not in text
    assert text.count("data:image/png;base64,") >= 2


@pytest.mark.slow
def test_score_backed_matches_in_memory(workdir):
    src = workdir / "in.h5ad"
    before = sha(src)
    out_b = workdir / "out_backed.h5ad"
    run_cli("score", src, "-o", out_b, "--sample-key", "sample", "--backed", "--seed", "0", check_rc=0)
    assert sha(src) == before
    b, src_adata = ad.read_h5ad(out_b), ad.read_h5ad(src)
    _assert_same_results(b, _api_reference(src))
    # the backed output is the full input plus results: X, layers and user obs are carried over
    assert abs(b.X - src_adata.X).max() == 0
    assert abs(b.layers["counts"] - src_adata.layers["counts"]).max() == 0
    assert (b.obs["leiden"] == src_adata.obs["leiden"]).all()
    assert b.uns["tamclass"]["score"]["input"]["backed"]
    assert isinstance(b.uns["tamclass"]["samples"], pd.DataFrame)
    assert leftovers(workdir) == []


def test_no_classify_layer_and_signature_choice(workdir):
    """--layer counts (rank scores are invariant to per-cell scaling + log) gives the API's scores on X."""
    out = workdir / "noclass.h5ad"
    proc = run_cli(
        "score",
        workdir / "in.h5ad",
        "-o",
        out,
        "--no-classify",
        "--method",
        "rank",
        "--layer",
        "counts",
        "--signatures",
        "Macrophage_identity,Cheng2021_M1",
        "Cheng2021_M2",
        "--compression",
        "none",
        check_rc=0,
    )
    a = ad.read_h5ad(out)
    assert list(a.obsm["tamclass_scores"].columns) == ["Macrophage_identity", "Cheng2021_M1", "Cheng2021_M2"]
    assert "tamclass_celltype" in a.obs and "tamclass_state" not in a.obs
    assert a.uns["tamclass"]["score"]["method"] == "rank"
    assert a.uns["tamclass"]["score"]["input"]["layer"] == "counts"
    ref = ad.read_h5ad(workdir / "in.h5ad")
    tc.tl.score(ref, ["Macrophage_identity", "Cheng2021_M1", "Cheng2021_M2"], method="rank")
    np.testing.assert_allclose(
        a.obsm["tamclass_scores"].to_numpy(), ref.obsm["tamclass_scores"].to_numpy(), rtol=1e-4, atol=1e-5
    )
    assert "wrote:" in proc.stdout


# ------------------------------------------------------------------------------------ user errors
def test_errors_exit_2_one_line(workdir, tmp_path, capsys):
    src = workdir / "in.h5ad"
    before = sha(src)
    out = tmp_path / "o.h5ad"
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n1,2\n")
    trunc = tmp_path / "trunc.h5ad"
    trunc.write_bytes(src.read_bytes()[: src.stat().st_size // 3])
    afile = tmp_path / "afile"
    afile.write_text("x")
    cases = [
        (("score", tmp_path / "missing.h5ad", "-o", out), r"does not exist"),
        (("score", notes, "-o", out), r"not an \.h5ad"),
        (("score", trunc, "-o", out), r"truncated or corrupt|damaged"),
        (("score", src, "-o", src), r"is the input file"),
        (("score", src, "-o", tmp_path / "no_such_dir" / "o.h5ad"), r"does not exist; create"),
        (("score", src, "-o", afile / "o.h5ad"), r"not a directory"),
        (("score", src, "-o", out, "--signatures", "Chen2021_M1"), r"Cheng2021_M1"),
        (("score", src, "-o", out, "--sample-key", "patient"), r"'patient' is not a column of obs"),
        (("score", src, "-o", out, "--model", tmp_path / "nomodel.tcmodel"), r"model file .* does not exist"),
        (("score", src, "-o", out, "--method", "bogus"), r"invalid choice"),
        (("signatures", "show", "NotASet"), r"unknown signature"),
        (("score", src, "-o", out, "--signatures", tmp_path / "missing.gmt"), r"missing\.gmt"),
        (("meta", notes, "--hr", "a", "-o", tmp_path / "m.tsv"), r"--hr needs --lower and --upper"),
    ]
    import torch

    if not torch.cuda.is_available():
        cases.append((("score", src, "-o", out, "--device", "cuda"), r"no CUDA GPU is usable"))
    # in-process (fast); the same code path as the console script, which is checked in subprocesses below
    for args, pattern in cases:
        rc, _, err = run_main(capsys, *args)
        assert rc == 2, (args, err)
        assert "Traceback" not in err, (args, err)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len([ln for ln in lines if ln.startswith("tamclass: error:")]) == 1 or "usage:" in err, (args, err)
        assert re.search(pattern, err), (args, err)
    # and two of them through a real process (console entry point, exit status, stderr)
    assert_user_error(run_cli("score", notes, "-o", out), r"not an \.h5ad")
    assert_user_error(run_cli("score", src, "-o", src), r"is the input file")
    assert sha(src) == before
    assert not out.exists()
    assert leftovers(tmp_path) == [] and leftovers(workdir) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into read-only directories")
def test_unwritable_output_dir(workdir, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert_user_error(run_cli("score", workdir / "in.h5ad", "-o", ro / "o.h5ad"), r"no write permission")
    finally:
        ro.chmod(0o700)


def test_verbose_shows_traceback(tmp_path):
    proc = run_cli("-v", "score", tmp_path / "missing.h5ad", "-o", tmp_path / "o.h5ad")
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr and "tamclass: error:" in proc.stderr


# ------------------------------------------------------------------------------ interrupted writes
def _small_input(tmp_path) -> Path:
    a = ad.read_h5ad(DEMO_PATH)[:120].copy()
    path = tmp_path / "small.h5ad"
    a.write_h5ad(path)
    return path


@pytest.mark.parametrize("failure", ["interrupt", "disk_full"])
def test_failed_write_in_process(tmp_path, monkeypatch, failure):
    """main() with a writer that fails midway: exit 130 / 2, no output, no temp file, old output untouched."""
    from tamclass import cli

    src = _small_input(tmp_path)
    before = sha(src)
    out = tmp_path / "out.h5ad"
    out.write_bytes(b"previous result")

    def broken(adata, filename, *args, **kwargs):
        Path(filename).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 4096)  # half-written file
        if failure == "interrupt":
            raise KeyboardInterrupt
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tamclass._io, "_write_h5ad_file", broken)
    rc = cli.main(
        [
            "-q",
            "score",
            str(src),
            "-o",
            str(out),
            "--no-classify",
            "--signatures",
            "Macrophage_identity",
            "Cheng2021_M1",
        ]
    )
    assert rc == (130 if failure == "interrupt" else 2)
    assert out.read_bytes() == b"previous result"
    assert leftovers(tmp_path) == []
    assert sha(src) == before


_SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import tamclass._io

    marker = Path(sys.argv[1])

    def slow(adata, filename, *args, **kwargs):
        Path(filename).write_bytes(b"\\x89HDF\\r\\n\\x1a\\n" + b"\\0" * 4096)  # partial content
        marker.write_text("writing")
        time.sleep(120)

    tamclass._io._write_h5ad_file = slow
    from tamclass.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_during_write(tmp_path, sig):
    """A real process interrupted (SIGINT) or killed (SIGKILL) while writing: the output path never holds
    a partial file; a previous output stays as it was. SIGINT also removes the temporary file and exits 130."""
    src = _small_input(tmp_path)
    before = sha(src)
    out = tmp_path / "out.h5ad"
    out.write_bytes(b"previous result")
    marker = tmp_path / "marker"
    script = tmp_path / "slow_writer.py"
    script.write_text(_SLOW_WRITER)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(marker),
            "-q",
            "score",
            str(src),
            "-o",
            str(out),
            "--no-classify",
            "--signatures",
            "Macrophage_identity",
            "Cheng2021_M1",
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the writer never started"
            time.sleep(0.1)
        assert out.read_bytes() == b"previous result"  # mid-write: target still the old file
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert out.read_bytes() == b"previous result"
    assert sha(src) == before
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
        assert leftovers(tmp_path) == []
    else:
        # SIGKILL cannot be caught: a hidden temporary file may remain next to the output, never the output itself
        assert all(name.startswith(".out.h5ad.") for name in leftovers(tmp_path))


# -------------------------------------------------------------------------------------- signatures
def test_signatures_list_show(tmp_path):
    proc = run_cli("signatures", "list", check_rc=0)
    for name in ("Cheng2021_M1", "Cheng2021_M2", "Ma2022_IFN_TAM", "Macrophage_identity"):
        assert name in proc.stdout
    tsv = run_cli("signatures", "list", "--tsv", check_rc=0).stdout
    from io import StringIO

    df = pd.read_csv(StringIO(tsv), sep="\t", index_col=0)
    expected = tc.signatures.available()
    assert list(df.index) == list(expected.index)
    assert (df["n_genes"].to_numpy() == expected["n_genes"].to_numpy()).all()
    cat = run_cli("signatures", "list", "--category", "tam_subset", "--tsv", check_rc=0).stdout
    assert set(pd.read_csv(StringIO(cat), sep="\t", index_col=0).index) == set(tc.signatures.load("tam_subset"))
    show = run_cli("signatures", "show", "Cheng2021_M1", check_rc=0).stdout
    assert "Cheng2021_M1" in show and "CXCL10" in show and "10.1016/j.cell.2021.01.010" in show


def test_signatures_export_gmt_roundtrip(tmp_path):
    gmt = tmp_path / "default.gmt"
    run_cli("signatures", "export", "-o", gmt, check_rc=0)
    back = tc.signatures.read_gmt(gmt, pair_up_dn=True)  # signed sets are written as NAME_UP / NAME_DN
    lib = tc.signatures.load("default")
    assert list(back) == list(lib)
    for name, sig in lib.items():
        assert set(back[name].up) == set(sig.up) and set(back[name].down) == set(sig.down), name
    sub = tmp_path / "subset.gmt"
    run_cli("signatures", "export", "--names", "Cheng2021_M1", "Cheng2021_M2", "-o", sub, check_rc=0)
    lines = sub.read_text().strip().splitlines()
    assert [ln.split("\t")[0] for ln in lines] == ["Cheng2021_M1", "Cheng2021_M2"]
    assert set(lines[0].split("\t")[2:]) == set(lib["Cheng2021_M1"].up)
    # the exported file is accepted back as --signatures input
    assert set(tc.signatures.resolve(str(sub))) == {"Cheng2021_M1", "Cheng2021_M2"}


@pytest.mark.parametrize("signed", ["split", "suffix"])
def test_signatures_export_signed_form_equals_api(tmp_path, signed):
    """--signed reaches write_gmt: the file equals the Python API's, and signed sets read back with their down genes."""
    cli_gmt, api_gmt = tmp_path / "cli.gmt", tmp_path / "api.gmt"
    run_cli("signatures", "export", "--names", "all", "--signed", signed, "-o", cli_gmt, check_rc=0)
    tc.signatures.write_gmt(tc.signatures.resolve("all"), api_gmt, signed=signed)
    assert cli_gmt.read_bytes() == api_gmt.read_bytes()
    lib = tc.signatures.load("all")
    back = tc.signatures.read_gmt(cli_gmt, pair_up_dn=(signed == "split"))
    signed_sets = [n for n, s in lib.items() if s.down]
    assert signed_sets, "the library has sets with down genes"
    for name in signed_sets:
        assert set(back[name].down) == set(lib[name].down), name
    lines = {ln.split("\t")[0] for ln in cli_gmt.read_text().splitlines()}
    assert (f"{signed_sets[0]}_DN" in lines) == (signed == "split")


# -------------------------------------------------------------------------------------------- meta
def _dl_by_hand(y, se):
    """DerSimonian-Laird random-effects pooling (textbook formulas)."""
    y, v = np.asarray(y, float), np.asarray(se, float) ** 2
    w = 1 / v
    mu_fe = np.sum(w * y) / w.sum()
    q = np.sum(w * (y - mu_fe) ** 2)
    tau2 = max(0.0, (q - (len(y) - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    ws = 1 / (v + tau2)
    mu = np.sum(ws * y) / ws.sum()
    return mu, np.sqrt(1 / ws.sum()), tau2


def test_meta_log_hr_and_ci(tmp_path):
    y = np.log([1.8, 1.2, 2.5, 0.9])
    se = np.array([0.20, 0.15, 0.30, 0.25])
    table = pd.DataFrame({"study": ["A", "B", "C", "D"], "log_hr": y, "se": se})
    path = tmp_path / "studies.tsv"
    table.to_csv(path, sep="\t", index=False)
    out = tmp_path / "pooled.tsv"
    png = tmp_path / "forest.png"
    run_cli("meta", path, "--effect", "log_hr", "--se", "se", "--study", "study", "-o", out, "--plot", png, check_rc=0)
    res = pd.read_csv(out, sep="\t")
    assert list(res["row_type"]) == ["study"] * 4 + ["pooled"]
    assert list(res["study"][:4]) == ["A", "B", "C", "D"]
    np.testing.assert_allclose(res["effect"][:4], y, rtol=1e-9)
    mu, mu_se, tau2 = _dl_by_hand(y, se)
    pooled = res.iloc[-1]
    assert pooled["effect"] == pytest.approx(mu, rel=1e-9)
    assert pooled["se"] == pytest.approx(mu_se, rel=1e-9)
    assert pooled["tau2"] == pytest.approx(tau2, rel=1e-9, abs=1e-12)
    assert pooled["method"] == "DL" and pooled["k"] == 4
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # HR + 95% CI input gives the same pooled estimate as log HR + SE (SE = (log U - log L) / 2z)
    z = 1.959963984540054
    table2 = pd.DataFrame(
        {"study": table["study"], "HR": np.exp(y), "lo": np.exp(y - z * se), "hi": np.exp(y + z * se)}
    )
    path2 = tmp_path / "studies_ci.tsv"
    table2.to_csv(path2, sep="\t", index=False)
    out2 = tmp_path / "pooled_ci.tsv"
    run_cli("meta", path2, "--hr", "HR", "--lower", "lo", "--upper", "hi", "--study", "study", "-o", out2, check_rc=0)
    res2 = pd.read_csv(out2, sep="\t")
    assert res2.iloc[-1]["effect"] == pytest.approx(mu, rel=1e-6)
    assert res2.iloc[-1]["exp_effect"] == pytest.approx(np.exp(mu), rel=1e-6)


def test_meta_real_data_matches_metafor(shared_data, tmp_path):
    """29 breast cohorts (Ali 2016), REML: R metafor 3.8.1 gives 0.067517 (SE 0.025022), tau2 0.003036."""
    src = shared_data("meta_analysis/tam_m2_ali2016_29cohorts.tsv")
    ref = pd.read_csv(shared_data("meta_analysis/reference_values.tsv"), sep="\t")
    row = ref[(ref["fixture"] == "tam_m2_ali2016_29cohorts") & (ref["method"] == "REML")].iloc[0]
    out = tmp_path / "ali.tsv"
    run_cli(
        "meta", src, "--effect", "log_hr", "--se", "se", "--study", "dataset", "--method", "reml", "-o", out, check_rc=0
    )
    pooled = pd.read_csv(out, sep="\t").iloc[-1]
    assert pooled["effect"] == pytest.approx(float(row["estimate"]), abs=1e-4)
    assert pooled["se"] == pytest.approx(float(row["se"]), abs=1e-4)
    assert pooled["tau2"] == pytest.approx(float(row["tau2"]), abs=1e-5)
    assert pooled["k"] == 29


# ----------------------------------------------------------------------------------- demo and train
def test_demo_command(tmp_path):
    out = tmp_path / "demo_scored.h5ad"
    report = tmp_path / "demo.html"
    proc = run_cli("demo", "-o", out, "--report", report, check_rc=0)
    assert "per-sample summary" in proc.stdout and "demo_1" in proc.stdout
    assert "Traceback" not in proc.stderr
    a = ad.read_h5ad(out)
    assert "tamclass_scores" in a.obsm and "tamclass_celltype" in a.obs
    assert isinstance(a.uns["tamclass"]["samples"], pd.DataFrame)
    assert "Research use only" in report.read_text(encoding="utf-8")
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_train_then_apply_model(workdir, tmp_path):
    model = tmp_path / "leiden.tcmodel"
    run_cli("train", workdir / "in.h5ad", "--label-key", "leiden", "-o", model, "--epochs", "10", check_rc=0)
    loaded = tc.Model.load(model)
    assert sorted(map(str, loaded.classes)) == sorted(
        ad.read_h5ad(workdir / "in.h5ad").obs["leiden"].astype(str).unique()
    )
    out = tmp_path / "applied.h5ad"
    run_cli(
        "score",
        workdir / "in.h5ad",
        "-o",
        out,
        "--model",
        model,
        "--no-classify",
        "--signatures",
        "Macrophage_identity",
        check_rc=0,
    )
    a = ad.read_h5ad(out)
    assert "tamclass_label" in a.obs and "tamclass_label_proba" in a.obsm
    # the CLI applies the model exactly as the API does
    ref = ad.read_h5ad(workdir / "in.h5ad")
    tc.tl.score(ref, "Macrophage_identity")
    tc.tl.gate(ref)
    tc.tl.classify(ref, loaded)
    assert (ref.obs["tamclass_label"].astype(str) == a.obs["tamclass_label"].astype(str)).all()
    # refusing to overwrite the model with itself / unknown label column
    assert_user_error(
        run_cli("train", workdir / "in.h5ad", "--label-key", "nope", "-o", tmp_path / "m2.tcmodel"),
        r"'nope' is not a column",
    )


# ------------------------------------------------------------- every option reaches the API (CLI == Python API)
# One case per `tamclass score` option: the CLI's output .h5ad must equal what the Python API gives with the same
# option (obs, obsm, uns; only the recorded command line differs). Inputs that need the option come from the demo
# (tests/_cli_parity.py). Numbers are never hard-coded: the lead changes the gate/classifier, the parity stays.
PARITY_CASES = {
    # option: (input, CLI arguments, API keywords)
    "--signatures": ("human", ["--signatures", "default", "IHC_CD163"], {"signatures": ["default", "IHC_CD163"]}),
    "--method": ("human", ["--method", "module"], {"method": "module"}),
    "--layer": ("scaled", ["--layer", "counts"], {"layer": "counts"}),
    "--use-raw": ("scaled", ["--use-raw"], {"use_raw": True}),
    "--gene-symbols": ("ensembl", ["--gene-symbols", "symbol"], {"gene_symbols": "symbol"}),
    "--species": ("mouse", ["--species", "mouse"], {"species": "mouse"}),
    "--sample-key": ("human", ["--sample-key", "sample"], {"sample_key": "sample"}),
    "--groupby": ("human", ["--groupby", "leiden"], {"groupby": "leiden"}),
    "--model": ("human", ["--model", "MODEL"], {"model": "MODEL"}),
    "--no-classify": ("human", ["--no-classify"], {"classify": False}),
    "--backed": ("human", ["--backed"], {"backed": True}),
    "--key-added": ("human", ["--key-added", "tc"], {"key_added": "tc"}),
    "--device": ("human", ["--device", "cpu"], {"device": "cpu"}),
    "--seed": ("human", ["--seed", "7"], {"seed": 7}),
    # output-only options: the .h5ad is the same as without them
    "--compression": ("human", ["--compression", "none"], {}),
    "--table": ("human", ["--table", "tables"], {}),
    "--report": ("human", ["--report", "report.html"], {}),
    "--cancer-type": ("human", ["--report", "report.html", "--cancer-type", "breast"], {}),
}
# options that choose files or verbosity, not results
NOT_RESULT_OPTIONS = {"-h", "--help", "-o", "--output", "-v", "--verbose", "-q", "--quiet"}


@pytest.fixture(scope="module")
def parity_inputs(tmp_path_factory):
    import _cli_parity

    return _cli_parity.make_all_inputs(tmp_path_factory.mktemp("parity"))


def test_parity_cases_cover_every_score_option():
    helptext = run_cli("score", "--help", check_rc=0).stdout
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])", helptext))
    missing = sorted(options - set(PARITY_CASES) - NOT_RESULT_OPTIONS)
    assert not missing, f"add a CLI-vs-API case to PARITY_CASES for {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("option", list(PARITY_CASES))
def test_cli_option_matches_python_api(option, parity_inputs, tmp_path):
    import _cli_parity

    name, cli_args, api_kwargs = PARITY_CASES[option]
    src = parity_inputs[name]
    cli_args = [str(parity_inputs[a]) if a == "MODEL" else a for a in cli_args]
    api_kwargs = {k: tc.Model.load(parity_inputs[v]) if v == "MODEL" else v for k, v in api_kwargs.items()}
    run_cli("score", src, "-o", tmp_path / "cli.h5ad", *cli_args, cwd=tmp_path, check_rc=0)
    cli = ad.read_h5ad(tmp_path / "cli.h5ad")
    api = _cli_parity.roundtrip(_cli_parity.api_run(src, **api_kwargs), tmp_path / "api.h5ad")
    key = api_kwargs.get("key_added", "tamclass")
    _cli_parity.assert_same_result(cli, api, key_added=key)
    # the option had its effect (these failed or found nothing before every option reached gate and classify)
    if option in ("--layer", "--use-raw", "--gene-symbols", "--species"):
        assert cli.obs[f"{key}_is_macrophage"].sum() > 0
        assert (cli.obs[f"{key}_state"] != "not macrophage").sum() > 0
    if option == "--groupby":
        assert cli.uns[key]["gate"]["groupby"] == "leiden" and "votes" in cli.uns[key]["gate"]
    if option == "--table":
        assert (tmp_path / "tables" / "cells.tsv").is_file()
    if option == "--report":
        assert (tmp_path / "report.html").is_file()
    if option == "--cancer-type":
        text = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert "breast" in text.lower()
