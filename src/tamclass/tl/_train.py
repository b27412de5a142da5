"""``tc.tl.train``: train a calibrated small network on a labelled reference -> :class:`tamclass.Model`."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .._errors import InputError, ModelError
from .._settings import logger
from ._gate import _check_adata, _library_version


def train(
    reference,
    label_key: str,
    *,
    genes=None,
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
    species: str = "human",
    hidden: int = 32,
    epochs: int = 30,
    lr: float = 3e-3,
    weight_decay: float = 1e-4,
    batch_size: int = 256,
    calibration_fraction: float = 0.2,
    min_cells_per_class: int = 10,
    max_cells_per_class: int | None = 5000,
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
        Classes with fewer labelled cells raise :class:`~tamclass._errors.ModelError` (drop or merge them).
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
    from .._data import extract_genes
    from .._version import __version__
    from ..classifier._device import resolve_device
    from ..classifier._fit import fit_classifier
    from ..classifier._model import Model

    _check_adata(reference)
    if label_key not in reference.obs.columns:
        raise InputError(
            f"label_key={label_key!r} is not an obs column; available: {list(reference.obs.columns)[:20]}."
        )
    for name, val, lo in (
        ("hidden", hidden, 0),
        ("epochs", epochs, 1),
        ("batch_size", batch_size, 1),
        ("min_cells_per_class", min_cells_per_class, 2),
    ):
        if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or val < lo:
            raise InputError(f"{name} must be an integer >= {lo}, got {val!r}.")
    if not 0.0 <= calibration_fraction < 1.0:
        raise InputError(f"calibration_fraction must be in [0, 1), got {calibration_fraction!r}.")
    dev = resolve_device(device)

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

    panel = _panel(genes, species)
    sub = reference if valid.all() else reference[valid]
    X, found, missing = extract_genes(
        sub, panel, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols, normalize="auto", species=species
    )
    if len(found) < min_genes:
        raise InputError(
            f"only {len(found)} of the {len(panel)} panel genes are in the reference (need >= {min_genes}); "
            "check that var_names are gene symbols (or pass gene_symbols=) and species, or pass genes=."
        )
    classes = list(counts.index)
    y = pd.Categorical(lab.to_numpy(), categories=classes).codes.astype(np.int64)
    rng = np.random.default_rng(random_state)
    from ..classifier._seeds import cap_per_class

    idx = cap_per_class(y, max_cells_per_class, rng)
    fit = fit_classifier(
        X[idx],
        y[idx],
        len(classes),
        hidden=hidden,
        epochs=epochs,
        lr=lr,
        weight_decay=weight_decay,
        batch_size=batch_size,
        calibration_fraction=calibration_fraction,
        seed=random_state,
        device=dev,
        progress=progress,
    )
    used = np.bincount(y[idx], minlength=len(classes))
    logger.info(
        f"trained on {len(idx)} cells x {len(found)} genes; accuracy on held-out evaluation cells {fit['held_out_accuracy']:.3f}, "
        f"ECE {fit['ece_uncalibrated']:.3f} -> {fit['ece_calibrated']:.3f} (temperature {fit['temperature']:.3g})"
    )
    return Model(
        genes=found,
        classes=classes,
        weights=fit["weights"],
        mean=fit["mean"],
        scale=fit["scale"],
        temperature=fit["temperature"],
        kind=_kind(classes),
        species=species,
        metadata={
            "tamclass_version": __version__,
            "library_version": _library_version(),
            "training": {
                "label_key": str(label_key),
                "n_cells_per_class": {c: int(n) for c, n in zip(classes, used, strict=False)},
                "n_cells_labelled_per_class": {str(k): int(v) for k, v in counts.items()},
                "random_state": int(random_state),
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "hidden": int(hidden),
                "epochs": int(epochs),
                "lr": float(lr),
                "weight_decay": float(weight_decay),
                "batch_size": int(batch_size),
                "calibration_fraction": float(calibration_fraction),
                "device": str(dev),
                "n_genes_requested": len(panel),
                "n_genes_missing": len(missing),
                "ece_uncalibrated": fit["ece_uncalibrated"],
                "ece_calibrated": fit["ece_calibrated"],
                "held_out_accuracy": fit["held_out_accuracy"],
                "n_train": fit["n_train"],
                "n_calibration": fit["n_calibration"],
                "n_evaluation": fit["n_evaluation"],
                "ece_calibration_part": fit["ece_calibration_part"],
                "calibration_protocol": "temperature fitted on the calibration half of the held-out cells; "
                "ECE and accuracy reported on the other (evaluation) half",
                "loss_history": fit["loss_history"],
            },
        },
    )


def _kind(classes) -> str:
    from ._classify import STATE_CLASSES, SUBSET_CLASSES

    if set(classes) == set(STATE_CLASSES):
        return "state"
    if set(classes) <= set(SUBSET_CLASSES):
        return "subset"
    return "custom"


def _panel(genes, species) -> list[str]:
    import tamclass as tc

    if genes is None:
        sigs = tc.signatures.load("all", species=species)
    elif isinstance(genes, str):
        sigs = tc.signatures.resolve(genes, species=species)
    else:
        genes = list(genes)
        if genes and all(isinstance(g, str) for g in genes) and not set(genes) & set(tc.signatures.available().index):
            return list(dict.fromkeys(genes))
        sigs = tc.signatures.resolve(genes, species=species)
    panel = []
    for s in sigs.values():
        for g in s.genes:
            if g not in panel:
                panel.append(g)
    if not panel:
        raise InputError("the gene panel is empty; pass genes= as a list of gene symbols.")
    return panel
