"""What every ``tc.tl`` front door does before and after its computation, written once.

* resolve: :func:`resolve_adata` (a MuData's modality, ``copy=True``, the backed refusal), :func:`check_adata`;
* refuse to overwrite data tamclass did not write: :func:`check_no_clobber` (any step, obs and obsm keys);
* check values: :func:`require_finite`, :func:`require_fraction`, :func:`require_int`, :func:`check_normalization`
  (the expression matrix of rank-based steps);
* record: :func:`warn` (a warning that is also kept for ``uns``), :func:`store` (``uns[key][step]``),
  :func:`library_version`.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._errors import InputError, TamclassWarning

#: the default of :func:`resolve_adata`'s ``writes``: where results go when a backed AnnData is used as is
WRITES_IN_MEMORY = "results go to the in-memory obs/obsm/uns"


# -------------------------------------------------------------------------------------------- resolve
def check_adata(adata) -> None:
    """Raise :class:`~tamclass.errors.InputError` unless ``adata`` is an AnnData with at least one cell."""
    from anndata import AnnData

    if not isinstance(adata, AnnData):
        raise InputError(f"expected an AnnData, got {type(adata).__name__}.")
    if adata.n_obs == 0:
        raise InputError("the AnnData has no cells.")


def resolve_adata(adata, copy: bool = False, *, mod: str | None = None, writes: str = WRITES_IN_MEMORY):
    """The AnnData a tool writes into: ``adata`` (a MuData's ``mod`` modality), or a copy with ``copy=True``.

    Checks it with :func:`check_adata`; ``copy=True`` on an AnnData opened with ``backed='r'`` is refused
    (it would load the whole matrix), the message saying where results go otherwise (``writes``).
    """
    from .._io import as_anndata

    adata = as_anndata(adata, mod, what="adata")
    check_adata(adata)
    return copy_for_writing(adata, writes) if copy else adata


def copy_for_writing(adata, writes: str = WRITES_IN_MEMORY):
    """``adata.copy()``, refused for an AnnData opened with ``backed='r'`` (the message says where results go)."""
    if adata.isbacked:
        raise InputError(
            "copy=True is not supported for an AnnData opened with backed='r' (it would load the "
            f"whole matrix); use copy=False ({writes}) or adata.to_memory() first."
        )
    return adata.copy()


# ------------------------------------------------------------------------------------------- clobber
def written_by(adata, key: str, step: str) -> bool:
    """Whether ``uns[key]`` holds the record of ``step`` (so the keys of that step are tamclass's)."""
    info = adata.uns.get(key)
    return isinstance(info, dict) and step in info


def check_no_clobber(adata, key: str, step: str, obs_cols=(), obsm_keys=()) -> None:
    """Refuse to overwrite obs/obsm entries that tamclass did not write (no ``uns[key][step]`` record)."""
    if written_by(adata, key, step):
        return
    clash = [c for c in obs_cols if c in adata.obs.columns] + [f"obsm[{k!r}]" for k in obsm_keys if k in adata.obsm]
    if clash:
        raise InputError(
            f"{clash} already exist and were not written by tamclass {step}; pass another key_added= "
            "(or delete them) so your data is not overwritten."
        )


# -------------------------------------------------------------------------------------------- values
def _is_number(val) -> bool:
    return not isinstance(val, bool) and isinstance(val, (int, float))


def require_finite(name: str, val) -> None:
    """``val`` must be a finite int or float (not a bool)."""
    if not _is_number(val) or not np.isfinite(val):
        raise InputError(f"{name} must be a finite number, got {val!r}.")


def require_fraction(name: str, val) -> None:
    """``val`` must be a number in [0, 1] (not a bool)."""
    if not _is_number(val) or not 0.0 <= float(val) <= 1.0:
        raise InputError(f"{name} must be a number between 0 and 1, got {val!r}.")


def require_int(name: str, val, lo: int, *, hint: str = "") -> None:
    """``val`` must be an integer (not a bool) >= ``lo``; ``hint`` is said after the bound."""
    if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < lo:
        raise InputError(f"{name} must be an integer >= {lo}{hint}, got {val!r}.")


def check_normalization(adata, notes: list[str], *, layer, use_raw) -> None:
    """Refuse scaled data (negative values); warn about linear-scale values (TPM/CPM without a log).

    The gate and classify rank expression, so the ranks do not change, but the gate's smoothing embedding
    and the classifier's panel use the values as stored.
    """
    from ..pp._normalization import detect_normalization

    kind = detect_normalization(adata, layer=layer, use_raw=use_raw)
    if kind == "scaled":
        raise InputError(
            "the matrix has negative values (scaled data?); gate ranks expression, so pass the "
            "log-normalised or count matrix (layer=, use_raw=True)."
        )
    if kind == "unknown":
        warn(
            notes,
            "gate: the matrix looks like linear-scale expression (TPM/CPM without a log: non-integer "
            "values above 30). Panel scores are ranks and do not change, but the smoothing embedding "
            "uses the values as stored; pass log1p values (sc.pp.log1p) or counts for the intended gate.",
        )


# -------------------------------------------------------------------------------------------- record
def warn(notes: list[str], message: str, stacklevel: int = 4) -> None:
    """Issue a TamclassWarning and keep its text for ``uns`` (so a saved file still says it).

    ``stacklevel`` counts from this function: 4 = the caller of a front door whose helper called ``warn``.
    """
    notes.append(message)
    warnings.warn(message, TamclassWarning, stacklevel=stacklevel)


def store(adata, key: str, step: str, info: dict) -> None:
    """``adata.uns[key][step] = info`` (``uns[key]`` becomes a dict if it is not one)."""
    uns = adata.uns.get(key)
    if not isinstance(uns, dict):
        uns = {}
    uns[step] = info
    adata.uns[key] = uns


def library_version() -> str:
    """The signature library's version for provenance records (``"unknown"`` if the library has none)."""
    from ..signatures._library import LIBRARY_VERSION

    return str(LIBRARY_VERSION) if LIBRARY_VERSION else "unknown"
