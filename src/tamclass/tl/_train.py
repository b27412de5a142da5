"""``tc.tl.train``: train a calibrated small network on a labelled reference -> :class:`tamclass.Model`."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .._errors import InputError, ModelError
from .._keys import STATE_CLASSES, SUBSET_CLASSES
from .._settings import logger
from ..classifier._config import REFERENCE_TRAINING, TrainingConfig
from ..classifier._device import resolve_device
from ._common import check_adata, require_int
from ._training import build_model, fit_capped, fit_metrics

CALIBRATION_PROTOCOL = (
    "temperature fitted on the calibration half of the held-out cells; "
    "ECE and accuracy reported on the other (evaluation) half"
)


def train(
    reference,
    label_key: str,
    *,
    genes=None,
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
    species: str = "human",
    hidden: int = REFERENCE_TRAINING.hidden,
    epochs: int = REFERENCE_TRAINING.epochs,
    lr: float = REFERENCE_TRAINING.lr,
    weight_decay: float = REFERENCE_TRAINING.weight_decay,
    batch_size: int = REFERENCE_TRAINING.batch_size,
    calibration_fraction: float = REFERENCE_TRAINING.calibration_fraction,
    min_cells_per_class: int = REFERENCE_TRAINING.min_per_class,
    max_cells_per_class: int | None = REFERENCE_TRAINING.max_per_class,
    min_genes: int = 5,
    device: str = "auto",
    random_state: int = 0,
    progress: bool | None = None,
):
    """Train a small torch classifier on a labelled reference and return a calibrated :class:`tamclass.Model`.

    Expression of the gene panel is read as log1p(CP10k) (raw counts are normalised per cell; log-normalised
    data is used as is), standardised per gene (clipped at +-10), and fed to a softmax-regression
    (``hidden=0``) or one-hidden-layer ReLU network trained with Adam and class-balanced cross-entropy.
    A stratified ``calibration_fraction`` of the cells is held out to fit a temperature (Guo et al. 2017);
    the model records the expected calibration error before and after.

    Parameters
    ----------
    reference
        Labelled AnnData (cells x genes).
    label_key
        ``obs`` column with the class of each cell; cells with a missing label are ignored.
    genes
        Gene panel. ``None``: the union of all genes of the tamclass signature library (``"all"``) found
        in the reference. A list of symbols, or a signature name / list of names understood by
        :func:`tamclass.signatures.resolve`.
    hidden, epochs, lr, weight_decay, batch_size
        Network width (0 = linear) and optimiser settings.
    calibration_fraction
        Fraction of each class held out for temperature scaling (0 = no calibration, temperature 1).
    min_cells_per_class
        Classes with fewer labelled cells raise :class:`~tamclass.errors.ModelError` (drop or merge them).
    max_cells_per_class
        Larger classes are subsampled (seeded) to this many cells; None = use all.
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    random_state
        Seed (initialisation, batch order, calibration split, subsampling). Same seed, same data, same CPU
        -> identical model.

    Returns
    -------
    :class:`tamclass.Model` (save it with ``model.save(path)``; apply it with :func:`tamclass.tl.classify`).

    Examples
    --------
    >>> import tamclass as tc
    >>> model = tc.tl.train(reference, "cell_type", hidden=32, epochs=30)  # doctest: +SKIP
    >>> model.metadata["training"]["n_cells_per_class"]  # doctest: +SKIP
    >>> model.save("my_tams.tamclass")  # doctest: +SKIP
    >>> tc.tl.classify(
    ...     adata, "my_tams.tamclass"
    ... )  # obs['tamclass_label'], obsm['tamclass_label_proba']  # doctest: +SKIP
    """
    config = TrainingConfig(
        hidden, epochs, lr, weight_decay, batch_size, calibration_fraction, min_cells_per_class, max_cells_per_class
    )
    _check_args(reference, label_key, config)
    dev = resolve_device(device)
    classes, y, valid, counts = _labels(reference, label_key, config.min_per_class)
    panel = _panel(genes, species)
    X, found, missing = _panel_expression(
        reference, valid, panel, min_genes, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols, species=species
    )
    idx, fit = fit_capped(X, y, len(classes), config, random_state=random_state, device=dev, progress=progress)
    logger.info(
        f"trained on {len(idx)} cells x {len(found)} genes; accuracy on held-out evaluation cells {fit['held_out_accuracy']:.3f}, "
        f"ECE {fit['ece_uncalibrated']:.3f} -> {fit['ece_calibrated']:.3f} (temperature {fit['temperature']:.3g})"
    )
    training = _record(label_key, classes, y[idx], counts, random_state, config, dev, len(panel), len(missing), fit)
    return build_model(fit, genes=found, classes=classes, kind=_kind(classes), species=species, training=training)


# ----------------------------------------------------------------------------------------- helpers
def _check_args(reference, label_key, config) -> None:
    check_adata(reference)
    if label_key not in reference.obs.columns:
        raise InputError(
            f"label_key={label_key!r} is not an obs column; available: {list(reference.obs.columns)[:20]}."
        )
    for name, val, lo in (
        ("hidden", config.hidden, 0),
        ("epochs", config.epochs, 1),
        ("batch_size", config.batch_size, 1),
        ("min_cells_per_class", config.min_per_class, 2),
    ):
        require_int(name, val, lo)
    if not 0.0 <= config.calibration_fraction < 1.0:
        raise InputError(f"calibration_fraction must be in [0, 1), got {config.calibration_fraction!r}.")


def _labels(reference, label_key, min_cells_per_class):
    """Classes (sorted), codes of the labelled cells, the labelled-cell mask and the cells per class."""
    labels = reference.obs[label_key]
    valid = labels.notna().to_numpy()
    lab = labels[valid].astype(str)
    counts = lab.value_counts().sort_index()
    if len(counts) < 2:
        raise ModelError(
            f"obs[{label_key!r}] has a single class ({list(counts.index)}); a classifier needs at least 2 classes. "
            "Add cells of other classes (e.g. other macrophage states) to the reference."
        )
    small = counts[counts < min_cells_per_class]
    if len(small):
        raise ModelError(
            f"classes with fewer than min_cells_per_class={min_cells_per_class} cells: "
            f"{ {str(k): int(v) for k, v in small.items()} }. Drop or merge them, add cells, or lower min_cells_per_class."
        )
    classes = list(counts.index)
    y = pd.Categorical(lab.to_numpy(), categories=classes).codes.astype(np.int64)
    return classes, y, valid, counts


def _panel_expression(reference, valid, panel, min_genes, *, layer, use_raw, gene_symbols, species):
    """log1p(CP10k) expression of the panel genes in the labelled cells; (X, genes found, genes missing)."""
    from .._data import extract_genes

    sub = reference if valid.all() else reference[valid]
    X, found, missing = extract_genes(
        sub, panel, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols, normalize="auto", species=species
    )
    if len(found) < min_genes:
        raise InputError(
            f"only {len(found)} of the {len(panel)} panel genes are in the reference (need >= {min_genes}); "
            "check that var_names are gene symbols (or pass gene_symbols=) and species, or pass genes=."
        )
    return X, found, missing


def _record(label_key, classes, y_used, counts, random_state, config, device, n_requested, n_missing, fit) -> dict:
    """``model.metadata["training"]``: labels, cells per class, settings, panel coverage, held-out metrics."""
    used = np.bincount(y_used, minlength=len(classes))
    return {
        "label_key": str(label_key),
        "n_cells_per_class": {c: int(n) for c, n in zip(classes, used, strict=False)},
        "n_cells_labelled_per_class": {str(k): int(v) for k, v in counts.items()},
        "random_state": int(random_state),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hidden": int(config.hidden),
        "epochs": int(config.epochs),
        "lr": float(config.lr),
        "weight_decay": float(config.weight_decay),
        "batch_size": int(config.batch_size),
        "calibration_fraction": float(config.calibration_fraction),
        "device": str(device),
        "n_genes_requested": n_requested,
        "n_genes_missing": n_missing,
        **fit_metrics(fit),
        "calibration_protocol": CALIBRATION_PROTOCOL,
        "loss_history": fit["loss_history"],
    }


def _kind(classes) -> str:
    if set(classes) == set(STATE_CLASSES):
        return "state"
    if set(classes) <= set(SUBSET_CLASSES):
        return "subset"
    return "custom"


def _panel(genes, species) -> list[str]:
    from ..signatures import available, load, resolve

    if genes is None:
        sigs = load("all", species=species)
    elif isinstance(genes, str):
        sigs = resolve(genes, species=species)
    else:
        genes = list(genes)
        if genes and all(isinstance(g, str) for g in genes) and not set(genes) & set(available().index):
            return list(dict.fromkeys(genes))
        sigs = resolve(genes, species=species)
    panel = []
    for s in sigs.values():
        for g in s.genes:
            if g not in panel:
                panel.append(g)
    if not panel:
        raise InputError("the gene panel is empty; pass genes= as a list of gene symbols.")
    return panel
