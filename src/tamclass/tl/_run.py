"""``tl.run``: score -> gate -> classify -> summarize in one call, and :class:`RunResult`, its tables.

The pipeline that ``tamclass score`` and ``tamclass demo`` run lives here, so that the command line, the Galaxy
tool and a Python user get it from one place. The result tables (``cells.tsv``, ``samples.tsv``,
``signatures.tsv``) and the printed summary are built by :class:`RunResult`'s methods, also in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._keys import DEFAULT_KEY, NOT_MACROPHAGE, keys
from .._settings import logger
from . import _classify, _gate, _score, _summarize

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable

    from anndata import AnnData

# the per-sample columns shown by RunResult.summary_lines (when the table has them)
_SUMMARY_COLUMNS = (
    "n_cells",
    "n_macrophages",
    "macrophage_fraction",
    "state_fraction_M1-like",
    "state_fraction_M2-like",
    "polarization_mean",
)


def run(
    adata: AnnData,
    signatures="default",
    *,
    method: str = "rank",
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
    species: str = "human",
    groupby: str | None = None,
    sample_key: str | None = None,
    model=None,
    classify: bool = True,
    device: str = "auto",
    random_state: int = 0,
    key_added: str = DEFAULT_KEY,
) -> RunResult:
    """Run the whole pipeline on ``adata`` in place: score -> gate -> classify (-> summarize with ``sample_key``).

    What ``tamclass score`` and ``tamclass demo`` run. Every option reaches every step that takes it: the data
    options (``layer``, ``use_raw``, ``gene_symbols``, ``species``) go to :func:`~tamclass.tl.score`,
    :func:`~tamclass.tl.gate` and :func:`~tamclass.tl.classify`, which each read the expression; ``groupby`` to
    the gate (cluster majority vote) and to classify (which passes it on when it has to gate); ``random_state``
    and ``key_added`` to all three; ``sample_key`` and ``key_added`` to :func:`~tamclass.tl.summarize`.

    Parameters
    ----------
    adata
        Cells x genes (log-normalised expression, or raw counts for the rank method); written into in place.
    signatures
        Library set names, categories, ``"default"``, ``"all"``, GMT paths or a mapping (see
        :func:`tamclass.tl.score`).
    method
        Scoring method: ``"rank"`` (UCell, default), ``"module"``, ``"aucell"`` or ``"mean"``.
    layer, use_raw, gene_symbols
        Where the expression and the gene symbols are (``X`` and ``var_names`` by default).
    species
        ``"human"`` or ``"mouse"``: the species of the data's gene symbols.
    groupby
        ``obs`` column of clusters: the gate's cluster majority vote.
    sample_key
        ``obs`` column of sample / patient IDs: adds the per-sample table (:func:`tamclass.tl.summarize`).
    model
        A :class:`tamclass.Model` (from :func:`tamclass.tl.train`) to apply; it is applied even when
        ``classify=False``.
    classify
        ``False`` stops after scoring and gating (unless a ``model`` is given).
    device
        Compute device of the classifier: ``"auto"``, ``"cpu"`` or ``"cuda"``.
    random_state
        Seed of every step; the same input and seed give the same result.
    key_added
        Prefix of the ``obs`` / ``obsm`` / ``uns`` keys written.

    Returns
    -------
    A :class:`~tamclass.tl._run.RunResult` holding ``adata`` and the per-sample table (``None`` without
    ``sample_key``); its methods give the per-cell table, a text summary and the TSV files. Writes what the steps
    write:
    ``obsm[f"{key_added}_scores"]``, ``obs[f"{key_added}_celltype" | "_is_macrophage" | "_state" | ...]``,
    ``uns[key_added]`` (provenance; ``"samples"`` with ``sample_key``).

    Examples
    --------
    >>> import tamclass as tc
    >>> adata = tc.datasets.demo()
    >>> result = tc.tl.run(adata, groupby="leiden", sample_key="sample")  # doctest: +SKIP
    >>> for line in result.summary_lines():  # what `tamclass score` prints  # doctest: +SKIP
    ...     print(line)
    >>> result.samples  # the per-sample table, also in adata.uns["tamclass"]["samples"]  # doctest: +SKIP
    >>> result.write_tables("results/")  # cells.tsv, samples.tsv, signatures.tsv  # doctest: +SKIP
    """
    # what every step is told about the input and where results go (the CLI's options reach every step)
    common: dict[str, Any] = {
        "layer": layer,
        "use_raw": use_raw,
        "gene_symbols": gene_symbols,
        "species": species,
        "key_added": key_added,
        "random_state": random_state,
    }
    logger.info("scoring signatures %r with method=%r on %d cells", signatures, method, adata.n_obs)
    _score.score(adata, signatures, method=method, **common)
    logger.info("gating macrophages%s", f" (majority vote per {groupby!r})" if groupby else "")
    _gate.gate(adata, groupby=groupby, **common)
    if classify or model is not None:
        logger.info("classifying macrophages%s", " with the given model" if model is not None else "")
        _classify.classify(adata, model, device=device, groupby=groupby, **common)
    samples = None
    if sample_key is not None:
        logger.info("summarising per %r", sample_key)
        samples = _summarize.summarize(adata, sample_key, key_added=key_added)
    return RunResult(adata, samples=samples, key_added=key_added, sample_key=sample_key, groupby=groupby)


@dataclass(repr=False)
class RunResult:
    """What :func:`tamclass.tl.run` returns: the AnnData it wrote into and the tables of its results.

    Can also be made by hand for an AnnData whose steps were run one by one:
    ``RunResult(adata, samples=adata.uns["tamclass"].get("samples"), sample_key="patient")``.

    Attributes
    ----------
    adata
        The AnnData the results were written into (the one given to :func:`~tamclass.tl.run`).
    samples
        The per-sample table of :func:`tamclass.tl.summarize`, or ``None`` (no ``sample_key``).
    key_added
        Prefix of the keys the results were written under.
    sample_key
        The ``obs`` column of samples the run used (``None`` when not given).
    groupby
        The ``obs`` column of clusters the run used (``None`` when not given).
    """

    adata: AnnData
    samples: pd.DataFrame | None = None
    key_added: str = DEFAULT_KEY
    sample_key: str | None = None
    groupby: str | None = None

    def __repr__(self) -> str:
        n = "no" if self.samples is None else len(self.samples)
        return (
            f"RunResult({self.adata.n_obs:,} cells x {self.adata.n_vars:,} genes, key_added={self.key_added!r}, "
            f"{n} samples)"
        )

    def cell_table(self) -> pd.DataFrame:
        """One row per cell (``cells.tsv``): the run's ``obs`` columns, then its scores and probabilities.

        Columns: ``obs[f"{key_added}_*"]``, then ``score_<set>`` and ``state_proba_*`` / ``subset_proba_*`` /
        ``label_proba_*`` from ``obsm``; the index is named ``cell``.
        """
        adata, key, K = self.adata, self.key_added, keys(self.key_added)
        parts = [adata.obs[[c for c in adata.obs.columns if str(c).startswith(f"{key}_")]]]
        for suffix in ("scores", "state_proba", "subset_proba", "label_proba"):
            m = adata.obsm.get(K[suffix])
            if isinstance(m, pd.DataFrame):
                prefix = "score_" if suffix == "scores" else f"{suffix.replace('_proba', '')}_proba_"
                parts.append(m.add_prefix(prefix))
        out = pd.concat(parts, axis=1)
        out.index.name = "cell"
        return out

    def signature_table(self) -> pd.DataFrame | None:
        """One row per scored signature: its genes used / missing (from ``uns[key_added]["score"]``), or ``None``."""
        entry = self.adata.uns.get(self.key_added)
        prov = entry.get("score", {}) if isinstance(entry, dict) else {}
        sigs = prov.get("signatures") if isinstance(prov, dict) else None
        if not isinstance(sigs, dict) or not sigs:
            return None
        rows = []
        for name, info in sigs.items():
            row = {"signature": name}
            if isinstance(info, dict):
                for k, v in info.items():
                    row[k] = ",".join(map(str, list(v))) if isinstance(v, (list, tuple)) or hasattr(v, "tolist") else v
            rows.append(row)
        return pd.DataFrame(rows)

    def summary_lines(self) -> list[str]:
        """A short text summary of what was found (what ``tamclass score`` prints), one string per line."""
        adata, K = self.adata, keys(self.key_added)
        lines = [f"{adata.n_obs:,} cells x {adata.n_vars:,} genes"]
        scores = adata.obsm.get(K.scores)
        if scores is not None:
            lines.append(f"signatures scored: {scores.shape[1]} (obsm[{K.scores!r}])")
        ct = adata.obs.get(K.celltype)
        if ct is not None:
            counts = ct.value_counts()
            lines.append("cell types (gate): " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v))
        st = adata.obs.get(K.state)
        if st is not None:
            states = [f"{k} {v:,}" for k, v in st.value_counts().items() if v and k != NOT_MACROPHAGE]
            lines.append("macrophage states: " + ", ".join(states))
        sub = adata.obs.get(K.subset)
        if sub is not None:
            shown = [f"{k} {v:,}" for k, v in sub.value_counts().items() if v and k != NOT_MACROPHAGE]
            if shown:
                lines.append("TAM subsets: " + ", ".join(shown))
        lab = adata.obs.get(K.label)
        if lab is not None:
            lines.append("model labels: " + ", ".join(f"{k} {v:,}" for k, v in lab.value_counts().items() if v))
        table = self.samples
        if table is not None and len(table):
            cols = [c for c in _SUMMARY_COLUMNS if c in table.columns]
            if cols:
                with pd.option_context("display.width", 120, "display.max_columns", 20, "display.precision", 3):
                    lines.append("")
                    lines.append(f"per-sample summary ({self.sample_key}):")
                    lines.extend(table[cols].to_string().splitlines())
        return lines

    def write_tables(self, outdir, *, inputs: Iterable = ()) -> list[Path]:
        """Write ``cells.tsv``, ``samples.tsv`` (with a per-sample table) and ``signatures.tsv`` to ``outdir``.

        Each file is written atomically and never over one of ``inputs``. Returns the paths written.
        """
        from .._io import write_table_atomic

        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        written = [write_table_atomic(self.cell_table(), outdir / "cells.tsv", inputs=inputs)]
        if self.samples is not None:
            t = self.samples.copy()
            t.index.name = t.index.name or "sample"
            written.append(write_table_atomic(t, outdir / "samples.tsv", inputs=inputs))
        genes = self.signature_table()
        if genes is not None:
            written.append(write_table_atomic(genes, outdir / "signatures.tsv", inputs=inputs, index=False))
        return written
