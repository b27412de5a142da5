"""Safe reads and atomic writes (tamclass._io)."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import tamclass._io
from tamclass._errors import TamclassIOError
from tamclass._io import (
    atomic_path,
    check_output_dir,
    check_output_path,
    read_h5ad,
    write_h5ad_atomic,
    write_results_backed,
    write_table_atomic,
    write_text_atomic,
)


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _small_adata(n_obs=30, n_vars=20, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.csr_matrix(rng.poisson(1.0, size=(n_obs, n_vars)).astype(np.float32))
    a = ad.AnnData(X=X)
    a.obs_names = [f"c{i}" for i in range(n_obs)]
    a.var_names = [f"G{i}" for i in range(n_vars)]
    a.obs["user_col"] = np.arange(n_obs)
    return a


@pytest.fixture
def h5ad_file(tmp_path):
    path = tmp_path / "in.h5ad"
    _small_adata().write_h5ad(path)
    return path


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# ------------------------------------------------------------------------------------------ reads
def test_read_ok_and_backed(h5ad_file):
    a = read_h5ad(h5ad_file)
    assert a.shape == (30, 20)
    b = read_h5ad(h5ad_file, backed=True)
    try:
        assert b.isbacked and b.shape == (30, 20)
    finally:
        b.file.close()


def test_read_missing(tmp_path):
    with pytest.raises(TamclassIOError, match="does not exist"):
        read_h5ad(tmp_path / "nope.h5ad")


def test_read_directory(tmp_path):
    with pytest.raises(TamclassIOError, match="directory"):
        read_h5ad(tmp_path)


def test_read_zarr_directory(tmp_path):
    store = tmp_path / "x.zarr"
    store.mkdir()
    (store / ".zgroup").write_text("{}")
    with pytest.raises(TamclassIOError, match="read_zarr"):
        read_h5ad(store)


def test_read_empty_file(tmp_path):
    p = tmp_path / "empty.h5ad"
    p.write_bytes(b"")
    with pytest.raises(TamclassIOError, match="empty"):
        read_h5ad(p)


def test_read_not_hdf5(tmp_path):
    p = tmp_path / "table.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(TamclassIOError, match="not an .h5ad"):
        read_h5ad(p)


def test_read_truncated(h5ad_file, tmp_path):
    data = h5ad_file.read_bytes()
    p = tmp_path / "trunc.h5ad"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(TamclassIOError, match="truncated or corrupt"):
        read_h5ad(p)


def test_read_corrupt_body(h5ad_file, tmp_path):
    data = bytearray(h5ad_file.read_bytes())
    # keep the signature, scramble everything after the superblock
    rng = np.random.default_rng(0)
    data[200:] = rng.integers(0, 256, size=len(data) - 200, dtype=np.uint8).tobytes()
    p = tmp_path / "corrupt.h5ad"
    p.write_bytes(bytes(data))
    with pytest.raises(TamclassIOError):
        read_h5ad(p)


def test_read_hdf5_not_anndata(tmp_path):
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f.create_group("matrix")
    with pytest.raises(TamclassIOError, match="not an AnnData"):
        read_h5ad(p)


# ------------------------------------------------------------------------------------ output checks
def test_output_equals_input_refused(h5ad_file, tmp_path):
    with pytest.raises(TamclassIOError, match="is the input"):
        check_output_path(h5ad_file, inputs=[h5ad_file])
    # same file through a different spelling
    with pytest.raises(TamclassIOError, match="is the input"):
        check_output_path(tmp_path / "." / "in.h5ad", inputs=[h5ad_file])
    # symbolic link and hard link to the input
    link = tmp_path / "link.h5ad"
    link.symlink_to(h5ad_file)
    with pytest.raises(TamclassIOError, match="is the input"):
        check_output_path(link, inputs=[h5ad_file])
    hard = tmp_path / "hard.h5ad"
    os.link(h5ad_file, hard)
    with pytest.raises(TamclassIOError, match="is the input"):
        check_output_path(hard, inputs=[h5ad_file])


def test_output_dir_problems(tmp_path):
    with pytest.raises(TamclassIOError, match="does not exist"):
        check_output_path(tmp_path / "missing_dir" / "out.h5ad")
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(TamclassIOError, match="not a directory"):
        check_output_path(afile / "out.h5ad")
    with pytest.raises(TamclassIOError, match="is a directory"):
        check_output_path(tmp_path)
    with pytest.raises(TamclassIOError, match="already exists"):
        check_output_path(afile, overwrite=False)
    with pytest.raises(TamclassIOError, match="not a directory"):
        check_output_dir(afile)
    assert check_output_dir(tmp_path / "new") == tmp_path / "new"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into read-only directories")
def test_unwritable_dir(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(TamclassIOError, match="no write permission"):
            check_output_path(ro / "out.h5ad")
    finally:
        ro.chmod(0o700)


# ------------------------------------------------------------------------------------------ writes
def test_write_h5ad_atomic_roundtrip(tmp_path):
    a = _small_adata()
    out = tmp_path / "out.h5ad"
    write_h5ad_atomic(a, out)
    b = ad.read_h5ad(out)
    assert (b.X != a.X).nnz == 0
    assert (b.obs["user_col"] == a.obs["user_col"]).all()
    assert _leftovers(tmp_path) == []
    # replaces an existing file
    a.obs["new"] = 1.0
    write_h5ad_atomic(a, out)
    assert "new" in ad.read_h5ad(out).obs.columns


@pytest.mark.parametrize(
    "exc", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt(), RuntimeError("boom")]
)
def test_failed_write_leaves_nothing(tmp_path, monkeypatch, exc):
    a = _small_adata()
    out = tmp_path / "out.h5ad"
    fresh = tmp_path / "fresh.h5ad"
    write_h5ad_atomic(a, out)
    before = _sha(out)

    def failing_write(adata, filename, *args, **kwargs):
        # write half a file first, like a real writer interrupted midway
        Path(filename).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 1000)
        raise exc

    monkeypatch.setattr(tamclass._io, "_write_h5ad_file", failing_write)
    expected = TamclassIOError if isinstance(exc, OSError) else type(exc)
    with pytest.raises(expected) as info:
        write_h5ad_atomic(a, out)
    if isinstance(exc, OSError):
        assert "No space left" in str(info.value) and "untouched" in str(info.value)
    with pytest.raises(expected):
        write_h5ad_atomic(a, fresh)
    assert _sha(out) == before  # pre-existing output untouched
    assert not fresh.exists()  # no partial new output
    assert _leftovers(tmp_path) == []  # temp files cleaned up


def test_write_text_and_table(tmp_path):
    p = write_text_atomic("héllo\n", tmp_path / "a.txt")
    assert p.read_text(encoding="utf-8") == "héllo\n"
    df = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}, index=["r1", "r2"])
    t = write_table_atomic(df, tmp_path / "t.tsv")
    back = pd.read_csv(t, sep="\t", index_col=0)
    pd.testing.assert_frame_equal(back, df)
    with pytest.raises(TamclassIOError, match="is the input"):
        write_text_atomic("x", tmp_path / "a.txt", inputs=[tmp_path / "a.txt"])
    assert _leftovers(tmp_path) == []


def test_atomic_path_permissions(tmp_path):
    with atomic_path(tmp_path / "f.bin") as tmp:
        tmp.write_bytes(b"1")
    mode = (tmp_path / "f.bin").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_write_results_backed(h5ad_file, tmp_path):
    before = _sha(h5ad_file)
    a = ad.read_h5ad(h5ad_file, backed="r")
    try:
        a.obs["tamclass_x"] = np.linspace(0, 1, a.n_obs)
        a.obsm["tamclass_scores"] = pd.DataFrame({"S1": np.arange(a.n_obs, dtype=float)}, index=a.obs_names)
        a.uns["tamclass"] = {"score": {"method": "rank", "n": 3}}
        out = write_results_backed(a, h5ad_file, tmp_path / "out.h5ad")
    finally:
        a.file.close()
    assert _sha(h5ad_file) == before
    full_in, full_out = ad.read_h5ad(h5ad_file), ad.read_h5ad(out)
    assert (full_in.X != full_out.X).nnz == 0
    assert (full_out.obs["user_col"] == full_in.obs["user_col"]).all()
    np.testing.assert_allclose(full_out.obs["tamclass_x"], np.linspace(0, 1, 30))
    np.testing.assert_allclose(full_out.obsm["tamclass_scores"]["S1"], np.arange(30))
    assert full_out.uns["tamclass"]["score"]["method"] == "rank"
    assert _leftovers(tmp_path) == []


def test_in_memory_h5ad_write_equals_anndata_write(tmp_path):
    """write_h5ad_atomic's memory-buffered path produces a file that reads back exactly like write_h5ad's."""
    import anndata as ad
    import numpy as np
    import pandas as pd

    import tamclass as tc
    from tamclass._io import write_h5ad_atomic

    a = tc.datasets.demo()
    a.obs["label"] = ["x", "y"] * (a.n_obs // 2) + ["x"] * (a.n_obs % 2)  # strings -> categorical on write
    a.obsm["scores"] = pd.DataFrame(np.arange(a.n_obs * 2.0).reshape(-1, 2), index=a.obs_names, columns=["s1", "s2"])
    a.uns["nested"] = {"k": [1, 2, 3], "t": "text"}
    a.write_h5ad(tmp_path / "ref.h5ad", compression="gzip")
    write_h5ad_atomic(a, tmp_path / "ours.h5ad", compression="gzip")
    ref, ours = ad.read_h5ad(tmp_path / "ref.h5ad"), ad.read_h5ad(tmp_path / "ours.h5ad")
    assert (ref.X != ours.X).nnz == 0
    assert (ref.layers["counts"] != ours.layers["counts"]).nnz == 0
    pd.testing.assert_frame_equal(ref.obs, ours.obs)
    pd.testing.assert_frame_equal(ref.var, ours.var)
    pd.testing.assert_frame_equal(ref.obsm["scores"], ours.obsm["scores"])
    np.testing.assert_array_equal(ref.obsm["X_umap"], ours.obsm["X_umap"])
    assert ours.uns["nested"]["t"] == "text" and list(ours.uns["nested"]["k"]) == [1, 2, 3]
