"""The bad-input catalogue (docs/bad_inputs.md): every entry there is one test here.

Each bad input must get a tamclass exception (one base class, ``TamclassError``; subclasses of
``ValueError`` / ``OSError`` where natural) whose message says what is wrong and what to do, or, on the
command line, one ``tamclass: error: ...`` line on stderr, exit code 2 and no traceback. Files: the input is
never modified and no partial output is left under the output name.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tamclass._errors import (
    GeneOverlapError,
    InputError,
    ModelFormatError,
    NormalizationError,
    SignatureError,
    TamclassError,
    TamclassIOError,
    TamclassWarning,
)

pytestmark = pytest.mark.xdist_group("bad_inputs")

MONO = {"mono": ["CD14", "LYZ", "S100A8", "FCN1", "CST3"]}


# ----------------------------------------------------------------------------------------- fixtures
def _base():
    """pbmc68k_reduced's log-normalised .raw as X (700 cells x 765 genes, real data shipped in scanpy)."""
    import anndata as ad
    import scanpy as sc

    a0 = sc.datasets.pbmc68k_reduced()
    return ad.AnnData(
        sp.csr_matrix(a0.raw.X, dtype=np.float32),
        obs=a0.obs[["bulk_labels"]].copy(),
        var=pd.DataFrame(index=a0.raw.var_names.copy()),
    )


@pytest.fixture
def adata():
    return _base()


@pytest.fixture(scope="module")
def h5ad(tmp_path_factory):
    path = tmp_path_factory.mktemp("bad_inputs") / "in.h5ad"
    _base().write_h5ad(path)
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _cli(*args, timeout=300, **kw):
    env = {**os.environ, "MPLBACKEND": "Agg", "TAMCLASS_PROGRESS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "tamclass", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        **kw,
    )


def _user_error(res, *patterns):
    """Exit 2, one 'tamclass: error:' line, no traceback, message matches."""
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("tamclass: error:")]
    assert len(lines) == 1, res.stderr[-2000:]
    for p in patterns:
        assert p.lower() in lines[0].lower(), (p, lines[0])
    return lines[0]


def _no_output_left(directory: Path, name: str):
    assert not (directory / name).exists()
    leftovers = [p.name for p in directory.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")]
    assert not leftovers, leftovers


def _score(a, sigs=MONO, **kw):
    import tamclass as tc

    return tc.tl.score(a, sigs, **kw)


# ------------------------------------------------------------------------------- 1-3: unreadable files
def test_01_not_an_h5ad(tmp_path):
    from tamclass._io import read_h5ad

    p = tmp_path / "cells.csv"
    p.write_text("cell,CD14\nc1,3\n")
    with pytest.raises(TamclassIOError, match=r"not an \.h5ad.*converted"):
        read_h5ad(p)
    _user_error(_cli("score", p, "-o", tmp_path / "o.h5ad"), "not an .h5ad")
    _no_output_left(tmp_path, "o.h5ad")


def test_02_truncated_h5ad(tmp_path, h5ad):
    from tamclass._io import read_h5ad

    p = tmp_path / "trunc.h5ad"
    p.write_bytes(h5ad.read_bytes()[: h5ad.stat().st_size // 2])
    with pytest.raises(TamclassIOError, match=r"truncated or corrupt"):
        read_h5ad(p)
    _user_error(_cli("score", p, "-o", tmp_path / "o.h5ad"), "truncated or corrupt")
    _no_output_left(tmp_path, "o.h5ad")


def test_03_corrupt_and_empty_file(tmp_path, h5ad):
    from tamclass._io import read_h5ad

    data = bytearray(h5ad.read_bytes())
    rng = np.random.default_rng(0)
    # keep the 8-byte HDF5 signature (so it is not just "not an h5ad"); scribble over the superblock / root
    # object headers and over the body
    for i in [*range(16, 2048, 7), *rng.integers(2048, len(data), 2000)]:
        data[i] ^= 0xFF
    p = tmp_path / "corrupt.h5ad"
    p.write_bytes(bytes(data))
    with pytest.raises(TamclassIOError, match=r"corrupt|damaged"):
        read_h5ad(p)
    e = tmp_path / "empty.h5ad"
    e.write_bytes(b"")
    with pytest.raises(TamclassIOError, match=r"empty \(0 bytes\)"):
        read_h5ad(e)
    with pytest.raises(TamclassIOError, match=r"does not exist"):
        read_h5ad(tmp_path / "absent.h5ad")


# ------------------------------------------------------------------------------------- 4: empty data
@pytest.mark.parametrize("which", ["no cells", "no genes"])
def test_04_empty_anndata(adata, which):
    a = adata[:0].copy() if which == "no cells" else adata[:, :0].copy()
    with pytest.raises(InputError, match=r"empty.*check the filtering"):
        _score(a)


# ------------------------------------------------------------------------- 5-8: genes that do not match
def test_05_zero_genes_overlap(adata):
    a = adata.copy()
    a.var_names = [f"gene_{i}" for i in range(a.n_vars)]
    with pytest.raises(GeneOverlapError, match=r"0 of 5") as exc:
        _score(a)
    assert isinstance(exc.value, ValueError) and "min_genes" in str(exc.value)
    with pytest.raises(GeneOverlapError, match=r"none of the .* signature"):
        _score(a, "default")


def test_06_ensembl_ids_without_symbol_column(adata):
    a = adata.copy()
    symbols = list(a.var_names)
    a.var_names = [f"ENSG{i:011d}" for i in range(a.n_vars)]
    with pytest.raises(GeneOverlapError, match=r"Ensembl IDs: pass gene_symbols="):
        _score(a, "default")
    # the fix the message suggests works
    a.var["symbol"] = symbols
    _score(a, MONO, gene_symbols="symbol")
    assert a.obsm["tamclass_scores"]["mono"].gt(0).any()
    with pytest.raises(InputError, match=r"gene_symbols='nope' is not a column"):
        _score(a, MONO, gene_symbols="nope")


def test_07_mouse_symbols_on_a_human_run(adata):
    a = adata.copy()
    a.var_names = [g.capitalize() for g in a.var_names]
    with pytest.raises(GeneOverlapError, match=r"look like mouse symbols: pass species='mouse'"):
        _score(a, "default")


def test_08_human_symbols_on_a_mouse_run(adata):
    with pytest.warns(TamclassWarning, match=r"human.*species"):
        _score(adata.copy(), "default", species="mouse")


# ---------------------------------------------------------------------- 9-10: wrong kind of expression
def test_09_raw_counts_where_lognormalised_expected(adata):
    a = adata.copy()
    a.X = sp.csr_matrix(np.round(np.expm1(a.X.toarray())))
    with pytest.warns(TamclassWarning, match=r"expects log-normalised.*looks like 'counts'.*normalize_total"):
        _score(a, method="module")
    assert a.uns["tamclass"]["score"]["input"]["normalization"] == "counts"
    # rank methods are unaffected by the normalisation (per-cell ranks): same scores as log1p(CP10k) of them
    import scanpy as sc

    b = a.copy()
    sc.pp.normalize_total(b, target_sum=1e4)
    sc.pp.log1p(b)
    _score(a, method="rank", key_added="c")
    _score(b, method="rank", key_added="l")
    np.testing.assert_allclose(a.obsm["c_scores"].to_numpy(), b.obsm["l_scores"].to_numpy(), atol=1e-12)


def test_10_lognormalised_where_counts_expected(adata):
    """extract_genes (gate/classify input) log-normalises counts itself; log data is detected and left alone."""
    from tamclass._data import extract_genes

    logged, found, _ = extract_genes(adata, ["LYZ", "CST3"])
    counts = adata.copy()
    counts.X = sp.csr_matrix(np.round(np.expm1(adata.X.toarray()) * 3))
    via_counts, _, _ = extract_genes(counts, ["LYZ", "CST3"])
    ref = np.log1p(counts.X.toarray() / counts.X.toarray().sum(1, keepdims=True) * 1e4)
    cols = [list(adata.var_names).index(g) for g in found]
    np.testing.assert_allclose(via_counts, ref[:, cols], rtol=1e-5)  # counts -> log1p(CP10k), said in the log
    np.testing.assert_array_equal(logged, adata[:, cols].X.toarray())  # log data used as is, not re-logged
    _score(adata, method="rank")
    assert adata.uns["tamclass"]["score"]["input"]["normalization"] == "log1p"


def test_11_negative_values_scaled_data(adata):
    import scanpy as sc

    a = adata.copy()
    sc.pp.scale(a)
    for method in ("rank", "aucell"):
        with pytest.raises(NormalizationError, match=r"negative values.*use_raw=True or layer="):
            _score(a.copy(), method=method)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_12_nan_inf(adata, bad):
    a = adata.copy()
    X = a.X.toarray()
    X[123, 45] = bad
    a.X = sp.csr_matrix(X)
    cell, gene = a.obs_names[123], a.var_names[45]
    for method in ("rank", "mean"):
        with pytest.raises(InputError, match=rf"non-finite.*{cell!s}.*{gene}.*replace NaN/inf"):
            _score(a.copy(), method=method)


# -------------------------------------------------------------------------------- 13-15: names, zeros
def test_13_duplicated_gene_names(adata):
    a = adata.copy()
    names = list(a.var_names)
    names[names.index("CST3")] = "LYZ"
    a.var_names = names
    with pytest.raises(InputError, match=r"'LYZ' \(x2\).*var_names_make_unique"):
        _score(a)


def test_14_duplicated_cell_names(adata):
    """Duplicated obs_names: scores are per row (identical to unique names); anndata warns on the names."""
    a = adata.copy()
    b = adata.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b.obs_names = ["same"] * b.n_obs
    _score(a)
    _score(b)
    np.testing.assert_array_equal(a.obsm["tamclass_scores"].to_numpy(), b.obsm["tamclass_scores"].to_numpy())


def test_15_all_zero_cells(adata):
    """Cells without counts score 0 with the rank methods (no expressed gene), finite with the others; no error."""
    a = adata.copy()
    X = a.X.toarray()
    X[:5] = 0
    a.X = sp.csr_matrix(X)
    for method in ("rank", "aucell", "module", "mean"):
        _score(a, method=method, key_added=method)
        s = a.obsm[f"{method}_scores"].to_numpy()
        assert np.isfinite(s).all()
        if method in ("rank", "aucell"):
            assert (s[:5] == 0).all()


# ------------------------------------------------------------------------------ 16-17: signature files
def test_16_malformed_gmt(tmp_path, adata, h5ad):
    from tamclass.signatures import resolve

    p = tmp_path / "bad.gmt"
    p.write_text("SET_A\tna\tCD14\tLYZ\nSET_A\tna\tFCN1\n")  # duplicated set name
    with pytest.raises(SignatureError, match=r"malformed GMT.*appears twice"):
        resolve(str(p))
    q = tmp_path / "empty_set.gmt"
    q.write_text("SET_B\tdescription\n")
    with pytest.raises(SignatureError, match=r"malformed GMT.*name<TAB>description<TAB>gene1"):
        resolve(str(q))
    _user_error(_cli("score", h5ad, "-o", tmp_path / "o.h5ad", "--signatures", p), "malformed gmt")
    _no_output_left(tmp_path, "o.h5ad")


def test_17_signature_file_with_unknown_genes_only(tmp_path, adata, h5ad):
    p = tmp_path / "unknown.gmt"
    p.write_text("MY_SET\tna\tNOTAGENE1\tNOTAGENE2\tNOTAGENE3\n")
    with pytest.raises(GeneOverlapError, match=r"'MY_SET' \(0 of 3\)"):
        _score(adata, str(p))
    _user_error(_cli("score", h5ad, "-o", tmp_path / "o.h5ad", "--signatures", p), "MY_SET", "0 of 3")
    _no_output_left(tmp_path, "o.h5ad")


# -------------------------------------------------------------------------------- 18: missing obs key
def test_18_missing_sample_key(tmp_path, adata, h5ad):
    import tamclass as tc

    _score(adata, "default")
    with pytest.raises(InputError, match=r"sample_key 'patient' is not a column.*available columns"):
        tc.tl.summarize(adata, "patient")
    before = _sha(h5ad)
    _user_error(_cli("score", h5ad, "-o", tmp_path / "o.h5ad", "--sample-key", "patient"), "--sample-key", "patient")
    _no_output_left(tmp_path, "o.h5ad")
    assert _sha(h5ad) == before


# --------------------------------------------------------------------------------- 19-21: model files
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from tamclass.classifier._fit import fit_classifier
    from tamclass.classifier._model import Model

    rng = np.random.default_rng(0)
    genes = ["LYZ", "CST3", "S100A8", "FCN1", "HLA-DRA", "CD74"]
    X = rng.normal(size=(300, len(genes))).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    fit = fit_classifier(X, y, 2, hidden=8, epochs=5, batch_size=64, seed=0, device="cpu")
    m = Model(
        genes=genes,
        classes=["M1-like", "M2-like"],
        weights=fit["weights"],
        mean=fit["mean"],
        scale=fit["scale"],
        temperature=fit["temperature"],
        kind="state",
        metadata={"training": {"n_cells_per_class": {"M1-like": 150, "M2-like": 150}, "label_key": "x"}},
    )
    return m.save(tmp_path_factory.mktemp("model") / "m.tamclass")


def _rewrite(src: Path, dst: Path, change):
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    change(members)
    with zipfile.ZipFile(dst, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    return dst


def test_19_model_truncated(tmp_path, model_file, h5ad):
    import tamclass as tc

    p = tmp_path / "trunc.tamclass"
    p.write_bytes(model_file.read_bytes()[: model_file.stat().st_size // 2])
    with pytest.raises(ModelFormatError, match=r"truncated"):
        tc.Model.load(p)
    _user_error(_cli("score", h5ad, "-o", tmp_path / "o.h5ad", "--model", p), "truncated")
    _no_output_left(tmp_path, "o.h5ad")


def test_20_model_tampered(tmp_path, model_file, h5ad):
    import tamclass as tc

    def flip(members):
        w = bytearray(members["weights.safetensors"])
        w[-3] ^= 0x01
        members["weights.safetensors"] = bytes(w)

    p = _rewrite(model_file, tmp_path / "tampered.tamclass", flip)
    with pytest.raises(ModelFormatError, match=r"checksum"):
        tc.Model.load(p)
    _user_error(_cli("score", h5ad, "-o", tmp_path / "o.h5ad", "--model", p), "checksum")
    _no_output_left(tmp_path, "o.h5ad")


@pytest.mark.parametrize("version", [99, 0])
def test_21_model_from_another_version(tmp_path, model_file, version):
    import tamclass as tc

    def bump(members):
        checks = json.loads(members["checksums.json"])
        checks["format_version"] = version
        members["checksums.json"] = json.dumps(checks).encode()

    p = _rewrite(model_file, tmp_path / f"v{version}.tamclass", bump)
    with pytest.raises(ModelFormatError, match=r"newer.*Upgrade tamclass" if version == 99 else r"format_version"):
        tc.Model.load(p)


def test_21b_model_not_a_model(tmp_path, h5ad):
    import tamclass as tc

    with pytest.raises(ModelFormatError):
        tc.Model.load(h5ad)  # an h5ad passed as --model
    _user_error(
        _cli("score", h5ad, "-o", tmp_path / "o.h5ad", "--model", tmp_path / "absent.tamclass"), "does not exist"
    )


# ------------------------------------------------------------------------------ 22-25: output problems
def test_22_output_not_writable(tmp_path, h5ad):
    from tamclass._io import check_output_path

    with pytest.raises(TamclassIOError, match=r"does not exist; create"):
        check_output_path(tmp_path / "no" / "such" / "dir" / "o.h5ad")
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(TamclassIOError, match=r"not a directory"):
        check_output_path(f / "o.h5ad")
    with pytest.raises(TamclassIOError, match=r"is a directory"):
        check_output_path(tmp_path)
    _user_error(_cli("score", h5ad, "-o", tmp_path / "nodir" / "o.h5ad"), "does not exist")
    assert not (tmp_path / "nodir").exists()
    if os.geteuid() != 0:  # root ignores directory permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            _user_error(_cli("score", h5ad, "-o", ro / "o.h5ad"), "no write permission")
        finally:
            ro.chmod(0o700)


@pytest.mark.slow
def test_22b_output_on_unwritable_filesystem(tmp_path, h5ad):
    # /proc accepts no new files even for root; os.access(W_OK) still says yes for root
    target = Path("/proc/tamclass_test_out.h5ad")
    if not Path("/proc").is_dir():
        pytest.skip("no /proc")
    _user_error(_cli("score", h5ad, "-o", target, "--no-classify"), "cannot write")


def test_23_output_equals_input(tmp_path, h5ad):
    from tamclass._io import check_output_path

    before = _sha(h5ad)
    with pytest.raises(TamclassIOError, match=r"is the input file"):
        check_output_path(h5ad, inputs=[h5ad])
    link = tmp_path / "alias.h5ad"
    link.symlink_to(h5ad)
    with pytest.raises(TamclassIOError, match=r"is the input file"):
        check_output_path(link, inputs=[h5ad])
    _user_error(_cli("score", h5ad, "-o", h5ad), "is the input file")
    _user_error(_cli("score", h5ad, "-o", link), "is the input file")
    assert _sha(h5ad) == before


_API_WRITE = """
import sys
import anndata as ad
from tamclass._io import write_h5ad_atomic
adata = ad.read_h5ad(sys.argv[1])
try:
    write_h5ad_atomic(adata, sys.argv[2], inputs=[sys.argv[1]])
    print("NO ERROR", flush=True)
except BaseException as exc:
    print("RAISED", type(exc).__name__, [c.__name__ for c in type(exc).__mro__], str(exc), flush=True)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE simulation of a full disk is Linux-only")
def test_24_disk_full_during_write_api(tmp_path, h5ad):
    """The file-size limit hits half-way through write_h5ad_atomic: TamclassIOError (an OSError), no partial
    output, an existing output kept, input intact (run in a child process: the limit applies to it only)."""
    out = tmp_path / "o.h5ad"
    out.write_bytes(b"previous result")
    before = _sha(h5ad)
    res = subprocess.run(
        [sys.executable, "-c", _API_WRITE, str(h5ad), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_file_size(200_000),
    )
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith(("RAISED", "NO ERROR"))), res.stderr[-1500:])
    assert line.startswith("RAISED TamclassIOError") and "'OSError'" in line, line
    assert "nothing was written" in line and "left untouched" in line and "disk space" in line, line
    assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.h5ad"]
    assert _sha(h5ad) == before


def _limit_file_size(nbytes):
    def pre():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))

    return pre


@pytest.fixture(scope="module")
def disk_full_run(tmp_path_factory, h5ad):
    """The CLI under a 200 kB file-size limit (the output is ~1 MB): the write fails half-way (EFBIG)."""
    if sys.platform != "linux":
        pytest.skip("RLIMIT_FSIZE simulation of a full disk is Linux-only")
    out_dir = tmp_path_factory.mktemp("diskfull")
    _score(_base())  # numba's on-disk cache of the rank kernel exists before the file-size limit applies
    before = _sha(h5ad)
    res = _cli("score", h5ad, "-o", out_dir / "o.h5ad", "--no-classify", preexec_fn=_limit_file_size(200_000))
    return res, out_dir, before


@pytest.mark.slow
def test_25_disk_full_during_write_cli(disk_full_run, h5ad):
    """What holds today: the input is intact and nothing appears under the output name."""
    res, out_dir, before = disk_full_run
    assert res.returncode != 0
    assert not (out_dir / "o.h5ad").exists()
    assert _sha(h5ad) == before


def test_25b_disk_full_clean_error(disk_full_run):
    res, out_dir, _ = disk_full_run
    _user_error(res, "could not write", "disk space")
    _no_output_left(out_dir, "o.h5ad")


# ------------------------------------------------------------------------------ 26: interrupted runs
_SLOW_WRITE = """
import os, sys, time
marker, target = sys.argv[1], os.path.abspath(sys.argv[5])
real_replace = os.replace
def slow_replace(src, dst, *a, **k):
    if os.path.abspath(str(dst)) == target:   # the output is complete in its temporary file, not yet renamed
        open(marker, "w").close()
        time.sleep(120)
    return real_replace(src, dst, *a, **k)
os.replace = slow_replace
from tamclass.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _run_until_marker(tmp_path, h5ad, sig):
    marker = tmp_path / "writing"
    env = {**os.environ, "MPLBACKEND": "Agg", "TAMCLASS_PROGRESS": "0"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SLOW_WRITE,
            str(marker),
            "score",
            str(h5ad),
            "-o",
            str(tmp_path / "o.h5ad"),
            "--no-classify",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                out, err = proc.communicate(timeout=10)
                pytest.fail(f"CLI did not reach the write step (rc={proc.returncode}): {err[-2000:]}")
            time.sleep(0.05)
        tmps = [p for p in tmp_path.iterdir() if p.name.startswith(".o.h5ad.")]
        assert tmps, "expected the temporary output file to exist mid-write"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


@pytest.mark.slow
def test_26_ctrl_c_mid_write(tmp_path, h5ad):
    before = _sha(h5ad)
    rc, err = _run_until_marker(tmp_path, h5ad, signal.SIGINT)
    assert rc == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err
    _no_output_left(tmp_path, "o.h5ad")
    assert _sha(h5ad) == before


@pytest.mark.slow
def test_27_killed_mid_write(tmp_path, h5ad):
    """SIGKILL cannot be caught: the output name never appears (rename is the last step), the input is intact;
    only a hidden '.o.h5ad.*.tmp' file is left behind for the user to delete."""
    before = _sha(h5ad)
    rc, _ = _run_until_marker(tmp_path, h5ad, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert not (tmp_path / "o.h5ad").exists()
    assert _sha(h5ad) == before


# ------------------------------------------------------------------------------ 28-31: options
def test_28_missing_layer_and_raw(adata):
    with pytest.raises(InputError, match=r"layer 'counts' not found.*pass layer=None"):
        _score(adata, layer="counts")
    with pytest.raises(InputError, match=r"adata.raw is empty"):
        _score(adata, use_raw=True)


def test_29_not_an_anndata_and_bad_method(adata):
    with pytest.raises(InputError, match=r"expected an AnnData.*read_h5ad"):
        _score(adata.X.toarray())
    with pytest.raises(InputError, match=r"unknown scoring method 'ucell'.*choose one of"):
        _score(adata, method="ucell")
    with pytest.raises(SignatureError):
        _score(adata, "No_such_signature_set")


def test_30_backed_copy_refused(tmp_path, h5ad):
    import anndata as ad

    a = ad.read_h5ad(h5ad, backed="r")
    try:
        with pytest.raises(InputError, match=r"copy=True is not supported.*backed"):
            _score(a, copy=True)
    finally:
        a.file.close()


def test_31_cli_missing_input_and_bad_option(tmp_path, h5ad):
    _user_error(_cli("score", tmp_path / "absent.h5ad", "-o", tmp_path / "o.h5ad"), "does not exist")
    res = _cli("score", h5ad, "-o", tmp_path / "o.h5ad", "--method", "ucell")
    assert res.returncode == 2 and "invalid choice" in res.stderr and "Traceback" not in res.stderr
    _no_output_left(tmp_path, "o.h5ad")


def test_all_errors_share_one_base_class():
    import tamclass._errors as errors

    classes = [
        v
        for v in vars(errors).values()
        if isinstance(v, type) and issubclass(v, Exception) and not issubclass(v, Warning)
    ]
    assert all(issubclass(c, TamclassError) for c in classes)
    assert issubclass(TamclassIOError, OSError) and issubclass(InputError, ValueError)
