"""``tamclass.Model``: a trained, calibrated small network over a fixed gene panel.

A model maps log1p(CP10k) expression of its gene panel to class probabilities:
standardise with the training means/sds (clip at +-10), run the network, divide the logits by the
fitted temperature, softmax. Save/load use a single zip file (JSON metadata + safetensors weights +
SHA-256 checksums; see :mod:`tamclass.classifier._serialize`); nothing is ever unpickled.
"""

from __future__ import annotations

import copy as _copy
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import GeneOverlapError, InputError, ModelFormatError
from .._settings import logger
from ._calibrate import softmax
from ._fit import CLIP, predict_logits, scaler_apply
from ._network import check_weights
from ._serialize import FORMAT_VERSION, read_container, write_container

#: default minimum fraction of the model's gene panel that a query must contain
DEFAULT_MIN_OVERLAP = 0.5


class Model:
    """A trained tamclass classifier.

    Parameters
    ----------
    genes
        The gene panel (symbols), in the column order the network expects.
    classes
        Class names, in the order of the network outputs.
    weights
        Network tensors: ``{"W", "b"}`` (linear) or ``{"W1", "b1", "W2", "b2"}`` (one hidden layer).
    mean, scale
        Per-gene standardisation fitted on the training cells (log1p(CP10k) scale).
    temperature
        Temperature-scaling factor fitted on held-out cells (1 = uncalibrated).
    kind
        ``"state"`` (M1-like / M2-like), ``"subset"`` (Ma 2022 TAM subsets) or ``"custom"``.
    species
        Species of the gene symbols.
    metadata
        JSON-serialisable provenance (n cells per class, date, seed, label_key, ECE, versions, ...).

    Examples
    --------
    >>> import tamclass as tc
    >>> model = tc.tl.train(reference, "cell_state")  # doctest: +SKIP
    >>> model.save("tam_states.tamclass")  # doctest: +SKIP
    >>> model = tc.Model.load("tam_states.tamclass")  # doctest: +SKIP
    >>> proba = model.predict_proba(adata)  # DataFrame cells x classes  # doctest: +SKIP
    >>> tc.tl.classify(adata, model)  # obs['tamclass_label'] ...  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        genes,
        classes,
        weights: dict[str, np.ndarray],
        mean,
        scale,
        temperature: float = 1.0,
        kind: str = "custom",
        species: str = "human",
        normalization: str = "log1p_cp10k",
        clip: float = CLIP,
        metadata: dict | None = None,
    ):
        self.genes = [str(g) for g in genes]
        self.classes = [str(c) for c in classes]
        if len(set(self.genes)) != len(self.genes):
            raise InputError("the model's gene panel has duplicated genes.")
        if len(set(self.classes)) != len(self.classes) or len(self.classes) < 2:
            raise InputError(f"a model needs at least 2 distinct classes, got {self.classes}.")
        self.weights = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        check_weights(self.weights, len(self.genes), len(self.classes))
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.scale = np.asarray(scale, dtype=np.float32).reshape(-1)
        if self.mean.shape != (len(self.genes),) or self.scale.shape != (len(self.genes),):
            raise InputError("mean and scale must have one value per gene of the panel.")
        if not (np.all(np.isfinite(self.mean)) and np.all(self.scale > 0)):
            raise InputError("mean must be finite and scale positive.")
        self.temperature = float(temperature)
        if not (np.isfinite(self.temperature) and self.temperature > 0):
            raise InputError(f"temperature must be a positive number, got {temperature!r}.")
        self.kind = str(kind)
        self.species = str(species)
        self.normalization = str(normalization)
        self.clip = float(clip)
        self.metadata = _copy.deepcopy(metadata) if metadata else {}

    # ------------------------------------------------------------------ description
    @property
    def n_genes(self) -> int:
        return len(self.genes)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def hidden(self) -> int:
        return int(self.weights["W1"].shape[0]) if "W1" in self.weights else 0

    def __repr__(self) -> str:
        cls = ", ".join(self.classes[:8]) + (", ..." if self.n_classes > 8 else "")
        genes = ", ".join(self.genes[:6]) + (", ..." if self.n_genes > 6 else "")
        arch = f"1 hidden layer of {self.hidden}" if self.hidden else "linear"
        lines = [
            f"tamclass.Model ({self.kind}, {self.species}): {self.n_classes} classes x {self.n_genes} genes, {arch}, "
            f"temperature {self.temperature:.3g}",
            f"    classes: {cls}",
            f"    genes: {genes}",
        ]
        prov = self.metadata.get("training", {})
        if prov:
            lines.append(
                f"    trained {prov.get('date', '?')} on {sum(prov.get('n_cells_per_class', {}).values())} cells "
                f"(label_key={prov.get('label_key', '?')!r}, seed={prov.get('random_state', '?')})"
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------ prediction
    def predict_logits_matrix(self, X: np.ndarray, *, device="cpu") -> np.ndarray:
        """Temperature-scaled logits for log1p(CP10k) expression ``X`` (cells x ``self.genes``).

        On the CPU the network runs in numpy (torch is not imported); on a CUDA ``device`` in torch.
        """
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_genes:
            raise InputError(f"X must be cells x {self.n_genes} genes (the model's panel), got shape {X.shape}.")
        Z = scaler_apply(X, self.mean, self.scale, self.clip)
        Z[~np.isfinite(Z)] = 0.0
        return predict_logits(self.weights, Z, device=device) / np.float32(self.temperature)

    def predict_proba_matrix(self, X: np.ndarray, *, device="cpu") -> np.ndarray:
        """Calibrated class probabilities (rows sum to 1) for ``X`` (cells x ``self.genes``)."""
        return softmax(self.predict_logits_matrix(X, device=device))

    def extract(
        self,
        adata,
        *,
        layer=None,
        use_raw=None,
        gene_symbols=None,
        min_overlap: float = DEFAULT_MIN_OVERLAP,
        chunk_size=None,
    ) -> tuple[np.ndarray, dict]:
        """The query's log1p(CP10k) expression of the panel and an overlap report.

        Missing genes are set to the training mean (i.e. standardised to 0). Raises GeneOverlapError below
        ``min_overlap``.
        """
        from .._data import extract_genes

        X, found, missing = extract_genes(
            adata,
            self.genes,
            layer=layer,
            use_raw=use_raw,
            gene_symbols=gene_symbols,
            normalize="auto",
            chunk_size=chunk_size,
        )
        found = [str(g) for g in found]
        frac = len(found) / self.n_genes
        report = {
            "n_genes_model": self.n_genes,
            "n_genes_found": len(found),
            "fraction_found": float(frac),
            "missing": [str(g) for g in missing][:200],
            "min_overlap": float(min_overlap),
        }
        if frac < min_overlap:
            raise GeneOverlapError(
                f"only {len(found)} of the model's {self.n_genes} genes ({frac:.0%}) are in the data; at least "
                f"{min_overlap:.0%} are needed. Check that var_names are gene symbols of species {self.species!r} "
                "(use gene_symbols='<var column>' if they are in a var column), or lower min_overlap at your own risk. "
                f"First missing genes: {', '.join(list(missing)[:10])}"
            )
        if missing:
            logger.info(
                f"{len(found)} of {self.n_genes} model genes found; {len(missing)} missing genes are set to the training mean"
            )
        full = np.empty((X.shape[0], self.n_genes), dtype=np.float32)
        full[:] = self.mean
        pos = {g: i for i, g in enumerate(self.genes)}
        cols = [pos[g] for g in found]
        if cols:
            full[:, cols] = np.asarray(X, dtype=np.float32)
        return full, report

    def predict_proba(
        self,
        adata,
        *,
        layer=None,
        use_raw=None,
        gene_symbols=None,
        min_overlap: float = DEFAULT_MIN_OVERLAP,
        device="auto",
        chunk_size=None,
    ) -> pd.DataFrame:
        """Calibrated class probabilities for every cell of ``adata`` (DataFrame cells x classes).

        Expression is read with normalisation ``"auto"`` (raw counts become log1p(CP10k); log-normalised
        data is used as is). Genes of the panel missing from the data are imputed at the training mean;
        fewer than ``min_overlap`` of the panel present raises :class:`~tamclass._errors.GeneOverlapError`.
        """
        from ._device import resolve_inference_device

        dev = resolve_inference_device(device)
        X, report = self.extract(
            adata,
            layer=layer,
            use_raw=use_raw,
            gene_symbols=gene_symbols,
            min_overlap=min_overlap,
            chunk_size=chunk_size,
        )
        self.last_overlap_ = report
        P = self.predict_proba_matrix(X, device=dev)
        return pd.DataFrame(P, index=pd.Index(adata.obs_names), columns=pd.Index(self.classes))

    def predict(self, adata, **kwargs) -> pd.Series:
        """Most probable class per cell (see :meth:`predict_proba` for the keyword arguments)."""
        proba = self.predict_proba(adata, **kwargs)
        return pd.Series(
            np.asarray(self.classes, dtype=object)[proba.to_numpy().argmax(1)], index=proba.index, name="label"
        )

    # ------------------------------------------------------------------ persistence
    def to_meta(self) -> dict:
        from .._version import __version__

        return {
            "kind": self.kind,
            "species": self.species,
            "genes": self.genes,
            "classes": self.classes,
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "temperature": self.temperature,
            "normalization": self.normalization,
            "clip": self.clip,
            "hidden": self.hidden,
            "tamclass_version": self.metadata.get("tamclass_version", __version__),
            "metadata": self.metadata,
        }

    def save(self, path) -> Path:
        """Write the model to ``path`` (one zip file; atomic; no pickle). Returns the path."""
        return write_container(path, self.to_meta(), self.weights)

    @classmethod
    def load(cls, path) -> Model:
        """Read a model written by :meth:`save`.

        Truncated, modified or newer-format files raise :class:`~tamclass._errors.ModelFormatError`; nothing is
        unpickled.
        """
        meta, weights = read_container(path)
        try:
            model = cls(
                genes=meta["genes"],
                classes=meta["classes"],
                weights=weights,
                mean=meta["mean"],
                scale=meta["scale"],
                temperature=meta["temperature"],
                kind=meta.get("kind", "custom"),
                species=meta.get("species", "human"),
                normalization=meta.get("normalization", "log1p_cp10k"),
                clip=meta.get("clip", CLIP),
                metadata=meta.get("metadata", {}),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFormatError(
                f"model file {str(path)!r} has inconsistent contents ({err}); re-save the model."
            ) from err
        model.metadata.setdefault("format_version", int(meta["format_version"]))
        return model

    @classmethod
    def coerce(cls, model) -> Model:
        """A Model from a Model or a path (str / Path)."""
        if isinstance(model, Model):
            return model
        if isinstance(model, (str, Path)):
            return cls.load(model)
        raise InputError(f"model must be a tamclass.Model or the path of a saved model, got {type(model).__name__}.")


__all__ = ["Model", "FORMAT_VERSION", "DEFAULT_MIN_OVERLAP"]
