"""``tc.tl.classify``: M1-like / M2-like state, Ma 2022 TAM subset and a polarization index per macrophage."""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._errors import InputError, NotMacrophageWarning
from .._keys import (
    DEFAULT_KEY,
    M1_LIKE,
    M2_LIKE,
    NOT_MACROPHAGE,
    SOURCE_CATEGORIES,
    SOURCE_EVIDENCE,
    SOURCE_NETWORK,
    SOURCE_NONE,
    STATE_CLASSES,
    STEP_CLASSIFY,
    SUBSET_CLASSES,
    UNASSIGNED,
    keys,
)
from .._settings import logger
from ..classifier._config import SEED_TRAINING, TrainingConfig
from ..classifier._device import resolve_inference_device
from ..signatures._library import sets_with_role
from ._common import (
    check_no_clobber,
    check_normalization,
    library_version,
    require_finite,
    require_fraction,
    require_int,
    resolve_adata,
    store,
    warn,
)
from ._evidence import evidence_z
from ._gate import gate
from ._training import build_model, fit_capped, fit_metrics

__all__ = ["NOT_MACROPHAGE", "STATE_CLASSES", "STATE_SETS", "SUBSET_CLASSES", "SUBSET_SETS", "UNASSIGNED", "classify"]

#: the signature sets of the evidence calls: the manifest's ``state`` / ``subset`` sets, in manifest order,
#: which is the order of :data:`STATE_CLASSES` / :data:`SUBSET_CLASSES` (Cheng2021_M1 -> M1-like, ...)
STATE_SETS = tuple(sets_with_role("state"))
SUBSET_SETS = tuple(sets_with_role("subset"))
#: the state set whose evidence each state class rests on
STATE_SET_OF = dict(zip(STATE_CLASSES, STATE_SETS, strict=True))

#: polarization = tanh((z(M2) - z(M1)) / POLARIZATION_SCALE): continuous, in (-1, 1), 0 = no net evidence
POLARIZATION_SCALE = 4.0
#: cells="..." choices when a model is applied
CELL_CHOICES = ("macrophages", "all")

_CALIBRATION_PROTOCOL = (
    "held-out seeds (calibration_fraction, stratified) split half/half with the seed: temperature fitted on the "
    "calibration part (NLL); held_out_accuracy and ece_uncalibrated/ece_calibrated measured on the disjoint "
    "evaluation part; ece_calibration_part = ECE after scaling on the cells T was fitted on"
)


def classify(
    adata,
    model=None,
    *,
    device: str = "auto",
    key_added: str = DEFAULT_KEY,
    random_state: int = 0,
    evidence_alpha: float = 0.05,
    n_controls: int = 30,
    support_z: float = 1.0,
    state_threshold: float = 0.7,
    subset_threshold: float = 0.5,
    min_seeds_per_class: int = SEED_TRAINING.min_per_class,
    max_seeds_per_class: int | None = SEED_TRAINING.max_per_class,
    hidden: int = SEED_TRAINING.hidden,
    epochs: int = SEED_TRAINING.epochs,
    lr: float = SEED_TRAINING.lr,
    batch_size: int = SEED_TRAINING.batch_size,
    calibration_fraction: float = SEED_TRAINING.calibration_fraction,
    min_overlap: float = 0.5,
    threshold: float = 0.5,
    cells: str = "macrophages",
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
    species: str = "human",
    groupby: str | None = None,
    progress: bool | None = None,
    copy: bool = False,
):
    """Label gated macrophages with an M1-like / M2-like state, a Ma 2022 TAM subset and a polarization index.

    Works on the cells with ``obs[f"{key_added}_is_macrophage"] == True``; if that column is missing,
    :func:`tamclass.tl.gate` is run first (with the same ``layer``/``use_raw``/``gene_symbols``/``species``/
    ``groupby``; logged at warning level).

    **Without a model** (``model=None``) the labels rest on evidence, not on ranks within the sample:

    1. *Evidence.* Each macrophage is scored (UCell, rank method) on ``Cheng2021_M1`` / ``Cheng2021_M2`` and
       the seven Ma 2022 subset sets, and on ``n_controls`` random gene sets per signature whose genes are
       matched to the signature genes' mean expression (:mod:`tamclass.scoring._null`, after scDRS, Zhang et
       al. 2022 Nat Genet 54:1572). ``z = (score - mean(null)) / sd(null)`` per cell is the evidence for the
       set; it is written to ``obsm[f"{key}_state_z"]`` / ``obsm[f"{key}_subset_z"]``. A call needs z above a
       one-sided normal quantile, Bonferroni-corrected over the classes: ``evidence_alpha`` / 2 for the two
       states (z >= 1.96 at 0.05), ``evidence_alpha`` / 7 for the subsets (z >= 2.45). The state or subset
       with the largest z above its bar is the cell's *evidence call*. A subset absent from the sample is
       therefore never called, and 5 macrophages are labelled by the same rule as 50,000.
    2. *Network.* When at least two classes have ``min_seeds_per_class`` evidence calls, a small torch network
       (``hidden`` ReLU units) is trained on them (log1p-CP10k expression of the signature genes, standardised;
       stratified ``calibration_fraction`` held out, split half/half into a temperature-calibration part and
       an evaluation part, Guo et al. 2017) and gives calibrated probabilities for every macrophage. A cell
       without an evidence call takes the network's class when its probability reaches ``state_threshold`` /
       ``subset_threshold`` *and* the cell's own z for that class is at least ``support_z`` (the network
       extends clear calls to cells with weaker evidence of the same programme; it never invents one).
    3. Otherwise ``"unassigned"``. ``obs[f"{key}_state_source"]`` / ``_subset_source`` say which step labelled
       each cell (``evidence``, ``network`` or ``none``).

    The polarization index is continuous and evidence-based for every macrophage:
    ``tanh((z(M2) - z(M1)) / 4)`` in (-1, 1), negative = M1-like (interferon / inflammatory programme),
    positive = M2-like.

    **With a model** (a :class:`tamclass.Model` or the path of a saved one): its calibrated probabilities go
    to ``obs[f"{key}_label"]`` (``"unassigned"`` below ``threshold``), ``_label_confidence`` and
    ``obsm[f"{key}_label_proba"]``, for the gated macrophages (``cells="macrophages"``) or for every cell
    (``cells="all"``, for a model trained on all cell types). A model whose classes are exactly M1-like /
    M2-like also fills the state keys (polarization = P(M2-like) - P(M1-like)); one whose classes are subset
    names (IFN-TAM, Reg-TAM, ...) fills the subset keys.

    Cells outside the classified set get ``"not macrophage"`` and NaN. With no macrophages at all a
    :class:`~tamclass.errors.NotMacrophageWarning` is issued and only those values are written.

    Parameters
    ----------
    adata
        Cells x genes (raw counts or log-normalised; TPM without a log is warned about).
    model
        None, a :class:`tamclass.Model`, or a path to a saved model.
    device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``: where the network trains and predicts.
    key_added
        Prefix of the keys written (and of the gate keys read).
    random_state
        Seed of the null gene draw, the network initialisation, mini-batch order, seed capping and the
        calibration split.
    evidence_alpha
        Family-wise error rate of an evidence call per cell (Bonferroni over the classes of a call).
    n_controls
        Matched random gene sets per signature (more = a smoother null, proportionally more scoring).
    support_z
        Smallest own z for which the network may label a cell without an evidence call.
    state_threshold, subset_threshold
        Calibrated probability the network needs to label such a cell.
    min_seeds_per_class, max_seeds_per_class
        Evidence calls a class needs to enter the network / at most used per class (random, seeded).
    hidden, epochs, lr, batch_size
        Network size (0 = softmax regression) and training schedule.
    calibration_fraction
        Share of the evidence calls held out for calibration and evaluation.
    min_overlap
        A model refuses data holding less than this fraction of its genes (GeneOverlapError).
    threshold
        Probability a user model's label needs (with ``model=``).
    cells
        ``"macrophages"`` (default) or ``"all"``: which cells a user model labels.
    layer, use_raw, gene_symbols, species
        Which matrix and which gene names (scanpy semantics; see :func:`tamclass.tl.score`).
    groupby
        Passed to :func:`tamclass.tl.gate` when the gate has to be run.
    progress
        Show progress bars.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    None, or the AnnData when ``copy=True``. Writes (prefix ``k = key_added``):
    ``obs[f"{k}_state"]`` (M1-like / M2-like / unassigned / not macrophage), ``obs[f"{k}_state_confidence"]``
    (the network's calibrated probability of the label; NaN where no network was trained),
    ``obs[f"{k}_state_source"]``, ``obs[f"{k}_subset"]``, ``obs[f"{k}_subset_confidence"]``,
    ``obs[f"{k}_subset_source"]``, ``obs[f"{k}_polarization"]``, ``obsm[f"{k}_state_proba"]`` and
    ``obsm[f"{k}_subset_proba"]`` (network probabilities, rows sum to 1; NaN rows where none),
    ``obsm[f"{k}_state_z"]`` / ``obsm[f"{k}_subset_z"]`` (the evidence), with a model ``obs[f"{k}_label"]``,
    ``obs[f"{k}_label_confidence"]``, ``obsm[f"{k}_label_proba"]``, and the provenance ``uns[k]["classify"]``
    (thresholds, genes used, evidence calls per class, network status, held-out accuracy and ECE, warnings).

    Examples
    --------
    >>> import tamclass as tc
    >>> adata = tc.datasets.demo()
    >>> tc.tl.gate(adata)
    >>> tc.tl.classify(adata)  # doctest: +SKIP
    >>> adata.obs[["tamclass_subset", "tamclass_subset_source", "tamclass_polarization"]]  # doctest: +SKIP
    >>> adata.obsm["tamclass_subset_z"].head()  # doctest: +SKIP
    """
    thresholds = {"state_threshold": state_threshold, "subset_threshold": subset_threshold, "threshold": threshold}
    evidence = {"evidence_alpha": evidence_alpha, "n_controls": n_controls, "support_z": support_z}
    _check_params(**evidence, **thresholds, min_overlap=min_overlap, cells=cells)
    dev, model = resolve_inference_device(device), _coerce_model(model)
    adata = resolve_adata(adata, copy)
    matrix = {"layer": layer, "use_raw": use_raw, "gene_symbols": gene_symbols, "species": species}
    K = keys(key_added)
    mask = _cells_to_classify(
        adata, K, model, cells, groupby=groupby, random_state=random_state, progress=progress, **matrix
    )
    check_no_clobber(adata, key_added, STEP_CLASSIFY, *_written_keys(K, model))
    notes: list[str] = []
    check_normalization(adata, notes, layer=layer, use_raw=use_raw)
    info = _run_info(adata, mask, dev, random_state, model, cells, thresholds)
    if not mask.any():
        result = _no_macrophages(adata, K, notes)
    elif model is None:
        training = _seed_config(
            hidden, epochs, lr, batch_size, calibration_fraction, min_seeds_per_class, max_seeds_per_class
        )
        result = _classify_by_evidence(
            adata, mask, dev, random_state, evidence, thresholds, training, notes, progress, matrix
        )
    else:
        result = _classify_with_model(adata, mask, model, dev, threshold, min_overlap, layer, use_raw, gene_symbols)
    _write(adata, K, mask, result, model)
    store(adata, key_added, STEP_CLASSIFY, _provenance(adata, K, model, info, result, notes))
    return adata if copy else None


# ----------------------------------------------------------------------------------------- resolve
def _check_params(
    *, evidence_alpha, n_controls, support_z, state_threshold, subset_threshold, threshold, min_overlap, cells
) -> None:
    for name, val in (
        ("state_threshold", state_threshold),
        ("subset_threshold", subset_threshold),
        ("threshold", threshold),
        ("min_overlap", min_overlap),
    ):
        require_fraction(name, val)
    if (
        isinstance(evidence_alpha, bool)
        or not isinstance(evidence_alpha, (int, float))
        or not 0.0 < float(evidence_alpha) < 1.0
    ):
        raise InputError(f"evidence_alpha must be in (0, 1), got {evidence_alpha!r}.")
    require_int("n_controls", n_controls, 5, hint=" (random sets per signature)")
    require_finite("support_z", support_z)
    if cells not in CELL_CHOICES:
        raise InputError(f"cells must be one of {CELL_CHOICES}, got {cells!r}.")


def _seed_config(hidden, epochs, lr, batch_size, calibration_fraction, min_per_class, max_per_class) -> TrainingConfig:
    """The settings of the seed-trained networks: the caller's, with the weight decay of :data:`SEED_TRAINING`."""
    return replace(
        SEED_TRAINING,
        hidden=hidden,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        calibration_fraction=calibration_fraction,
        min_per_class=min_per_class,
        max_per_class=max_per_class,
    )


def _coerce_model(model):
    """None, or the :class:`tamclass.Model` that ``model`` (a Model or the path of a saved one) is."""
    from ..classifier._model import Model

    return Model.coerce(model) if model is not None else None


def _cells_to_classify(adata, K, model, cells, *, groupby, random_state, progress, **matrix) -> np.ndarray:
    if model is not None and cells == "all":
        return np.ones(adata.n_obs, dtype=bool)
    mac_key = K.is_macrophage
    if mac_key not in adata.obs.columns:
        logger.warning(f"obs[{mac_key!r}] not found: running tc.tl.gate(adata, key_added={K.prefix!r}) first")
        gate(adata, groupby=groupby, key_added=K.prefix, random_state=random_state, progress=progress, **matrix)
    col = adata.obs[mac_key]
    if col.isna().any() or not set(pd.unique(col.astype(object))) <= {True, False}:
        raise InputError(
            f"obs[{mac_key!r}] must be boolean (True for macrophages, no missing values); "
            "run tc.tl.gate or set it to a bool column."
        )
    return np.asarray(col.astype(bool).to_numpy(), dtype=bool)


def _written_keys(K, model) -> tuple[list[str], list[str]]:
    """The (obs, obsm) keys a run writes: evidence mode, or a model (with the state / subset keys it fills)."""
    if model is None:
        obs = [
            K.state,
            K.state_confidence,
            K.state_source,
            K.subset,
            K.subset_confidence,
            K.subset_source,
            K.polarization,
        ]
        return obs, [K.state_proba, K.subset_proba, K.state_z, K.subset_z]
    obs, obsm = [K.label, K.label_confidence], [K.label_proba]
    if set(model.classes) == set(STATE_CLASSES):
        obs += [K.state, K.state_confidence, K.polarization]
        obsm += [K.state_proba]
    elif set(model.classes) <= set(SUBSET_CLASSES):
        obs += [K.subset, K.subset_confidence]
        obsm += [K.subset_proba]
    return obs, obsm


def _run_info(adata, mask, device, random_state, model, cells, thresholds) -> dict:
    return {
        "n_cells": int(adata.n_obs),
        "n_macrophages": int(mask.sum()),
        "device": str(device),
        "random_state": int(random_state),
        "cells": cells if model is not None else "macrophages",
        "state_threshold": float(thresholds["state_threshold"]),
        "subset_threshold": float(thresholds["subset_threshold"]),
        "library_version": library_version(),
    }


# ----------------------------------------------------------------------------------------- compute
def _no_macrophages(adata, K, notes) -> dict:
    msg = (
        f"no macrophages to classify: obs[{K.is_macrophage!r}] is False for all {adata.n_obs} cells. "
        "Every cell is written as 'not macrophage' with NaN confidence/probabilities. If these cells are "
        "macrophages, check the gate (tc.tl.gate, gene symbols, species) or set the column yourself."
    )
    notes.append(msg)
    warnings.warn(msg, NotMacrophageWarning, stacklevel=3)
    return {"info": {"status": "no macrophages: nothing classified"}}


def evidence_calls(Z: np.ndarray, z_min: float) -> np.ndarray:
    """Index of the class with the largest z when that z reaches ``z_min``, else -1 (cells x classes in)."""
    Z = np.asarray(Z, dtype=np.float64)
    filled = np.where(np.isfinite(Z), Z, -np.inf)
    best = filled.argmax(axis=1) if Z.shape[1] else np.zeros(Z.shape[0], dtype=np.int64)
    top = filled[np.arange(Z.shape[0]), best] if Z.shape[1] else np.full(Z.shape[0], -np.inf)
    return np.where(top >= z_min, best, -1).astype(np.int64)


def _classify_by_evidence(adata, mask, device, random_state, evidence, thresholds, training, notes, progress, matrix):
    """Evidence z per class, evidence calls, a network trained on them per kind (state, subset), final labels."""
    from .._data import extract_genes
    from ..signatures._library import load

    layer, use_raw, gene_symbols, species = (matrix[k] for k in ("layer", "use_raw", "gene_symbols", "species"))
    evidence_alpha, support_z = evidence["evidence_alpha"], evidence["support_z"]
    t0 = time.perf_counter()
    timings = {}
    sigs = load([*STATE_SETS, *SUBSET_SETS], species=species)
    Z, _, used = evidence_z(
        adata,
        mask,
        sigs,
        n_controls=evidence["n_controls"],
        n_bins=20,
        random_state=random_state,
        progress=progress,
        layer=layer,
        use_raw=use_raw,
        gene_symbols=gene_symbols,
        species=species,
    )
    untestable = [f"{n} ({len(used[n])} genes)" for n in sigs if Z[n].isna().all()]
    if untestable:
        warn(
            notes,
            f"classify: too few genes in the data to test {', '.join(untestable)}; these classes are never "
            "called (a gene-filtered matrix or a targeted panel).",
            stacklevel=5,
        )
    timings["evidence"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    panel = list(dict.fromkeys(g for n in sigs for g in used[n]))
    X, found, _ = extract_genes(
        _rows(adata, mask),
        panel,
        layer=layer,
        use_raw=use_raw,
        gene_symbols=gene_symbols,
        normalize="auto",
        species=species,
    )
    timings["extract_panel"] = time.perf_counter() - t0
    out: dict[str, Any] = {
        "info": {
            "evidence_alpha": float(evidence_alpha),
            "n_controls": int(evidence["n_controls"]),
            "support_z": float(support_z),
            "genes_used": {n: list(g) for n, g in used.items()},
            "panel_genes": list(found),
            "state_sets": list(STATE_SETS),
            "subset_sets": list(SUBSET_SETS),
            "polarization": f"tanh((z({STATE_SET_OF[M2_LIKE]}) - z({STATE_SET_OF[M1_LIKE]})) / "
            f"{POLARIZATION_SCALE:g}); negative = M1-like",
        }
    }
    for kind, names, classes, thr in (
        ("state", STATE_SETS, STATE_CLASSES, thresholds["state_threshold"]),
        ("subset", SUBSET_SETS, SUBSET_CLASSES, thresholds["subset_threshold"]),
    ):
        t0 = time.perf_counter()
        z = Z[list(names)].to_numpy(dtype=np.float64)
        z_min = float(norm.isf(evidence_alpha / len(classes)))
        calls = evidence_calls(z, z_min)
        model, minfo = _train_from_seeds(
            X,
            calls,
            list(classes),
            kind=kind,
            genes=list(found),
            config=training,
            device=device,
            random_state=random_state,
            species=species,
            progress=progress,
        )
        proba = model.predict_proba_matrix(X, device=device) if model is not None else None
        labels, source, conf = _final_labels(calls, z, proba, list(classes), model, thr, support_z)
        out[kind] = {
            "labels": labels,
            "source": source,
            "confidence": conf,
            "proba": proba,
            "classes": list(model.classes) if model is not None else list(classes),
            "z": pd.DataFrame(z, index=Z.index, columns=list(classes)),
        }
        minfo.update(
            {"z_min": z_min, "n_evidence_calls": {classes[c]: int((calls == c).sum()) for c in range(len(classes))}}
        )
        out["info"][f"{kind}_model"] = minfo
        timings[f"{kind}_model"] = time.perf_counter() - t0
    out["info"]["timings_s"] = {k: float(v) for k, v in timings.items()}
    zs = out["state"]["z"]
    out["polarization"] = np.tanh((zs[M2_LIKE] - zs[M1_LIKE]).to_numpy() / POLARIZATION_SCALE)
    out["info"]["status"] = "labelled by evidence" + (
        " and a network trained on the evidence calls"
        if any(out["info"][f"{k}_model"].get("status") == "trained" for k in ("state", "subset"))
        else " only (no network trained: fewer than 2 classes with enough evidence calls)"
    )
    return out


def _train_from_seeds(X, labels, classes, *, kind, genes, config, random_state, device, species, progress):
    """Train + calibrate a Model on seed cells; drops classes with too few seeds. Returns (model|None, info)."""
    counts = {classes[c]: int((labels == c).sum()) for c in range(len(classes))}
    keep = [c for c in range(len(classes)) if counts[classes[c]] >= config.min_per_class]
    info: dict[str, Any] = {
        "n_seeds": counts,
        "classes_dropped": [classes[c] for c in range(len(classes)) if c not in keep],
    }
    if len(keep) < 2:
        info["status"] = (
            f"not trained: fewer than 2 classes with >= {config.min_per_class} seed cells (seeds per class: {counts})"
        )
        return None, info
    remap = np.full(len(classes), -1)
    remap[keep] = np.arange(len(keep))
    y_all = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
    idx, fit = fit_capped(X, y_all, len(keep), config, random_state=random_state, device=device, progress=progress)
    kept = [classes[c] for c in keep]
    training = {
        "label_key": f"signature seeds ({kind})",
        "n_cells_per_class": {
            kept[int(c)]: int(n) for c, n in zip(*np.unique(y_all[idx], return_counts=True), strict=False)
        },
        "random_state": int(random_state),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hidden": int(config.hidden),
        "epochs": int(config.epochs),
        **fit_metrics(fit),
        "calibration_protocol": _CALIBRATION_PROTOCOL,
    }
    model = build_model(fit, genes=genes, classes=kept, kind=kind, species=species, training=training)
    info.update(
        {
            "status": "trained",
            "classes": kept,
            "temperature": fit["temperature"],
            **fit_metrics(fit),
            "calibration_protocol": _CALIBRATION_PROTOCOL,
            "final_loss": fit["loss_history"][-1] if fit["loss_history"] else float("nan"),
        }
    )
    return model, info


def _final_labels(calls, z, proba, classes, model, threshold, support_z):
    """Evidence call first; else the network's class when confident and supported by the cell's own z."""
    n = len(calls)
    labels = np.full(n, UNASSIGNED, dtype=object)
    source = np.full(n, SOURCE_NONE, dtype=object)
    conf = np.full(n, np.nan)
    has = calls >= 0
    labels[has] = np.asarray(classes, dtype=object)[calls[has]]
    source[has] = SOURCE_EVIDENCE
    if model is not None and proba is not None:
        cols = [classes.index(c) for c in model.classes]
        best = proba.argmax(axis=1)
        p = proba[np.arange(n), best]
        own_z = z[np.arange(n), np.asarray(cols)[best]]
        extend = ~has & (p >= threshold) & (np.nan_to_num(own_z, nan=-np.inf) >= support_z)
        labels[extend] = np.asarray(model.classes, dtype=object)[best[extend]]
        source[extend] = SOURCE_NETWORK
        label_col = {c: j for j, c in enumerate(model.classes)}
        for i in np.flatnonzero(labels != UNASSIGNED):
            j = label_col.get(labels[i])
            conf[i] = proba[i, j] if j is not None else np.nan
    return labels, source, conf


def _model_part(proba: np.ndarray, classes, threshold: float) -> dict:
    """A user model's most probable class per cell, "unassigned" below ``threshold``, with its probability."""
    best = np.asarray(classes, dtype=object)[proba.argmax(axis=1)] if proba.shape[0] else np.zeros(0, dtype=object)
    conf = proba.max(axis=1) if proba.shape[0] else np.zeros(0)
    return {
        "proba": proba,
        "classes": list(classes),
        "labels": np.where(conf >= threshold, best, UNASSIGNED),
        "confidence": conf,
    }


def _classify_with_model(adata, mask, model, device, threshold, min_overlap, layer, use_raw, gene_symbols):
    """A user model's labels (and state / subset labels when its classes are states / subsets)."""
    X, overlap = model.extract(
        _rows(adata, mask), layer=layer, use_raw=use_raw, gene_symbols=gene_symbols, min_overlap=min_overlap
    )
    proba = model.predict_proba_matrix(X, device=device)
    out = {
        "label": _model_part(proba, model.classes, threshold),
        "info": {
            "status": "classified with a user model",
            "model": repr(model),
            "overlap": overlap,
            "label_threshold": float(threshold),
            "model_metadata_json": json.dumps(model.metadata, sort_keys=True, default=str),
        },
    }
    if set(model.classes) == set(STATE_CLASSES):
        p = proba[:, [model.classes.index(c) for c in STATE_CLASSES]]
        out["state"] = _model_part(p, STATE_CLASSES, threshold)
        out["polarization"] = p[:, STATE_CLASSES.index(M2_LIKE)] - p[:, STATE_CLASSES.index(M1_LIKE)]
    elif set(model.classes) <= set(SUBSET_CLASSES):
        out["subset"] = _model_part(proba, model.classes, threshold)
    return out


# ------------------------------------------------------------------------------------------- write
def _proba_frame(proba, classes, mask, obs_names) -> pd.DataFrame:
    full = np.full((len(obs_names), len(classes)), np.nan)
    if proba is not None and proba.shape[0]:
        full[mask] = proba
    return pd.DataFrame(full, index=pd.Index(obs_names), columns=pd.Index(list(classes)))


def _write(adata, K, mask, result, model) -> None:
    """Write every obs/obsm key of the run; cells outside ``mask`` get 'not macrophage' / NaN."""
    n, obs_names = adata.n_obs, adata.obs_names
    kinds = ("state", "subset") if model is None else tuple(k for k in ("state", "subset", "label") if k in result)
    if model is not None and "label" not in kinds:
        kinds = ("label",)
    for kind in kinds:
        part = result.get(kind)
        classes = part["classes"] if part else list(STATE_CLASSES if kind == "state" else SUBSET_CLASSES)
        if kind == "label" and not part:
            classes = list(model.classes)
        cats = [
            *dict.fromkeys([*classes, *(SUBSET_CLASSES if kind == "subset" and model is None else ())]),
            UNASSIGNED,
            NOT_MACROPHAGE,
        ]
        lab = np.full(n, NOT_MACROPHAGE, dtype=object)
        conf = np.full(n, np.nan)
        if part:
            lab[mask] = part["labels"]
            conf[mask] = part["confidence"]
        adata.obs[K[kind]] = pd.Categorical(lab, categories=cats)
        adata.obs[K[f"{kind}_confidence"]] = conf
        adata.obsm[K[f"{kind}_proba"]] = _proba_frame(part.get("proba") if part else None, classes, mask, obs_names)
        if model is None:
            src = np.full(n, NOT_MACROPHAGE, dtype=object)
            z = pd.DataFrame(
                np.nan, index=pd.Index(obs_names), columns=list(STATE_CLASSES if kind == "state" else SUBSET_CLASSES)
            )
            if part:
                src[mask] = part["source"]
                z.loc[np.asarray(mask)] = part["z"].to_numpy()
            adata.obs[K[f"{kind}_source"]] = pd.Categorical(src, categories=list(SOURCE_CATEGORIES))
            adata.obsm[K[f"{kind}_z"]] = z
    if model is None or "polarization" in result:
        pol = np.full(n, np.nan)
        if "polarization" in result:
            pol[mask] = result["polarization"]
        adata.obs[K.polarization] = pol


def _provenance(adata, K, model, info, result, notes) -> dict:
    """``uns[key]["classify"]``: the run's settings, the step's own record, the warnings and label counts."""
    info.update(result.pop("info"))
    info["warnings"] = notes
    written_obs, _ = _written_keys(K, model)
    info["counts"] = {
        k: {str(a): int(b) for a, b in adata.obs[K[k]].value_counts(sort=False).items()}
        for k in ("state", "subset", "label")
        if K[k] in written_obs
    }
    return info


def _rows(adata, mask):
    return adata if bool(mask.all()) else adata[mask]
