"""Safe reads and atomic writes.

Every file tamclass writes goes through :func:`atomic_path` (defined in :mod:`tamclass._files`, re-exported
here): the content is written to a temporary file in the *same directory* as the target, flushed and fsync'ed,
then moved over the target with :func:`os.replace` (atomic on POSIX and Windows). If anything goes wrong (an
exception, a full disk, Ctrl-C) the temporary file is removed and a file that already existed at the target is
left untouched, so a reader never sees half a file.

:func:`check_output_path` is meant to be called *before* the expensive work starts, so that a typo in an
output path fails in a second, not after an hour of scoring.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from ._errors import TamclassIOError
from ._files import (  # noqa: F401 - the atomic writes live in the base layer; re-exported here
    PathLike,
    _short,
    atomic_path,
    check_output_dir,
    check_output_path,
    write_bytes_atomic,
    write_table_atomic,
    write_text_atomic,
)

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


# --------------------------------------------------------------------------------------------- reads
def _is_hdf5(path: Path) -> bool:
    """HDF5 signature at offset 0, 512, 1024, 2048, ... (user blocks), like ``h5py.is_hdf5``."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        offset = 0
        while offset + 8 <= size:
            fh.seek(offset)
            if fh.read(8) == _HDF5_SIGNATURE:
                return True
            offset = 512 if offset == 0 else offset * 2
    return False


def check_input_path(path: PathLike, *, what: str = "input file") -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` after checking that it is an existing, readable file."""
    p = Path(path).expanduser()
    if not p.exists():
        raise TamclassIOError(f"{what} {str(p)!r} does not exist; check the path (and the working directory)")
    if p.is_dir():
        if (p / ".zattrs").exists() or (p / "zarr.json").exists() or (p / ".zgroup").exists():
            raise TamclassIOError(
                f"{what} {str(p)!r} is a zarr store, not an .h5ad file; load it with anndata.read_zarr() "
                "and call the Python API, or convert it with adata.write_h5ad()"
            )
        raise TamclassIOError(f"{what} {str(p)!r} is a directory; give the path of an .h5ad file")
    if not os.access(p, os.R_OK):
        raise TamclassIOError(f"{what} {str(p)!r} is not readable; check its permissions")
    return p


def read_h5ad(path: PathLike, backed: bool | str = False):
    """Read an ``.h5ad`` file with clear errors.

    Parameters
    ----------
    path
        The ``.h5ad`` file.
    backed
        ``False`` (load into memory) or ``True`` / ``"r"`` (open read-only in backed mode: ``X`` stays on
        disk, ``obs``/``var``/``obsm``/``uns`` are loaded). The input file is never written to.

    Returns
    -------
    AnnData

    Raises
    ------
    TamclassIOError
        The file is missing, unreadable, a directory, not HDF5, not an AnnData file, truncated or corrupt.

    Examples
    --------
    >>> from tamclass._io import read_h5ad
    >>> adata = read_h5ad("pbmc.h5ad")  # doctest: +SKIP
    >>> adata = read_h5ad("big.h5ad", backed=True)  # doctest: +SKIP
    """
    import anndata as ad
    import h5py

    p = check_input_path(path)
    if p.stat().st_size == 0:
        raise TamclassIOError(f"input file {str(p)!r} is empty (0 bytes); re-create or re-download it")
    if not _is_hdf5(p):
        hint = ""
        if p.suffix.lower() in (".csv", ".tsv", ".txt", ".mtx", ".gz", ".loom", ".rds", ".h5seurat", ".zarr"):
            hint = (
                f" ({p.suffix} files must be converted to .h5ad first, e.g. with scanpy.read_* then adata.write_h5ad())"
            )
        raise TamclassIOError(f"input file {str(p)!r} is not an .h5ad (HDF5) file{hint}")
    # structural check first: a truncated file usually still has a valid signature
    try:
        with h5py.File(p, "r") as f:
            keys = set(f.keys())
            encoding = f.attrs.get("encoding-type", None)
    except (OSError, RuntimeError, ValueError) as exc:
        raise TamclassIOError(
            f"input file {str(p)!r} is a damaged HDF5 file (truncated or corrupt: {_short(exc)}); "
            "re-create or re-copy it (compare its size or checksum with the original)"
        ) from exc
    if isinstance(encoding, bytes):
        encoding = encoding.decode()
    if encoding not in (None, "anndata") or not ({"obs", "var"} <= keys or "X" in keys):
        raise TamclassIOError(
            f"input file {str(p)!r} is an HDF5 file but not an AnnData .h5ad (top-level groups: "
            f"{', '.join(sorted(keys)) or 'none'}); 10x .h5 files must be read with scanpy.read_10x_h5() and "
            "saved with adata.write_h5ad() first"
        )
    try:
        if backed:
            return ad.read_h5ad(p, backed="r")
        return ad.read_h5ad(p)
    except MemoryError as exc:
        raise TamclassIOError(
            f"input file {str(p)!r} does not fit in memory; open it in backed mode (CLI: --backed; "
            "Python: read_h5ad(path, backed=True))"
        ) from exc
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise TamclassIOError(
            f"could not read {str(p)!r} as an AnnData .h5ad ({type(exc).__name__}: {_short(exc)}); "
            "the file is probably truncated or corrupt, or was written by an incompatible tool - re-create it"
        ) from exc


def _is_mudata(data) -> bool:
    """True for a :class:`mudata.MuData` (checked without importing mudata: a MuData means it is imported)."""
    mudata = sys.modules.get("mudata")
    cls = getattr(mudata, "MuData", None)
    return cls is not None and isinstance(data, cls)


def as_anndata(data, mod: str | None = None, *, what: str = "data"):
    """The AnnData to work on: ``data`` itself, or one modality of a :class:`mudata.MuData`.

    A MuData is accepted by taking its ``mod`` modality (default ``"rna"``, the name muon and
    scverse tutorials use for gene expression). The modality is the AnnData object stored inside the
    MuData, so results written to it are in ``mdata.mod[mod]`` (call ``mdata.update()`` to pull
    them into ``mdata.obs``).

    Parameters
    ----------
    data
        An AnnData or a MuData.
    mod
        Modality of a MuData (default ``"rna"``); must be ``None`` for an AnnData.
    what
        Name of the argument, for error messages.

    Returns
    -------
    AnnData

    Raises
    ------
    InputError
        ``data`` is a MuData without that modality (the message lists the modalities), ``mod=`` was
        given for an AnnData, or ``data`` is neither.
    """
    from ._errors import InputError

    if _is_mudata(data):
        name = "rna" if mod is None else mod
        if name not in data.mod:
            have = ", ".join(repr(m) for m in data.mod) or "none"
            raise InputError(
                f"{what} is a MuData without a {name!r} modality (it has: {have}); pass mod='<name>' to use "
                "another modality, or the AnnData itself, e.g. mdata.mod['gex']"
            )
        return data.mod[name]
    if not (hasattr(data, "obs") and hasattr(data, "obsm") and hasattr(data, "var_names")):
        raise InputError(
            f"{what}: expected an AnnData object (or a MuData), got {type(data).__name__}; read your file with "
            "anndata.read_h5ad(...) or build one with anndata.AnnData(X, obs, var)"
        )
    if mod is not None:
        raise InputError(f"mod={mod!r} only applies to a MuData; {what} is an {type(data).__name__}")
    return data


def write_h5ad_atomic(adata, path: PathLike, *, inputs: Iterable[PathLike] = (), compression: str | None = "gzip"):
    """Write ``adata`` to ``path`` atomically (temp file in the same directory, fsync, rename).

    Returns the output path. ``inputs`` are paths the output must not be (see :func:`check_output_path`).

    Examples
    --------
    >>> write_h5ad_atomic(adata, "scored.h5ad", inputs=["raw.h5ad"])  # doctest: +SKIP
    """
    with atomic_path(path, inputs=inputs) as tmp:
        _write_h5ad_file(adata, tmp, compression=compression)
    return Path(path)


def _write_h5ad_file(adata, tmp: Path, *, compression: str | None) -> None:
    """Write the h5ad bytes to ``tmp`` (the one seam every h5ad output goes through)."""
    if _matrix_bytes(adata) <= IN_MEMORY_WRITE_LIMIT:
        _write_h5ad_via_memory(adata, tmp, compression=compression)
    else:
        adata.write_h5ad(tmp, compression=compression)


#: Outputs up to this many bytes of matrix data are encoded by HDF5 in memory and written with plain file
#: I/O: when the disk fills, HDF5 writing to a file can crash the process (segfault) before Python sees an
#: error, whereas a plain write raises OSError (cleaned up by atomic_path). Larger objects are written
#: directly, to avoid holding a second, compressed copy in memory.
IN_MEMORY_WRITE_LIMIT = 2 * 2**30


def _matrix_bytes(adata) -> int:
    def nbytes(m) -> int:
        if m is None:
            return 0
        if hasattr(m, "data") and hasattr(m, "indices"):  # scipy sparse
            return int(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes)
        return int(getattr(m, "nbytes", 0))

    total = nbytes(adata.X) + sum(nbytes(v) for v in adata.layers.values())
    if adata.raw is not None:
        total += nbytes(adata.raw.X)
    return total


def _write_h5ad_via_memory(adata, tmp: Path, *, compression: str | None) -> None:
    """Same file as ``adata.write_h5ad(tmp)``, but HDF5 writes into memory and Python writes the bytes."""
    import io

    import h5py

    try:
        from anndata.io import write_elem
    except ImportError:  # pragma: no cover - anndata < 0.11
        from anndata.experimental import write_elem

    adata.strings_to_categoricals()  # as write_h5ad does
    if adata.raw is not None:
        adata.strings_to_categoricals(adata.raw.var)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        write_elem(f, "/", adata, dataset_kwargs={"compression": compression} if compression else {})
    with open(tmp, "wb") as fh:
        fh.write(buffer.getbuffer())


def write_results_backed(adata, source: PathLike, path: PathLike, *, keys: Iterable[str] | None = None):
    """Write the results of a backed run: a copy of ``source`` with ``obs``, ``obsm`` and ``uns`` replaced.

    In backed mode the expression matrix may not fit in memory, so it is never loaded: the input file is
    copied block by block (``shutil.copyfile``) into a temporary file next to ``path``, and the in-memory
    ``obs``, ``obsm`` entries and ``uns`` of ``adata`` are written into the copy with
    :func:`anndata.io.write_elem`. The copy is then renamed onto ``path``. The input file is only read.
    The output is a complete ``.h5ad`` (same ``X``, ``var``, layers as the input, plus the results);
    it needs as much free disk as the input file.

    Parameters
    ----------
    adata
        The backed AnnData (opened from ``source``) holding the results in memory.
    source
        The file ``adata`` was opened from.
    path
        Output path.
    keys
        ``obsm`` keys to write (default: all of ``adata.obsm``).
    """
    import h5py

    try:
        from anndata.io import write_elem
    except ImportError:  # anndata < 0.11
        from anndata.experimental import write_elem

    source = Path(source)
    with atomic_path(path, inputs=[source]) as tmp:
        shutil.copyfile(source, tmp)
        with h5py.File(tmp, "r+") as f:
            if "obs" in f:
                del f["obs"]
            write_elem(f, "obs", adata.obs)
            if "obsm" not in f:
                f.create_group("obsm")
                f["obsm"].attrs["encoding-type"] = "dict"
                f["obsm"].attrs["encoding-version"] = "0.1.0"
            obsm_keys = list(adata.obsm.keys()) if keys is None else list(keys)
            for k in obsm_keys:
                if k in f["obsm"]:
                    del f["obsm"][k]
                write_elem(f["obsm"], k, adata.obsm[k])
            if "uns" in f:
                del f["uns"]
            write_elem(f, "uns", dict(adata.uns))
    return Path(path)
