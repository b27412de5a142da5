"""Input adapter: validate an AnnData once, then stream its expression matrix in row chunks.

Everything that touches the user's matrix goes through here, so the kernels in
:mod:`tamclass.scoring` only ever see plain CSR chunks and never import AnnData.

* :func:`resolve_matrix` picks the matrix (``X`` | ``layers[layer]`` | ``raw.X``, scanpy's
  ``use_raw`` rule), the gene names to match against (``var_names`` or a ``gene_symbols=`` column)
  and checks what can be checked without reading the data (empty object, bad layer, ...).
* :meth:`MatrixSource.blocks` is the one chunk-source seam: a runner (:mod:`tamclass.scoring._blocks`) over
  ``(start, stop, csr_chunk)`` row blocks of dense arrays, CSR/CSC matrices, AnnData opened with
  ``backed="r"`` (``X[start:stop]`` slices, never the whole matrix) - one block after the other - or of a
  dask array, whose blocks run as dask tasks (:class:`tamclass._dask.DaskBlocks`). The first pass checks every
  value once (:func:`tamclass._values.check_values`: finite; non-negative for rank-based methods).
  :meth:`MatrixSource.iter_chunks` is the plain sequential stream.
* :func:`extract_genes` returns a dense ``float32`` cells x genes block of the requested genes,
  log-normalising raw counts on the fly (used by gating and the classifier).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._dask import DaskBlocks, is_dask
from ._errors import InputError
from ._settings import logger, progress_bar, settings
from ._values import BadValue, check_values, guess_normalization, lognorm_rows, to_csr, value_error
from .scoring._blocks import Blocks
from .signatures import match_genes

__all__ = ["MatrixSource", "resolve_matrix", "extract_genes", "map_genes", "describe_var_names"]


def _is_backed_sparse(X) -> bool:
    try:
        from anndata.abc import CSCDataset, CSRDataset

        return isinstance(X, (CSRDataset, CSCDataset))
    except ImportError:  # pragma: no cover - older anndata
        from anndata._core.sparse_dataset import BaseCompressedSparseDataset

        return isinstance(X, BaseCompressedSparseDataset)


def _is_h5_dataset(X) -> bool:
    try:
        import h5py
    except ImportError:  # pragma: no cover
        return False
    return isinstance(X, h5py.Dataset)


def _is_dask(X) -> bool:
    return is_dask(X)


def _matrix_kind(X) -> str:
    if isinstance(X, np.ndarray):
        return "dense"
    if sp.issparse(X):
        return X.format
    if _is_backed_sparse(X):
        return f"backed-{X.format}"
    if _is_h5_dataset(X):
        return "backed-dense"
    if _is_dask(X):
        return "dask"
    if isinstance(X, np.matrix):  # pragma: no cover - np.matrix is an ndarray subclass
        return "dense"
    return type(X).__name__


@dataclass
class MatrixSource:
    """The resolved expression matrix of an AnnData plus the names genes are matched against.

    Attributes
    ----------
    X
        The matrix object (ndarray, scipy sparse, backed dataset or dask array), cells x genes.
    var_names
        Names that signature genes are matched against (``var_names`` or the ``gene_symbols`` column).
    var_index
        The matrix's own ``var_names`` (e.g. Ensembl IDs when ``gene_symbols`` is used).
    obs_names
        Cell names.
    where
        Human-readable location: ``"X"``, ``"layers['counts']"`` or ``"raw.X"``.
    """

    X: Any  # ndarray, scipy sparse, backed h5py dataset / anndata sparse dataset, or dask array
    var_names: pd.Index
    var_index: pd.Index
    obs_names: pd.Index
    where: str
    backed: bool = False
    gene_symbols: str | None = None
    kind: str = field(init=False)

    def __post_init__(self):
        self.kind = _matrix_kind(self.X)

    @property
    def n_obs(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_vars(self) -> int:
        return int(self.X.shape[1])

    def describe(self) -> dict:
        """An h5ad-writable description of the input (for provenance in ``uns``)."""
        return {
            "matrix": self.where,
            "format": self.kind,
            "backed": bool(self.backed),
            "gene_symbols": self.gene_symbols or "",
            "n_obs": self.n_obs,
            "n_vars": self.n_vars,
        }

    # ------------------------------------------------------------------ streaming
    def default_chunk_size(self) -> int:
        """Rows per chunk: ``settings.chunk_size``, fewer for very wide dense matrices."""
        size = settings.chunk_size
        if self.kind == "dask":
            return int(max(self.X.chunks[0]))  # one dask block of rows at a time
        if self.kind in ("dense", "backed-dense"):
            # keep a dense chunk (float64 after conversion) below ~256 MB
            size = max(1, min(size, int(256e6 // (8 * max(self.n_vars, 1)))))
        return size

    def _read_rows(self, start: int, stop: int):
        X = self.X
        if self.kind == "dask":
            return X[start:stop].compute()
        if self.kind == "csr" and self._canonical():
            # zero-copy row view of an in-memory CSR matrix (kernels only read it)
            a, b = X.indptr[start], X.indptr[stop]
            # attributes set directly: scipy's constructor would copy views of a larger array (_prune_array)
            view = sp.csr_matrix((stop - start, X.shape[1]), dtype=X.dtype)
            view.data = X.data[a:b]
            view.indices = X.indices[a:b]
            view.indptr = X.indptr[start : stop + 1] - a
            view.has_canonical_format = True  # rows of a canonical matrix
            return view
        return X[start:stop]

    def _canonical(self) -> bool:
        if not hasattr(self, "_is_canonical"):
            X = self.X
            self._is_canonical = bool(X.has_canonical_format) and X.dtype.kind == "f" and X.dtype.itemsize in (4, 8)
        return self._is_canonical

    def iter_chunks(
        self,
        chunk_size: int | None = None,
        *,
        check_finite: bool = True,
        progress: bool | None = None,
        desc: str | None = None,
    ) -> Iterator[tuple[int, int, sp.csr_matrix]]:
        """Yield ``(start, stop, chunk)`` with ``chunk`` a canonical CSR matrix of rows ``start:stop``.

        Integer matrices are converted to ``float64``; ``float32``/``float64`` keep their dtype.
        Each chunk is checked for NaN/inf (the error names the first offending cell and gene).
        """
        n = self.n_obs
        if chunk_size is None:
            chunk_size = self.default_chunk_size()
        chunk_size = int(chunk_size)
        if chunk_size < 1:
            raise InputError(f"chunk_size must be a positive number of cells, got {chunk_size}")
        starts = range(0, n, chunk_size)
        for start in progress_bar(starts, total=len(starts), desc=desc, progress=progress):
            stop = min(start + chunk_size, n)
            chunk = to_csr(self._read_rows(start, stop))
            if check_finite:
                self.check_values(chunk, start)
            yield start, stop, chunk

    def check_values(self, chunk: sp.csr_matrix, start: int = 0, nonnegative: str | None = None) -> None:
        """Raise the tamclass error naming the first cell/gene with a NaN or infinite value.

        With ``nonnegative`` (the name of a method that ranks expression), negative values are refused too.
        """
        try:
            check_values(chunk, start, nonnegative is not None)
        except BadValue as err:
            raise value_error(err, self, nonnegative) from None

    def blocks(self, chunk_size: int | None = None, *, method=None, progress: bool | None = None) -> Blocks:
        """The row blocks as a runner for :func:`tamclass.scoring.score_chunks` (``map`` / ``fold``).

        A dask array runs its blocks as dask tasks (``chunk_size=None`` keeps its row chunks); anything else
        streams ``chunk_size`` rows at a time. The first pass checks the values: finite, and non-negative when
        ``method`` (a :class:`~tamclass.scoring.ScoringMethod`) ranks expression (``method.nonnegative``).
        """
        nonnegative = method.name if method is not None and method.nonnegative else None
        if self.kind == "dask":
            return DaskBlocks(self, chunk_size, nonnegative=nonnegative)
        checked = False

        def stream(desc: str):
            nonlocal checked
            check = not checked
            for start, stop, chunk in self.iter_chunks(chunk_size, check_finite=False, progress=progress, desc=desc):
                if check:
                    self.check_values(chunk, start, nonnegative)
                yield start, stop, chunk
            checked = True

        return Blocks(stream)

    def normalization(self, n_cells: int = 1000) -> str:
        """:func:`tamclass.pp.detect_normalization` of this matrix, from its first ``n_cells`` cells."""
        return guess_normalization(self.row_block(0, min(n_cells, self.n_obs)))

    def row_block(self, start: int, stop: int) -> sp.csr_matrix:
        """One canonical CSR chunk (no finiteness check)."""
        return to_csr(self._read_rows(start, stop))


# ---------------------------------------------------------------------------- resolution
def _looks_like_ensembl(names: Sequence[str]) -> bool:
    sample = [str(n) for n in list(names)[:200]]
    if not sample:
        return False
    hits = sum(n.upper().startswith(("ENSG", "ENSMUSG", "ENST", "ENSMUST")) for n in sample)
    return hits >= 0.5 * len(sample)


def _looks_like_mouse(names: Sequence[str]) -> bool:
    """Mouse symbols are capitalised (Cd68), human ones upper case (CD68)."""
    sample = [str(n) for n in list(names)[:500] if str(n)[:1].isalpha()]
    if not sample:
        return False
    mouse = sum(n[0].isupper() and any(c.islower() for c in n[1:]) for n in sample)
    return mouse >= 0.5 * len(sample)


def describe_var_names(var_names: Sequence[str]) -> str:
    """A short hint on what kind of gene names these are (used in error messages)."""
    names = list(var_names)
    shown = ", ".join(repr(str(n)) for n in names[:5])
    if _looks_like_ensembl(names):
        kind = "they look like Ensembl IDs: pass gene_symbols='<var column with symbols>'"
    elif _looks_like_mouse(names):
        kind = "they look like mouse symbols: pass species='mouse'"
    else:
        kind = "they look like human symbols; for mouse data pass species='mouse'"
    return f"var names seen: {shown}{', ...' if len(names) > 5 else ''} ({kind})"


def resolve_matrix(
    adata,
    *,
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
) -> MatrixSource:
    """Pick the matrix and gene names to use, validating what can be checked up front.

    ``use_raw=None`` follows scanpy: use ``.raw`` when it exists and no ``layer`` is given.
    """
    try:
        from anndata import AnnData
    except ImportError:  # pragma: no cover
        AnnData = None
    if AnnData is not None and not isinstance(adata, AnnData):
        raise InputError(
            f"expected an AnnData object, got {type(adata).__name__}; "
            "read your file with anndata.read_h5ad(...) or build one with anndata.AnnData(X, obs, var)"
        )
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise InputError(
            f"the AnnData is empty ({adata.n_obs} cells x {adata.n_vars} genes); check the filtering that produced it"
        )
    if use_raw is None:
        use_raw = layer is None and adata.raw is not None
    use_raw = bool(use_raw)
    backed = bool(getattr(adata, "isbacked", False))
    if use_raw and layer is not None:
        raise InputError(f"use_raw=True and layer={layer!r} both given; choose one (the raw matrix has no layers)")
    if use_raw:
        if adata.raw is None:
            raise InputError("use_raw=True but adata.raw is empty; pass use_raw=False (or layer=...) to use adata.X")
        X = adata.raw.X
        var = adata.raw.var
        var_index = pd.Index(adata.raw.var_names)
        where = "raw.X"
    elif layer is not None:
        if layer not in adata.layers:
            raise InputError(
                f"layer {layer!r} not found in adata.layers (available: {list(adata.layers.keys())}); "
                "pass layer=None to use adata.X"
            )
        X = adata.layers[layer]
        var = adata.var
        var_index = pd.Index(adata.var_names)
        where = f"layers[{layer!r}]"
    else:
        X = adata.X
        if X is None:
            raise InputError("adata.X is None; pass layer=... or use_raw=True to pick a matrix")
        var = adata.var
        var_index = pd.Index(adata.var_names)
        where = "X"
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise InputError(f"the matrix {where} is empty ({X.shape[0]} x {X.shape[1]})")
    if gene_symbols is not None:
        if gene_symbols not in var.columns:
            raise InputError(
                f"gene_symbols={gene_symbols!r} is not a column of {'adata.raw.var' if use_raw else 'adata.var'} "
                f"(columns: {list(var.columns)}); pass the column that holds gene symbols, or gene_symbols=None "
                "to match var_names"
            )
        col = var[gene_symbols]
        names = pd.Index(["" if pd.isna(v) else str(v) for v in col])
    elif var_index.dtype == object or pd.api.types.is_string_dtype(var_index.dtype):
        names = var_index
    else:
        names = pd.Index([str(v) for v in var_index])
    return MatrixSource(
        X=X,
        var_names=names,
        var_index=var_index,
        obs_names=pd.Index(adata.obs_names),
        where=where,
        backed=backed and (use_raw or layer is None),
        gene_symbols=gene_symbols,
    )


def _match_genes(genes, var_names, species):
    return match_genes(list(genes), var_names, species=species)


def map_genes(
    genes: Sequence[str], source: MatrixSource, *, species: str = "human"
) -> tuple[dict[str, int], list[str]]:
    """Map gene symbols to matrix column positions.

    Returns ``(found, missing)`` with ``found`` an ordered dict ``symbol -> column`` (first occurrence
    of each symbol kept). A symbol whose matched name occurs more than once in the data is an error
    (it would be ambiguous which column to use).
    """
    genes = list(dict.fromkeys(str(g) for g in genes))
    found_names, missing = _match_genes(genes, source.var_names, species)
    names = source.var_names
    targets = [found_names[g] for g in genes if g in found_names]
    if targets:
        counts = pd.Series(names[names.isin(targets)]).value_counts()
        dups = counts[counts > 1]
        if len(dups):
            what = f"adata.var[{source.gene_symbols!r}]" if source.gene_symbols else "the var names"
            raise InputError(
                f"gene names needed for scoring occur more than once in {what}: "
                f"{', '.join(f'{n!r} (x{c})' for n, c in dups.items())}; "
                "run adata.var_names_make_unique() or pass a gene_symbols= column with unique symbols"
            )
    wanted = set(targets)
    position = {n: i for i, n in enumerate(names) if n in wanted}
    found = {g: int(position[found_names[g]]) for g in genes if g in found_names}
    return found, list(missing)


# ---------------------------------------------------------------------------- extract_genes
def _extract_rows(chunk: sp.csr_matrix, cols: np.ndarray, lognorm: bool) -> np.ndarray:
    """Dense ``float32`` rows x ``cols`` of one block (``log1p(CP10k)`` per cell first with ``lognorm``)."""
    if lognorm:
        chunk = lognorm_rows(chunk)
    if not len(cols):
        return np.zeros((chunk.shape[0], 0), dtype=np.float32)
    return chunk[:, cols].toarray().astype(np.float32, copy=False)


def extract_genes(
    adata,
    genes: Sequence[str],
    *,
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
    normalize: str | bool | None = "auto",
    chunk_size: int | None = None,
    species: str = "human",
    progress: bool | None = None,
) -> tuple[np.ndarray, list[str], list[str]]:
    """Dense expression of ``genes`` for every cell, streamed in row chunks.

    Parameters
    ----------
    adata
        AnnData (in memory, ``backed="r"`` or dask-backed).
    genes
        Gene symbols wanted (aliases/old symbols are matched via
        :func:`tamclass.signatures.match_genes`).
    layer, use_raw, gene_symbols
        Which matrix and which gene names (scanpy semantics; see :func:`resolve_matrix`).
    normalize
        ``"auto"``: raw counts (detected with :func:`tamclass.pp.detect_normalization`) become
        ``log1p(CP10k)`` per cell, log-normalised data is left as is. ``True``: always treat the
        matrix as counts and log-normalise. ``False``/``None``: return values as stored.
    chunk_size
        Cells per chunk (default ``tamclass.settings.chunk_size``).

    Returns
    -------
    ``(X, found, missing)``: ``X`` is ``float32`` cells x ``len(found)``; ``found`` lists the requested
    symbols present (in the order requested), ``missing`` the others.

    Examples
    --------
    >>> X, found, missing = extract_genes(adata, ["CD68", "CD163", "MRC1"])
    """
    source = resolve_matrix(adata, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols)
    found, missing = map_genes(genes, source, species=species)
    cols = np.fromiter(found.values(), dtype=np.int64, count=len(found))
    out = np.zeros((source.n_obs, len(cols)), dtype=np.float32)
    if normalize == "auto":
        kind = source.normalization()
        lognorm = kind == "counts"
        if lognorm:
            logger.info("extract_genes: %s looks like raw counts; using log1p(CP10k) per cell", source.where)
        elif kind in ("unknown", "scaled"):
            logger.warning(
                "extract_genes: %s does not look like log-normalised expression (detected %r); using it as is",
                source.where,
                kind,
            )
    elif normalize is True:
        lognorm = True
    elif normalize in (False, None):
        lognorm = False
    else:
        raise InputError(f"normalize must be 'auto', True or False, got {normalize!r}")
    blocks = source.blocks(chunk_size, progress=progress)
    for start, stop, part in blocks.map(_extract_rows, cols, lognorm, desc="extract genes"):
        out[start:stop] = part
    return out, list(found), missing
