"""``tc.tl.score``: score gene signatures in every cell, all signatures in one pass over the matrix.

The front door :func:`score` resolves (signatures, matrix, genes), computes (one pass of the scoring engine over
the matrix's row blocks, :meth:`tamclass._data.MatrixSource.blocks`) and writes (``obsm``, ``uns``, optional
``obs`` columns); each step is a named helper below.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import signatures as sigmod
from .._data import _looks_like_mouse, describe_var_names, map_genes, resolve_matrix
from .._errors import GeneOverlapError, InputError, NormalizationError, SignatureError, TamclassWarning
from .._io import as_anndata
from .._keys import DEFAULT_KEY
from .._settings import logger, numba_threads
from .._version import __version__
from ..get import check_obs_free, scores_to_obs
from ..pp._normalization import detect_normalization
from ..scoring import _engine
from ..scoring._registry import CTRL_SIZE, MAX_RANK, N_BINS, get_method
from ..scoring._sets import IndexedSet
from ._common import copy_for_writing, library_version

__all__ = ["score"]


def _implicit_names(signatures, species: str) -> set[str]:
    """Names of sets that came from ``"default"``, ``"all"`` or a category (skipped, not errors, when absent)."""
    if isinstance(signatures, str):
        tokens = [signatures]
    elif isinstance(signatures, (list, tuple)) and all(isinstance(t, str) for t in signatures):
        tokens = list(signatures)
    else:
        return set()
    categories = set(getattr(sigmod, "CATEGORIES", ()))
    implicit: set[str] = set()
    for tok in tokens:
        if tok in ("default", "all") or tok in categories:
            try:
                implicit |= set(sigmod.resolve(tok, species=species))
            except Exception:  # noqa: BLE001
                pass
    return implicit


def _check_min_genes(min_genes) -> int:
    if min_genes is None:
        return 1
    if isinstance(min_genes, bool) or int(min_genes) != min_genes or min_genes < 1:
        raise InputError(f"min_genes must be a positive integer, got {min_genes!r}")
    return int(min_genes)


def _check_key(key_added) -> None:
    if not isinstance(key_added, str) or not key_added:
        raise InputError(f"key_added must be a non-empty string, got {key_added!r}")


def _resolve_signatures(signatures, species: str) -> dict:
    sigs = sigmod.resolve(signatures, species=species)
    slashed = [n for n in sigs if "/" in n]
    if slashed:
        raise SignatureError(
            f"signature names cannot contain '/' (h5ad files use it as a path separator): {slashed}; rename them, "
            "e.g. {name.replace('/', '_'): genes}"
        )
    return sigs


def _warn_species_mismatch(var_names, species: str) -> None:
    """Case-insensitive matching would let human data pass a mouse run silently (and vice versa): say so."""
    names = [str(n) for n in list(var_names)[:500] if str(n)[:1].isalpha()]
    looks_human = bool(names) and sum(n.isupper() for n in names) >= 0.5 * len(names)
    if species == "mouse" and looks_human:
        warnings.warn(
            f"species='mouse' but the var names look like human symbols (upper case, e.g. {names[0]!r}); "
            "pass species='human' for human data",
            TamclassWarning,
            stacklevel=3,
        )
    elif species == "human" and _looks_like_mouse(names):
        warnings.warn(
            f"species='human' but the var names look like mouse symbols (e.g. {names[0]!r}); "
            "pass species='mouse' for mouse data",
            TamclassWarning,
            stacklevel=3,
        )


def _overlap_hint(source, species: str) -> str:
    hint = describe_var_names(source.var_names)
    return f"{hint}; or lower min_genes="


def _index_set(name: str, sig, found: dict, source, meth) -> tuple[IndexedSet, dict, int, int]:
    """One signature as matrix columns, its provenance entry, and (genes present, genes in the set)."""
    up = list(dict.fromkeys(sig.up))
    down = [g for g in dict.fromkeys(sig.down) if g not in up]
    up_found = [g for g in up if g in found]
    down_found = [g for g in down if g in found]
    indexed = IndexedSet(
        name=name,
        up=np.asarray([found[g] for g in up_found], dtype=np.int64),
        down=np.asarray([found[g] for g in down_found], dtype=np.int64),
        n_up_missing=len(up) - len(up_found),
        n_down_missing=len(down) - len(down_found),
    )
    info = {
        "genes_used": up_found + down_found,
        "genes_matched": [str(source.var_names[found[g]]) for g in up_found + down_found],
        "genes_missing": [g for g in up + down if g not in found],
        "n_up": len(up_found),
        "n_down": len(down_found),
        "method": meth.name,
        "version": str(sig.version or ""),
        "category": str(sig.category or ""),
    }
    return indexed, info, len(up_found) + len(down_found), len(up) + len(down)


def _index_sets(sigs: dict, source, meth, min_genes: int, implicit: set[str], species: str):
    """``(indexed sets, provenance per set, skipped names)``; too few genes in a named set is an error."""
    all_genes = list(dict.fromkeys(g for s in sigs.values() for g in (*s.up, *s.down)))
    found, _missing = map_genes(all_genes, source, species=species)
    indexed, info, skipped, too_few, partial = [], {}, [], [], []
    for name, sig in sigs.items():
        one, entry, n_present, n_total = _index_set(name, sig, found, source, meth)
        if n_present < min_genes:
            if name in implicit:
                skipped.append(name)
            else:
                too_few.append(f"{name!r} ({n_present} of {n_total})")
            continue
        if n_present < 0.5 * n_total:
            partial.append(f"{name} ({n_present}/{n_total})")
        indexed.append(one)
        info[name] = entry
    if too_few:
        raise GeneOverlapError(
            f"too few genes of these signatures are in {source.where} (need min_genes={min_genes}): "
            f"{', '.join(too_few)}; {_overlap_hint(source, species)}"
        )
    if not indexed:
        raise GeneOverlapError(
            f"none of the {len(sigs)} signature(s) has {min_genes} or more genes in {source.where} "
            f"({source.n_vars} genes); {_overlap_hint(source, species)}"
        )
    if partial:
        logger.warning(
            "%d signature(s) scored on fewer than half of their genes (genes in data/total): %s",
            len(partial),
            ", ".join(partial),
        )
    if skipped:
        need = "no genes" if min_genes == 1 else f"fewer than {min_genes} genes"
        warnings.warn(
            f"skipped {len(skipped)} signature(s) with {need} in {source.where}: {', '.join(skipped)}",
            TamclassWarning,
            stacklevel=3,
        )
    return indexed, info, skipped


def _check_normalization(source, meth) -> str:
    """The detected normalisation; refuse scaled data for rank methods, warn when a z-score method gets counts."""
    kind = detect_normalization(source)
    if meth.nonnegative and kind == "scaled":
        raise NormalizationError(
            f"method={meth.name!r} ranks expression within each cell, but {source.where} has negative values "
            "(scaled data?); score the log-normalised or count matrix instead (use_raw=True or layer=...)"
        )
    if not meth.nonnegative and kind in ("counts", "scaled", "unknown"):
        warnings.warn(
            f"method={meth.name!r} expects log-normalised expression but {source.where} looks like {kind!r} data; "
            "normalise (sc.pp.normalize_total + sc.pp.log1p) or use method='rank'",
            TamclassWarning,
            stacklevel=3,
        )
    return kind


def _compute(meth, indexed, source, params: dict, chunk_size, progress):
    """All sets in one pass of the engine over the row blocks (sequential, or dask tasks for a dask array)."""
    blocks = source.blocks(chunk_size, method=meth, progress=progress)
    with numba_threads():
        return _engine.score_chunks(meth, indexed, blocks, source.n_obs, source.n_vars, params)


def score(
    adata,
    signatures="default",
    *,
    method: str = "rank",
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
    key_added: str = DEFAULT_KEY,
    chunk_size: int | None = None,
    random_state: int | None = 0,
    copy: bool = False,
    max_rank: int = MAX_RANK,
    n_up: int | float | None = None,
    ctrl_size: int = CTRL_SIZE,
    n_bins: int = N_BINS,
    min_genes: int | None = None,
    species: str = "human",
    progress: bool | None = None,
    obs_columns: bool | str = False,
    mod: str | None = None,
):
    """Score gene signatures in every cell.

    All signatures are scored in one streamed pass over the expression matrix (two for
    ``module``/``mean``, whose first pass computes per-gene statistics), chunk by chunk, so
    AnnData objects opened with ``backed="r"`` are never loaded whole.

    Parameters
    ----------
    adata
        Cells x genes AnnData (in memory or ``backed="r"``). Never modified except for the
        keys listed under Returns.
    signatures
        ``"default"``, ``"all"``, a library set or category name, a list of these, a dict
        ``{name: [genes]}`` (UCell's ``GENE+``/``GENE-`` suffixes mark up/down genes),
        :class:`~tamclass.signatures.Signature` objects, a ``.gmt`` path or a decoupler ``net``
        DataFrame (``source``, ``target``, optional ``weight``; a negative weight marks a down
        gene); see :func:`tamclass.signatures.resolve`.
    method
        ``"rank"`` (UCell, default), ``"module"`` (scanpy ``score_genes``), ``"aucell"``
        (decoupler AUCell) or ``"mean"`` (mean per-gene z-score); see ``tc.scoring.methods()``.
        ``rank`` and ``aucell`` scores of a cell depend on that cell only.
    layer, use_raw
        Matrix to score: ``adata.layers[layer]``, ``adata.raw.X`` or ``adata.X``. ``use_raw=None``
        follows scanpy: ``.raw`` when present and no layer is given.
    gene_symbols
        Column of ``var`` holding gene symbols, when ``var_names`` are e.g. Ensembl IDs.
    key_added
        Prefix of the keys written (see Returns).
    chunk_size
        Cells per chunk (default ``tc.settings.chunk_size``, 10,000). Threads of the scoring
        kernels: ``tc.settings.n_jobs``.
    random_state
        Seed. ``module``: control-gene draws (only when a bin holds more than ``ctrl_size``
        genes); ``aucell``: the tie-breaking gene shuffle (0 = decoupler's). Never touches the
        global NumPy RNG.
    copy
        Return a scored copy instead of writing into ``adata``.
    max_rank
        ``rank``: ranks above this count as ``max_rank`` (UCell's ``maxRank``).
    n_up
        ``aucell``: genes in the recovery curve; default ``ceil(5%)`` of the genes (decoupler's).
    ctrl_size, n_bins
        ``module``: control genes per expression bin and number of bins (scanpy's defaults).
    min_genes
        Fewest genes of a signature that must be present (default 1). A set you named
        explicitly with fewer raises :class:`~tamclass._errors.GeneOverlapError`; sets that came
        from ``"default"``, ``"all"`` or a category are skipped with a warning and listed in
        ``uns[key_added]["score"]["skipped"]``.
    species
        ``"human"`` or ``"mouse"``: which symbols (and aliases) to match.
    progress
        Show a progress bar (default: only in an interactive terminal).
    obs_columns
        Also copy the new scores into ``adata.obs`` columns named like the signatures (a string:
        used as a prefix of the names), so ``scanpy.pl.umap(adata, color="Cheng2021_M2")`` works.
        Off by default. An existing ``obs`` column that tamclass did not write is never replaced:
        the call fails before scoring. Same as :func:`tamclass.get.scores_to_obs` afterwards.
    mod
        Modality to score when ``adata`` is a :class:`mudata.MuData` (default ``"rna"``); results
        are written into ``mdata.mod[mod]``.

    Returns
    -------
    ``None``, or the scored copy when ``copy=True``. Writes:

    ``adata.obsm[f"{key_added}_scores"]``
        DataFrame cells x signatures (``float64``, like scanpy's ``obs`` scores; index = ``obs_names``, columns = set names).
        Existing columns of other signatures are kept; columns of re-scored sets are replaced.
    ``adata.uns[key_added]["score"]``
        Provenance: method, params, library and tamclass versions, per-signature
        ``genes_used``/``genes_missing``/``n_up``/``n_down``, ``skipped`` and the input used.
    ``adata.obs[name]`` (only with ``obs_columns``)
        Copies of the new score columns; their names are listed in ``adata.uns[key_added]["obs_columns"]``.

    decoupler reads the scores as an AnnData with ``decoupler.pp.get_obsm(adata, "tamclass_scores")``.

    Missing genes: ``rank`` counts absent genes as unexpressed (UCell/pyucell ``impute``); the
    other methods use the present genes only.

    Examples
    --------
    >>> import scanpy as sc, tamclass as tc
    >>> adata = sc.datasets.pbmc68k_reduced()
    >>> tc.tl.score(adata, {"mono": ["CD14", "LYZ", "S100A8", "FCN1"], "T": ["CD3D", "CD3E", "IL7R"]})
    >>> adata.obsm["tamclass_scores"].columns.tolist()
    ['mono', 'T']
    >>> adata.uns["tamclass"]["score"]["method"]
    'rank'
    """
    adata = as_anndata(adata, mod, what="adata")
    meth = get_method(method)
    prefix = _obs_prefix(obs_columns)
    _check_key(key_added)
    min_genes = _check_min_genes(min_genes)
    if copy:
        adata = copy_for_writing(adata, "scores are written to the in-memory obsm/uns")
    # resolve: signatures, matrix, genes
    sigs = _resolve_signatures(signatures, species)
    if prefix is not None:  # fail before the work, not after it
        check_obs_free(adata, [f"{prefix}{n}" for n in sigs], key_added)
    implicit = _implicit_names(signatures, species)
    source = resolve_matrix(adata, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols)
    _warn_species_mismatch(source.var_names, species)
    indexed, info, skipped = _index_sets(sigs, source, meth, min_genes, implicit, species)
    kind = _check_normalization(source, meth)
    # compute
    params = {
        "max_rank": max_rank,
        "n_up": n_up,
        "ctrl_size": ctrl_size,
        "n_bins": n_bins,
        "random_state": random_state,
    }
    values, plan = _compute(meth, indexed, source, params, chunk_size, progress)
    # write
    names = [s.name for s in indexed]
    new = pd.DataFrame(values, index=pd.Index(adata.obs_names), columns=names)
    _write(adata, key_added, new, _provenance(meth, plan, params, source, kind, info, skipped, layer, use_raw, species))
    if prefix is not None:
        scores_to_obs(adata, names, key_added=key_added, prefix=prefix)
    return adata if copy else None


def _obs_prefix(obs_columns) -> str | None:
    """``obs_columns``: False -> None (no obs columns), True -> "" (no prefix), a string -> that prefix."""
    if obs_columns is False or obs_columns is None:
        return None
    if obs_columns is True:
        return ""
    if isinstance(obs_columns, str):
        return obs_columns
    raise InputError(f"obs_columns must be True, False or a prefix string, got {obs_columns!r}")


def _used_params(meth, plan, params) -> dict:
    rs = params["random_state"]
    rs = -1 if rs is None or not isinstance(rs, (int, np.integer)) else int(rs)
    if meth.name == "rank":
        return {"max_rank": int(plan.max_rank), "w_neg": float(plan.w_neg), "missing_genes": "impute"}
    if meth.name == "aucell":
        return {"n_up": int(plan.n_up), "tie_seed": rs if rs >= 0 else 0}
    if meth.name == "module":
        return {
            "ctrl_size": int(params["ctrl_size"]),
            "n_bins": int(params["n_bins"]),
            "ctrl_as_ref": True,
            "random_state": rs,
        }
    return {"zscore_ddof": 1}


def _provenance(meth, plan, params, source, kind, info, skipped, layer, use_raw, species) -> dict:
    inp = source.describe()
    inp.update({"layer": layer or "", "normalization": kind, "species": species})
    if meth.name == "module":
        for (_name, entry), n_ctrl in zip(info.items(), plan.n_controls, strict=False):
            entry["n_controls"] = [int(c) for c in n_ctrl]
    return {
        "method": meth.name,
        "params": _used_params(meth, plan, params),
        "reference": meth.reference,
        "peer": meth.peer,
        "library_version": library_version(),
        "tamclass_version": __version__,
        "signatures": info,
        "skipped": list(skipped),
        "input": inp,
    }


def _write(adata, key_added: str, new: pd.DataFrame, prov: dict) -> None:
    key = f"{key_added}_scores"
    if key_added in adata.uns and not isinstance(adata.uns[key_added], Mapping):
        raise InputError(
            f"adata.uns[{key_added!r}] exists and is not a dict ({type(adata.uns[key_added]).__name__}); "
            "pass another key_added= so it is not overwritten"
        )
    old = adata.obsm[key] if key in adata.obsm else None
    old_prov = {}
    if key_added in adata.uns and isinstance(adata.uns[key_added].get("score"), Mapping):
        old_prov = dict(adata.uns[key_added]["score"].get("signatures", {}))
    if isinstance(old, pd.DataFrame) and old.index.equals(new.index):
        kept = [c for c in old.columns if c not in new.columns]
        if kept:
            logger.info("obsm[%r]: kept %d earlier score column(s): %s", key, len(kept), ", ".join(map(str, kept)))
        order = list(old.columns) + [c for c in new.columns if c not in old.columns]
        out = pd.concat([old[kept], new], axis=1)[order]
        prov["signatures"] = {**{c: old_prov[c] for c in kept if c in old_prov}, **prov["signatures"]}
    else:
        if old is not None:
            logger.warning("obsm[%r] existed but was not a score table of these cells; replaced it", key)
        out = new
    adata.obsm[key] = out
    if key_added not in adata.uns:
        adata.uns[key_added] = {}
    adata.uns[key_added]["score"] = prov
    logger.info("added obsm[%r] (%d signatures) and uns[%r]['score']", key, new.shape[1], key_added)
