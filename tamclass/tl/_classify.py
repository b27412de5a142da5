"""``tc.tl.classify``: M1-like / M2-like state, Ma 2022 TAM subset and a polarization index per macrophage."""
from __future__ import annotations

import warnings
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .._errors import InputError, NotMacrophageWarning, TamclassWarning
from .._settings import logger
from ._gate import _check_adata, _library_version, check_no_clobber

STATE_SETS = ("Cheng2021_M1", "Cheng2021_M2")
STATE_CLASSES = ("M1-like", "M2-like")
SUBSET_SETS = ("Ma2022_IFN_TAM", "Ma2022_Reg_TAM", "Ma2022_Inflam_TAM", "Ma2022_LA_TAM", "Ma2022_Angio_TAM",
               "Ma2022_RTM_TAM", "Ma2022_Prolif_TAM")
SUBSET_CLASSES = ("IFN-TAM", "Reg-TAM", "Inflam-TAM", "LA-TAM", "Angio-TAM", "RTM-TAM", "Prolif-TAM")
UNASSIGNED = "unassigned"
NOT_MACROPHAGE = "not macrophage"


def _keys(k):
    return {
        "state": f"{k}_state", "state_confidence": f"{k}_state_confidence", "subset": f"{k}_subset",
        "subset_confidence": f"{k}_subset_confidence", "polarization": f"{k}_polarization",
        "state_proba": f"{k}_state_proba", "subset_proba": f"{k}_subset_proba",
        "label": f"{k}_label", "label_confidence": f"{k}_label_confidence", "label_proba": f"{k}_label_proba",
    }


def _labels(proba: np.ndarray, classes, threshold: float, mask: np.ndarray, n_obs: int):
    """Categorical labels over all cells: argmax when max proba >= threshold, else unassigned;
    'not macrophage' outside the mask. Also returns the confidence (max proba, NaN outside)."""
    cats = [*classes, UNASSIGNED, NOT_MACROPHAGE]
    lab = np.full(n_obs, NOT_MACROPHAGE, dtype=object)
    conf = np.full(n_obs, np.nan)
    if proba is not None and proba.shape[0]:
        c = proba.max(axis=1)
        best = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
        lab[mask] = np.where(c >= threshold, best, UNASSIGNED)
        conf[mask] = c
    elif mask.any():
        lab[mask] = UNASSIGNED
    return pd.Categorical(lab, categories=cats), conf


def _proba_frame(proba, classes, mask, obs_names) -> pd.DataFrame:
    full = np.full((len(obs_names), len(classes)), np.nan)
    if proba is not None and proba.shape[0]:
        full[mask] = proba
    return pd.DataFrame(full, index=pd.Index(obs_names), columns=pd.Index(list(classes)))


_CALIBRATION_PROTOCOL = (
    "held-out seeds (calibration_fraction, stratified) split half/half with the seed: temperature fitted on the "
    "calibration part (NLL); held_out_accuracy and ece_uncalibrated/ece_calibrated measured on the disjoint "
    "evaluation part; ece_calibration_part = ECE after scaling on the cells T was fitted on"
)


def _train_from_seeds(X, labels, classes, *, kind, genes, hidden, epochs, lr, batch_size, max_seeds_per_class,
                      min_seeds_per_class, calibration_fraction, random_state, device, species, progress):
    """Train + calibrate a Model on seed cells; drops classes with too few seeds. Returns (model|None, info)."""
    from ..classifier._fit import fit_classifier
    from ..classifier._model import Model
    from ..classifier._seeds import cap_per_class

    counts = {classes[c]: int((labels == c).sum()) for c in range(len(classes))}
    keep = [c for c in range(len(classes)) if counts[classes[c]] >= min_seeds_per_class]
    info = {"n_seeds": counts, "classes_dropped": [classes[c] for c in range(len(classes)) if c not in keep]}
    if len(keep) < 2:
        info["status"] = (f"not trained: fewer than 2 classes with >= {min_seeds_per_class} seed cells "
                          f"(seeds per class: {counts})")
        return None, info
    remap = np.full(len(classes), -1)
    remap[keep] = np.arange(len(keep))
    y_all = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
    rng = np.random.default_rng(random_state)
    idx = cap_per_class(y_all, max_seeds_per_class, rng)
    fit = fit_classifier(X[idx], y_all[idx], len(keep), hidden=hidden, epochs=epochs, lr=lr, batch_size=batch_size,
                         calibration_fraction=calibration_fraction, seed=random_state, device=device, progress=progress)
    kept = [classes[c] for c in keep]
    from .._version import __version__

    model = Model(
        genes=genes, classes=kept, weights=fit["weights"], mean=fit["mean"], scale=fit["scale"],
        temperature=fit["temperature"], kind=kind, species=species,
        metadata={
            "tamclass_version": __version__,
            "library_version": _library_version(),
            "training": {
                "label_key": f"signature seeds ({kind})",
                "n_cells_per_class": {kept[int(c)]: int(n) for c, n in zip(*np.unique(y_all[idx], return_counts=True))},
                "random_state": int(random_state),
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "hidden": int(hidden), "epochs": int(epochs),
                "ece_uncalibrated": fit["ece_uncalibrated"], "ece_calibrated": fit["ece_calibrated"],
                "held_out_accuracy": fit["held_out_accuracy"], "n_train": fit["n_train"],
                "n_calibration": fit["n_calibration"], "n_evaluation": fit["n_evaluation"],
                "ece_calibration_part": fit["ece_calibration_part"],
                "calibration_protocol": _CALIBRATION_PROTOCOL,
            },
        },
    )
    info.update({
        "status": "trained", "classes": kept, "temperature": fit["temperature"],
        "ece_uncalibrated": fit["ece_uncalibrated"], "ece_calibrated": fit["ece_calibrated"],
        "held_out_accuracy": fit["held_out_accuracy"], "n_train": fit["n_train"], "n_calibration": fit["n_calibration"],
        "n_evaluation": fit["n_evaluation"], "ece_calibration_part": fit["ece_calibration_part"],
        "calibration_protocol": _CALIBRATION_PROTOCOL,
        "final_loss": fit["loss_history"][-1] if fit["loss_history"] else float("nan"),
    })
    return model, info


def classify(
    adata,
    model=None,
    *,
    device: str = "auto",
    key_added: str = "tamclass",
    random_state: int = 0,
    state_threshold: float = 0.7,
    subset_threshold: float = 0.5,
    seed_quantile: float = 0.2,
    subset_seed_quantile: float = 0.1,
    min_seeds_per_class: int = 10,
    max_seeds_per_class: int = 3000,
    hidden: int = 16,
    epochs: int = 20,
    lr: float = 5e-3,
    batch_size: int = 256,
    calibration_fraction: float = 0.25,
    min_overlap: float = 0.5,
    threshold: float = 0.5,
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
    species: str = "human",
    groupby: str | None = None,
    progress: bool | None = None,
    copy: bool = False,
):
    """Classify gated macrophages into M1-like / M2-like states and Ma 2022 TAM subsets.

    Works on the cells with ``obs[f"{key_added}_is_macrophage"] == True``; if that column is missing,
    :func:`tamclass.tl.gate` is run first (logged at warning level).

    **Without a model** (``model=None``; the Garnett idea, Pliner et al. 2019): the macrophages are scored
    with the rank (UCell) method on ``Cheng2021_M1`` / ``Cheng2021_M2`` and the seven Ma 2022 subset sets.
    With d = z(M2) - z(M1) (z over the macrophages), the ``seed_quantile`` lowest (d < 0) seed M1-like and
    the highest (d > 0) M2-like; for subsets, cells whose top z-scored subset leads the runner-up and is in
    the top ``subset_seed_quantile`` of that lead seed that subset (subsets with < ``min_seeds_per_class``
    seeds are dropped and listed in ``uns``). A small torch network (``hidden`` ReLU units; 0 = softmax
    regression) is trained on the log1p(CP10k), standardised expression of a fixed panel (the union of the
    genes of those nine sets present in the data), on a stratified ``1 - calibration_fraction`` of the
    seeds. The held-out seeds are split (stratified, half/half, deterministic with ``random_state``) into a
    calibration part, on which a temperature is fitted (Guo et al. 2017), and a disjoint evaluation part, on
    which the held-out accuracy and the expected calibration error before/after scaling are recorded.
    All macrophages are then labelled. Because seeds are the tails of the
    macrophages in ``adata``, states are relative to the macrophages classified together.

    * state: the most probable class when its calibrated probability >= ``state_threshold`` (0.7), else
      ``"unassigned"``; subset: same with ``subset_threshold`` (0.5).
    * polarization index = P(M2-like) - P(M1-like) in [-1, 1] from the calibrated state model
      (negative = M1-like, positive = M2-like).

    **With a model** (a :class:`tamclass.Model` or the path of a saved one): its calibrated probabilities
    for the macrophages go to ``obs[f"{key}_label"]`` (``"unassigned"`` below ``threshold``),
    ``_label_confidence`` and ``obsm[f"{key}_label_proba"]``. A model whose classes are exactly
    M1-like / M2-like also fills the state keys and the polarization index; one whose classes are
    subset names (IFN-TAM, Reg-TAM, ...) fills the subset keys.

    Non-macrophages get ``"not macrophage"``, NaN confidence, NaN probability rows and NaN polarization.
    When there are no macrophages at all a :class:`~tamclass._errors.NotMacrophageWarning` is issued and
    only those "not macrophage"/NaN values are written (plus ``uns[key]["classify"]["status"]``).

    Parameters
    ----------
    adata
        Cells x genes (raw counts or log-normalised).
    model
        None, a :class:`tamclass.Model`, or a path to a saved model.
    device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    key_added
        Prefix of the keys written (and of the gate keys read).
    random_state
        Seed of the network initialisation, mini-batch order, seed capping and calibration split.
    min_overlap
        A model refuses data holding less than this fraction of its genes (GeneOverlapError).
    groupby
        Passed to :func:`tamclass.tl.gate` when the gate has to be run.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    None, or the AnnData when ``copy=True``. Writes (prefix ``k = key_added``):
    ``obs[f"{k}_state"]`` (M1-like / M2-like / unassigned / not macrophage), ``obs[f"{k}_state_confidence"]``,
    ``obs[f"{k}_subset"]``, ``obs[f"{k}_subset_confidence"]``, ``obs[f"{k}_polarization"]``,
    ``obsm[f"{k}_state_proba"]``, ``obsm[f"{k}_subset_proba"]`` (rows sum to 1; NaN rows for non-macrophages),
    with a model ``obs[f"{k}_label"]``, ``obs[f"{k}_label_confidence"]``, ``obsm[f"{k}_label_proba"]``,
    and the provenance ``uns[k]["classify"]`` (thresholds, panel, seeds per class, temperature, ECE).

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.tl.gate(adata)                                       # doctest: +SKIP
    >>> tc.tl.classify(adata)                                   # doctest: +SKIP
    >>> adata.obs[["tamclass_state", "tamclass_polarization", "tamclass_subset"]]    # doctest: +SKIP
    >>> adata.obsm["tamclass_state_proba"]                      # doctest: +SKIP
    >>> adata.uns["tamclass"]["classify"]["state_model"]["ece_calibrated"]          # doctest: +SKIP
    """
    import tamclass as tc

    from ..classifier._device import resolve_device
    from ..classifier._model import Model

    _check_adata(adata)
    for name, val in (("state_threshold", state_threshold), ("subset_threshold", subset_threshold),
                      ("threshold", threshold), ("min_overlap", min_overlap)):
        if not isinstance(val, (int, float)) or not 0.0 <= float(val) <= 1.0:
            raise InputError(f"{name} must be a number between 0 and 1, got {val!r}.")
    for name, val in (("seed_quantile", seed_quantile), ("subset_seed_quantile", subset_seed_quantile)):
        if not isinstance(val, (int, float)) or not 0.0 < float(val) <= 0.5:
            raise InputError(f"{name} must be in (0, 0.5], got {val!r}.")
    dev = resolve_device(device)
    if model is not None:
        model = Model.coerce(model)
    if copy:
        if adata.isbacked:
            raise InputError("copy=True is not supported for an AnnData opened with backed='r' (it would load the "
                             "whole matrix); use copy=False (results go to the in-memory obs/obsm/uns) or "
                             "adata.to_memory() first.")
        adata = adata.copy()
    K = _keys(key_added)
    mac_key = f"{key_added}_is_macrophage"
    if mac_key not in adata.obs.columns:
        logger.warning(f"obs[{mac_key!r}] not found: running tc.tl.gate(adata, key_added={key_added!r}) first")
        tc.tl.gate(adata, groupby=groupby, key_added=key_added, layer=layer, use_raw=use_raw,
                   gene_symbols=gene_symbols, species=species, random_state=random_state, progress=progress)
    col = adata.obs[mac_key]
    if col.isna().any() or not set(pd.unique(col.astype(object))) <= {True, False, 0, 1}:
        raise InputError(f"obs[{mac_key!r}] must be boolean (True for macrophages, no missing values); "
                         "run tc.tl.gate or set it to a bool column.")
    mask = np.asarray(col.astype(bool).to_numpy(), dtype=bool)
    if model is None:
        written_obs = [K[k] for k in ("state", "state_confidence", "subset", "subset_confidence", "polarization")]
        written_obsm = [K["state_proba"], K["subset_proba"]]
    else:
        written_obs = [K["label"], K["label_confidence"]]
        written_obsm = [K["label_proba"]]
        if set(model.classes) == set(STATE_CLASSES):
            written_obs += [K["state"], K["state_confidence"], K["polarization"]]
            written_obsm += [K["state_proba"]]
        elif set(model.classes) <= set(SUBSET_CLASSES):
            written_obs += [K["subset"], K["subset_confidence"]]
            written_obsm += [K["subset_proba"]]
    check_no_clobber(adata, key_added, "classify", obs_cols=written_obs, obsm_keys=written_obsm)

    n_mac = int(mask.sum())
    info = {
        "n_cells": int(adata.n_obs), "n_macrophages": n_mac, "device": str(dev), "random_state": int(random_state),
        "state_threshold": float(state_threshold), "subset_threshold": float(subset_threshold),
        "polarization": "P(M2-like) - P(M1-like) from the calibrated state model (negative = M1-like)",
        "library_version": _library_version(),
    }
    obs_names = adata.obs_names
    state_p = subset_p = label_p = None
    state_classes, subset_classes, label_classes = list(STATE_CLASSES), list(SUBSET_CLASSES), None
    if n_mac == 0:
        warnings.warn(
            f"no macrophages: obs[{mac_key!r}] is False for all {adata.n_obs} cells, so nothing was classified. "
            "Every cell is written as 'not macrophage' with NaN confidence/probabilities. If these cells are "
            "macrophages, check the gate (tc.tl.gate thresholds, gene symbols, species) or set the column yourself.",
            NotMacrophageWarning, stacklevel=2,
        )
        info["status"] = "no macrophages: nothing classified"
        if model is not None:
            label_classes = list(model.classes)
    elif model is None:
        state_p, subset_p, state_classes, subset_classes, extra = _classify_seeded(
            adata, mask, key=key_added, device=dev, random_state=random_state, seed_quantile=seed_quantile,
            subset_seed_quantile=subset_seed_quantile, min_seeds_per_class=min_seeds_per_class,
            max_seeds_per_class=max_seeds_per_class, hidden=hidden, epochs=epochs, lr=lr, batch_size=batch_size,
            calibration_fraction=calibration_fraction, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols,
            species=species, progress=progress,
        )
        info.update(extra)
        info["status"] = "classified with a network trained on signature seeds"
    else:
        X, overlap = model.extract(_rows(adata, mask), layer=layer, use_raw=use_raw, gene_symbols=gene_symbols,
                                   min_overlap=min_overlap)
        label_p = model.predict_proba_matrix(X, device=dev)
        label_classes = list(model.classes)
        info.update({"status": "classified with a user model", "model": repr(model), "overlap": overlap,
                     "label_threshold": float(threshold),
                     "model_metadata_json": _json(model.metadata)})
        if set(model.classes) == set(STATE_CLASSES):
            state_p = label_p[:, [model.classes.index(c) for c in STATE_CLASSES]]
        elif set(model.classes) <= set(SUBSET_CLASSES):
            subset_p, subset_classes = label_p, list(model.classes)

    # ---- write
    if model is None or state_p is not None:
        lab, conf = _labels(state_p, state_classes, state_threshold, mask, adata.n_obs)
        adata.obs[K["state"]] = lab
        adata.obs[K["state_confidence"]] = conf
        adata.obsm[K["state_proba"]] = _proba_frame(state_p, state_classes, mask, obs_names)
        pol = np.full(adata.n_obs, np.nan)
        if state_p is not None and state_p.shape[0]:
            pol[mask] = state_p[:, 1] - state_p[:, 0]
        adata.obs[K["polarization"]] = pol
    if model is None or subset_p is not None:
        lab, conf = _labels(subset_p, subset_classes, subset_threshold, mask, adata.n_obs)
        adata.obs[K["subset"]] = lab
        adata.obs[K["subset_confidence"]] = conf
        adata.obsm[K["subset_proba"]] = _proba_frame(subset_p, subset_classes, mask, obs_names)
    if model is not None:
        lab, conf = _labels(label_p, label_classes, threshold, mask, adata.n_obs)
        adata.obs[K["label"]] = lab
        adata.obs[K["label_confidence"]] = conf
        adata.obsm[K["label_proba"]] = _proba_frame(label_p, label_classes, mask, obs_names)
    info["counts"] = {
        k: {str(a): int(b) for a, b in adata.obs[K[k]].value_counts(sort=False).items()}
        for k in ("state", "subset", "label") if K[k] in adata.obs.columns and K[k] in written_obs
    }
    uns = adata.uns.get(key_added)
    if not isinstance(uns, dict):
        uns = {}
    uns["classify"] = info
    adata.uns[key_added] = uns
    return adata if copy else None


def _json(obj) -> str:
    import json

    return json.dumps(obj, sort_keys=True, default=str)


def _rows(adata, mask):
    return adata if bool(mask.all()) else adata[mask]


def _classify_seeded(adata, mask, *, key, device, random_state, seed_quantile, subset_seed_quantile,
                     min_seeds_per_class, max_seeds_per_class, hidden, epochs, lr, batch_size, calibration_fraction,
                     layer, use_raw, gene_symbols, species, progress):
    import tamclass as tc

    from .._data import extract_genes
    from ..classifier._scores import compute_scores
    from ..classifier._seeds import state_seeds, subset_seeds

    import time

    t0 = time.perf_counter()
    timings = {}
    avail = set(tc.signatures.available().index)
    need = [s for s in (*STATE_SETS, *SUBSET_SETS) if s not in avail]
    if need:
        raise InputError(f"the signature library lacks {need}; reinstall tamclass.")
    scores, source = compute_scores(adata, [*STATE_SETS, *SUBSET_SETS], key=key, mask=mask, layer=layer,
                                    use_raw=use_raw, gene_symbols=gene_symbols, species=species,
                                    random_state=random_state, progress=progress)
    timings["scores"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sigs = tc.signatures.load([*STATE_SETS, *SUBSET_SETS], species=species)
    panel = []
    for s in sigs.values():
        for g in s.up:
            if g not in panel:
                panel.append(g)
    X, found, missing = extract_genes(_rows(adata, mask), panel, layer=layer, use_raw=use_raw,
                                      gene_symbols=gene_symbols, normalize="auto", species=species)
    if len(found) < 2:
        raise InputError(f"only {len(found)} of the {len(panel)} polarization/subset panel genes are in the data; "
                         "check gene symbols (gene_symbols=) and species.")
    timings["extract_panel"] = time.perf_counter() - t0
    S = scores.to_numpy(dtype=np.float64)
    common = dict(hidden=hidden, epochs=epochs, lr=lr, batch_size=batch_size, max_seeds_per_class=max_seeds_per_class,
                  min_seeds_per_class=min_seeds_per_class, calibration_fraction=calibration_fraction,
                  random_state=random_state, device=device, species=species, progress=progress, genes=found)
    extra = {"scores_from": source, "panel_genes": list(found), "panel_missing": list(missing),
             "seed_quantile": float(seed_quantile), "subset_seed_quantile": float(subset_seed_quantile),
             "min_seeds_per_class": int(min_seeds_per_class), "max_seeds_per_class": int(max_seeds_per_class),
             "state_sets": list(STATE_SETS), "subset_sets": list(SUBSET_SETS)}
    # state
    t0 = time.perf_counter()
    st = np.nan_to_num(S[:, :2], nan=0.0)
    y_state = state_seeds(st[:, 0], st[:, 1], quantile=seed_quantile)
    m_state, inf_state = _train_from_seeds(X, y_state, list(STATE_CLASSES), kind="state", **common)
    state_p = None
    if m_state is not None:
        state_p = m_state.predict_proba_matrix(X, device=device)
    else:
        warnings.warn(f"M1/M2 state not classified: {inf_state['status']}. States are written as 'unassigned'.",
                      TamclassWarning, stacklevel=3)
    timings["state_model"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # subsets
    ok = np.isfinite(S[:, 2:]).any(axis=0)
    sub_cols = [j for j in range(len(SUBSET_SETS)) if ok[j]]
    y_sub_local, _ = subset_seeds(np.nan_to_num(S[:, 2:][:, sub_cols], nan=0.0), quantile=subset_seed_quantile)
    y_sub = np.where(y_sub_local >= 0, np.asarray(sub_cols)[np.maximum(y_sub_local, 0)], -1)
    m_sub, inf_sub = _train_from_seeds(X, y_sub, list(SUBSET_CLASSES), kind="subset", **common)
    subset_p, subset_classes = None, list(SUBSET_CLASSES)
    if m_sub is not None:
        subset_p = m_sub.predict_proba_matrix(X, device=device)
        subset_classes = list(m_sub.classes)
    else:
        warnings.warn(f"TAM subsets not classified: {inf_sub['status']}. Subsets are written as 'unassigned'.",
                      TamclassWarning, stacklevel=3)
    timings["subset_model"] = time.perf_counter() - t0
    extra["timings_s"] = {k: float(v) for k, v in timings.items()}
    extra["state_model"] = inf_state
    extra["subset_model"] = inf_sub
    return state_p, subset_p, list(STATE_CLASSES), subset_classes, extra
