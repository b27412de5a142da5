"""A self-contained HTML report of a tamclass run (one file; figures embedded as base64 PNG).

The report only *reads* what the pipeline wrote into the AnnData (``obsm[f"{key}_scores"]``,
``obs[f"{key}_celltype" | "_state" | "_subset" | "_polarization"]``, ``uns[key]``) plus the signature
library and the evidence table shipped with tamclass. It loads nothing from the network: no scripts,
style sheets, fonts or images are referenced by URL (DOI links are plain hyperlinks).

Examples
--------
>>> import tamclass as tc
>>> from tamclass.report import write_report
>>> adata = tc.datasets.demo()
>>> tc.tl.score(adata)
... tc.tl.gate(adata)
... tc.tl.classify(adata)  # doctest: +SKIP
>>> tc.tl.summarize(adata, "sample")  # doctest: +SKIP
>>> write_report(adata, "report.html", sample_key="sample", groupby="leiden")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._errors import TamclassWarning
from ._keys import DEFAULT_KEY, NOT_MACROPHAGE, OTHER, UNASSIGNED, keys
from ._settings import logger

if TYPE_CHECKING:
    from anndata import AnnData

    from .tl._run import RunResult

RESEARCH_BANNER = (
    "Research use only. tamclass scores and classifications describe cells in this dataset; the literature "
    "evidence describes published population-level associations. Nothing in this report is a diagnosis or an "
    "individual patient's risk prediction."
)

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
.banner{background:#fff3cd;border:1px solid #e0c36a;padding:.6em 1em;border-radius:4px;margin:1em 0}
.note{color:#555;font-size:.9em}.missing{color:#8a6d3b;font-style:italic}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:.5em 0}
.scroll{max-width:100%;overflow-x:auto}nav a{margin-right:.8em}
"""


# ---------------------------------------------------------------------------------------- helpers
def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def _fig_to_img(fig, alt: str) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


def _table(
    df: pd.DataFrame,
    *,
    index: bool = True,
    max_rows: int | None = None,
    float_fmt: str = "{:.3g}",
    links: dict[str, str] | None = None,
    nan_text: str = "",
    left_out_why: str = "",
) -> str:
    """DataFrame -> escaped HTML table (numbers right-aligned; optional columns rendered as links).

    Every row is shown unless ``max_rows`` is given; then the note says how many rows were left out and
    ``left_out_why`` says why and where to find them (a table is never cut silently). NaN cells read
    ``nan_text`` (e.g. "not measured").
    """
    links = links or {}
    shown = df if max_rows is None else df.head(max_rows)
    head = ([f"<th>{_esc(shown.index.name or '')}</th>"] if index else []) + [
        f"<th>{_esc(c)}</th>" for c in shown.columns
    ]
    rows = []
    for idx, row in shown.iterrows():
        cells = [f"<td>{_esc(idx)}</td>"] if index else []
        for col, val in row.items():
            if isinstance(val, (float, np.floating)):
                txt = nan_text if not np.isfinite(val) else float_fmt.format(val)
                cells.append(f'<td class="num">{_esc(txt)}</td>')
            elif isinstance(val, (int, np.integer)) and not isinstance(val, bool):
                cells.append(f'<td class="num">{int(val):,}</td>')
            elif col in links and isinstance(val, str) and val:
                href = links[col].format(val)
                cells.append(f'<td><a href="{_esc(href)}">{_esc(val)}</a></td>')
            elif val is None or val is pd.NA:
                cells.append(f"<td>{_esc(nan_text)}</td>")
            else:
                cells.append(f"<td>{_esc(val)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(shown) < len(df):
        more = (
            f'<p class="note">{len(df) - len(shown):,} of {len(df):,} rows are not shown here'
            + (f": {_esc(left_out_why)}" if left_out_why else "")
            + ".</p>"
        )
    return f'<div class="scroll"><table><thead><tr>{"".join(head)}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>{more}'


def _counts_table(series: pd.Series, name: str) -> pd.DataFrame:
    counts = series.value_counts(dropna=False)
    if isinstance(series.dtype, pd.CategoricalDtype):
        counts = counts.reindex([c for c in series.cat.categories if c in counts.index])
    df = pd.DataFrame({"cells": counts.astype(int)})
    df["fraction"] = df["cells"] / max(int(df["cells"].sum()), 1)
    df.index.name = name
    return df


def _section(title: str, anchor: str, body: str) -> str:
    return f'<section id="{_esc(anchor)}"><h2>{_esc(title)}</h2>\n{body}\n</section>'


def _missing(text: str) -> str:
    return f'<p class="missing">{_esc(text)}</p>'


def _flatten(d, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.extend(_flatten(v, name + "."))
        elif isinstance(v, pd.DataFrame):
            out.append((name, f"table {v.shape[0]} x {v.shape[1]}"))
        else:
            txt = str(v.tolist() if hasattr(v, "tolist") else v)
            out.append((name, txt if len(txt) <= 300 else txt[:297] + "..."))
    return out


# ---------------------------------------------------------------------------------------- sections
def _sec_input(adata, key: str, input_name: str | None) -> str:
    from ._version import __version__

    uns = adata.uns.get(key, {}) if isinstance(adata.uns.get(key), dict) else {}
    score = uns.get("score", {}) if isinstance(uns.get("score"), dict) else {}
    inp = score.get("input", {}) if isinstance(score.get("input"), dict) else {}
    rows = [
        ("input", input_name or "(in-memory AnnData)"),
        ("cells", f"{adata.n_obs:,}"),
        ("genes", f"{adata.n_vars:,}"),
        ("expression used", inp.get("layer") or inp.get("matrix") or "X"),
        ("normalisation detected", inp.get("normalization", "n/a")),
        ("species", inp.get("species", "n/a")),
        ("backed", inp.get("backed", getattr(adata, "isbacked", False))),
        ("scoring method", score.get("method", "n/a")),
        ("signature library version", score.get("library_version", "n/a")),
        ("tamclass version", __version__),
        ("report generated (UTC)", _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M")),
    ]
    cli = uns.get("cli", {})
    if isinstance(cli, dict) and cli.get("command"):
        rows.append(("command", cli["command"]))
    df = pd.DataFrame(rows, columns=["item", "value"]).set_index("item")
    return _table(df)


def _sec_signatures(adata, key: str) -> str:
    uns = adata.uns.get(key, {}) if isinstance(adata.uns.get(key), dict) else {}
    score = uns.get("score", {}) if isinstance(uns.get("score"), dict) else {}
    sigs = score.get("signatures", {}) if isinstance(score.get("signatures"), dict) else {}
    scores = adata.obsm.get(keys(key).scores)
    names = list(scores.columns) if isinstance(scores, pd.DataFrame) else list(sigs)
    if not names:
        return _missing("no signature scores found (run tamclass.tl.score)")
    try:
        from .signatures import available

        lib = available()
    except Exception as exc:  # noqa: BLE001 - library metadata is optional for the report
        logger.debug("signature library unavailable for the report: %s", exc)
        lib = pd.DataFrame()
    rows = []
    for name in names:
        info = sigs.get(name, {}) if isinstance(sigs.get(name, {}), dict) else {}
        used = info.get("genes_used", [])
        missing = info.get("genes_missing", [])
        used = list(used.tolist() if hasattr(used, "tolist") else used)
        missing = list(missing.tolist() if hasattr(missing, "tolist") else missing)
        meta = lib.loc[name] if name in lib.index else None
        rows.append(
            {
                "signature": name,
                "category": (
                    meta["category"] if meta is not None and "category" in lib.columns else info.get("category", "")
                ),
                "genes used": len(used),
                "genes missing": len(missing),
                "citation": (
                    str(meta["citation"]) if meta is not None and "citation" in lib.columns else "user-supplied"
                ),
                "doi": (
                    str(meta["doi"]) if meta is not None and "doi" in lib.columns and pd.notna(meta["doi"]) else ""
                ),
            }
        )
    df = pd.DataFrame(rows).set_index("signature")
    skipped = score.get("skipped", [])
    skipped = list(skipped.tolist() if hasattr(skipped, "tolist") else skipped)
    note = (
        f'<p class="note">Skipped (no genes in the data): {_esc(", ".join(map(str, skipped)))}</p>' if skipped else ""
    )
    return _table(df, links={"doi": "https://doi.org/{}"}) + note


def _sec_gate(adata, key: str) -> str:
    col = keys(key).celltype
    if col not in adata.obs.columns:
        return _missing("no gate results (run tamclass.tl.gate)")
    parts = [_table(_counts_table(adata.obs[col], "cell type"))]
    uns = adata.uns.get(key, {})
    gate = uns.get("gate", {}) if isinstance(uns, dict) else {}
    if isinstance(gate, dict) and gate.get("rule"):
        parts.append(f'<p class="note">Rule: {_esc(gate["rule"])}</p>')
    return "\n".join(parts)


#: scoring methods whose scores lie in [0, 1] by construction (UCell ranks, AUCell areas)
_BOUNDED_METHODS = ("rank", "aucell")


def _score_scale(values: np.ndarray, method: str) -> tuple[float, float, str]:
    """One colour scale for every signature column, and the sentence that states it."""
    finite = values[np.isfinite(values)]
    if method in _BOUNDED_METHODS:
        # widened only if a signed set (with down genes) goes below 0, so no value is clipped
        lo = min(0.0, float(finite.min())) if finite.size else 0.0
        hi = max(1.0, float(finite.max())) if finite.size else 1.0
        return (
            lo,
            hi,
            (
                f"Colour: one scale, {lo:.3g} to {hi:.3g}, for every signature ({method} scores of up-gene "
                "sets lie in [0, 1]), so colours compare across columns; each cell prints its value."
            ),
        )
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return (
        lo,
        hi,
        (
            f"Colour: one shared scale from {lo:.3g} to {hi:.3g} (the smallest and largest mean in the table) "
            f"for every signature ({method or 'unknown'} scores are not bounded); each cell prints its value."
        ),
    )


def _heatmap(means: pd.DataFrame, lo: float, hi: float, label: str, alt: str) -> str:
    import matplotlib.pyplot as plt

    values = means.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(0.5 * values.shape[1] + 2.8, 0.42 * values.shape[0] + 2.0))
    im = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap="viridis", vmin=lo, vmax=hi)
    ax.set_xticks(range(values.shape[1]), [str(c) for c in means.columns], rotation=90, fontsize=7)
    ax.set_yticks(range(values.shape[0]), [str(i) for i in means.index], fontsize=8)
    mid = lo + (hi - lo) / 2
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            # a constant or tiny column still shows its number (no per-column rescaling, no blank cells)
            ax.text(
                j,
                i,
                "n/a" if not np.isfinite(v) else f"{v:.2g}",
                ha="center",
                va="center",
                fontsize=5.5,
                color="black" if np.isfinite(v) and v > mid else "white",
            )
    fig.colorbar(im, ax=ax, label=label, shrink=0.8)
    return _fig_to_img(fig, alt)


def _sec_scores(adata, key: str, groupby: str | None) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    scores = adata.obsm.get(keys(key).scores) if keys(key).scores in adata.obsm else None
    if scores is None:
        return _missing("no signature scores found (run tamclass.tl.score)")
    targets = [g for g in (keys(key).celltype, groupby) if g and g in adata.obs.columns]
    if not targets:
        return _missing("no grouping available (run tamclass.tl.gate or pass groupby=)")
    if not isinstance(scores, pd.DataFrame):
        scores = pd.DataFrame(np.asarray(scores), index=adata.obs_names)
    uns = adata.uns.get(key, {}) if isinstance(adata.uns.get(key), dict) else {}
    score = uns.get("score", {}) if isinstance(uns.get("score"), dict) else {}
    method = str(score.get("method", "") or "")
    sc = scores.apply(pd.to_numeric, errors="coerce")
    parts = []
    for g in dict.fromkeys(targets):
        groups = adata.obs[g].astype("category")
        means = sc.groupby(groups.to_numpy(), observed=True).mean()
        means = means.reindex([c for c in groups.cat.categories if c in means.index])
        lo, hi, scale = _score_scale(means.to_numpy(dtype=float), method)
        parts.append(f"<h3>Mean score per {_esc(g)}</h3>")
        parts.append(
            _heatmap(means, lo, hi, f"mean {method or ''} score".replace("  ", " "), f"mean signature score per {g}")
        )
        parts.append(f'<p class="note">{_esc(scale)}</p>')
        parts.append("<details><summary>values</summary>" + _table(means.T, nan_text="no genes") + "</details>")
    return "\n".join(parts)


def _sec_embedding(adata, key: str) -> str:
    basis = next((b for b in ("umap", "tsne", "pca") if f"X_{b}" in adata.obsm), None)
    if basis is None:
        return _missing("no embedding in obsm (X_umap / X_tsne / X_pca); skipped")
    import matplotlib.pyplot as plt

    cols = [c for c in (keys(key).celltype, keys(key).state, keys(key).polarization) if c in adata.obs.columns]
    if not cols:
        return _missing("no tamclass results to show on the embedding")
    xy = np.asarray(adata.obsm[f"X_{basis}"])[:, :2]
    fig, axes = plt.subplots(1, len(cols), figsize=(4.2 * len(cols), 3.8), squeeze=False)
    for ax, col in zip(axes[0], cols, strict=True):
        values = adata.obs[col]
        if pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
            v = values.to_numpy(dtype=float)
            ok = np.isfinite(v)
            ax.scatter(xy[~ok, 0], xy[~ok, 1], s=4, c="0.85", linewidths=0)
            sc_ = ax.scatter(xy[ok, 0], xy[ok, 1], s=6, c=v[ok], cmap="coolwarm", vmin=-1, vmax=1, linewidths=0)
            fig.colorbar(sc_, ax=ax, shrink=0.8)
        else:
            cat = values.astype("category")
            cmap = plt.get_cmap("tab10")
            for i, c in enumerate(cat.cat.categories):
                m = (cat == c).to_numpy()
                if m.any():
                    color = "0.85" if str(c) in (OTHER, NOT_MACROPHAGE) else cmap(i % 10)
                    ax.scatter(xy[m, 0], xy[m, 1], s=5, color=color, label=f"{c} ({int(m.sum())})", linewidths=0)
            ax.legend(fontsize=7, markerscale=2, frameon=False, loc="best")
        ax.set_title(col, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{basis.upper()}1")
        ax.set_ylabel(f"{basis.upper()}2")
    fig.tight_layout()
    return _fig_to_img(fig, f"{basis} coloured by tamclass results")


def _model_info(cl: dict, which: str) -> dict:
    """The quality numbers classify recorded for the state / subset model (or a user model's metadata)."""
    info = cl.get(f"{which}_model") if isinstance(cl.get(f"{which}_model"), dict) else None
    if info is not None:
        return info
    meta = cl.get("model_metadata_json")
    if isinstance(meta, str) and meta:
        import json

        try:
            training = json.loads(meta).get("training", {})
        except (ValueError, AttributeError):
            training = {}
        if isinstance(training, dict):
            return {"status": "user model", **training}
    return {}


def _num(info: dict, k: str) -> float:
    try:
        v = float(info.get(k))  # type: ignore[arg-type]  # None and text raise, handled below
    except (TypeError, ValueError):
        return float("nan")
    return v


def _quality_row(what: str, info: dict, conf: pd.Series | None) -> dict:
    """Confidence next to the model's own held-out accuracy and calibration error (or 'not available')."""
    na = "not available"
    acc, n_eval = _num(info, "held_out_accuracy"), _num(info, "n_evaluation")
    e0, e1 = _num(info, "ece_uncalibrated"), _num(info, "ece_calibrated")
    c = conf.dropna() if conf is not None else pd.Series(dtype=float)
    row = {
        "model": what,
        "status": str(info.get("status", na)) if info else na,
        "median confidence (cells)": f"{c.median():.2f} (n = {len(c):,})" if len(c) else na,
        "held-out accuracy": (
            f"{acc:.2f} on {int(n_eval):,} held-out evidence-called cells"
            if np.isfinite(acc) and np.isfinite(n_eval)
            else f"{acc:.2f}"
            if np.isfinite(acc)
            else na
        ),
        "ECE before / after temperature scaling": (
            f"{e0:.3f} / {e1:.3f}" if np.isfinite(e0) and np.isfinite(e1) else na
        ),
    }
    notes = []
    if np.isfinite(n_eval) and n_eval < 30:
        notes.append(f"accuracy from only {int(n_eval)} cells: a rough estimate")
    if np.isfinite(e0) and np.isfinite(e1) and e1 > e0:
        notes.append("calibration made the error larger, so confidences are not calibrated probabilities")
    row["caveats"] = "; ".join(notes)
    return row


def _state_status(cl: dict, which: str, col_present: bool, labelled: bool = False) -> str:
    """What really happened to this label, from the sub-model's own status (not classify's summary line).

    ``labelled``: some macrophage got a label (evidence calls exist even when no network was trained).
    """
    info = _model_info(cl, which)
    status = str(info.get("status", "")) if info else ""
    if not col_present:
        return "not classified (no column)"
    if status == "trained":
        return "labelled by evidence calls, extended by a network trained on them"
    if status == "user model":
        return "classified with a user model"
    if status and labelled:
        return f"labelled by evidence calls only (no network: {status})"
    if status:
        return f"not classified: {status}"
    return str(cl.get("status", "not available"))


def _labelled(adata, col: str) -> bool:
    if col not in adata.obs.columns:
        return False
    return bool((~adata.obs[col].astype(str).isin([UNASSIGNED, NOT_MACROPHAGE])).any())


def _sec_states(adata, key: str) -> str:
    parts = []
    uns = adata.uns.get(key, {})
    cl = uns.get("classify", {}) if isinstance(uns, dict) else {}
    cl = cl if isinstance(cl, dict) else {}
    quality = []
    for col, what, which in (
        (keys(key).state, "M1-like / M2-like state", "state"),
        (keys(key).subset, "TAM subset", "subset"),
        (keys(key).label, "model label", "label"),
    ):
        if col not in adata.obs.columns:
            continue
        s = adata.obs[col]
        if col != keys(key).label:
            s = s[s.astype(str) != NOT_MACROPHAGE]
        parts.append(f"<h3>{_esc(what)} (macrophages)</h3>" if col != keys(key).label else f"<h3>{_esc(what)}</h3>")
        parts.append(_table(_counts_table(s, what)))
        labels = s.astype(str)
        if len(labels) and (labels == UNASSIGNED).all():
            parts.append(
                _missing(
                    f"no macrophage got a {what.lower()}: everything is 'unassigned' "
                    f"({_state_status(cl, which, True)}); per-sample {what.lower()} fractions are "
                    "not measured and nothing about them is linked to the literature"
                )
            )
        conf_col = f"{col}_confidence"
        conf = (
            pd.to_numeric(adata.obs.loc[s.index, conf_col], errors="coerce") if conf_col in adata.obs.columns else None
        )
        if cl:  # always say what backs the labels, "not available" included
            quality.append(_quality_row(what, _model_info(cl, which), conf))
    if quality:
        parts.append(
            "<h3>Confidence and the model's own accuracy</h3>"
            '<p class="note">Confidence is the calibrated probability of the assigned label. Held-out accuracy '
            "is the agreement with the evidence calls on evidence-called cells kept out of training (not ground "
            "truth); ECE = expected calibration error on those cells.</p>"
            + _table(pd.DataFrame(quality).set_index("model"))
        )
    pcol = keys(key).polarization
    if pcol in adata.obs.columns and pd.to_numeric(adata.obs[pcol], errors="coerce").notna().any():
        from .pl._scores import polarization

        parts.append(_fig_to_img(polarization(adata, key_added=key, return_fig=True), "polarization index histogram"))
    if cl:
        keep = {}
        for col, which in ((keys(key).state, "state"), (keys(key).subset, "subset")):
            keep[f"{which}"] = _state_status(cl, which, col in adata.obs.columns, _labelled(adata, col))
        if str(cl.get("status", "")).startswith(("no macrophages", "classified with a user")):
            keep["classify"] = cl["status"]
        keep.update({k: cl[k] for k in ("polarization", "state_threshold", "subset_threshold", "device") if k in cl})
        df = pd.DataFrame(list(_flatten(keep)), columns=["item", "value"]).set_index("item")
        parts.append("<h3>How states were assigned</h3>" + _table(df))
    return "\n".join(parts) if parts else _missing("no classification results (run tamclass.tl.classify)")


def _sample_note(uns: dict) -> str:
    summ = uns.get("summarize", {}) if isinstance(uns, dict) else {}
    return str(summ.get("sample_note", "")) if isinstance(summ, dict) else ""


def _sec_samples(adata, key: str, sample_key: str | None) -> str:
    uns = adata.uns.get(key, {})
    table = uns.get("samples") if isinstance(uns, dict) else None
    if not isinstance(table, pd.DataFrame):
        return _missing("no per-sample summary (pass a sample column: tamclass score --sample-key COL)")
    parts = []
    note = _sample_note(uns)
    if note:
        parts.append(
            f'<p class="banner">These "samples" are illustrative, not biological samples: {_esc(note)} '
            "Do not interpret differences between them.</p>"
        )
    main_cols = [
        c
        for c in table.columns
        if c
        in ("n_cells", "n_macrophages", "macrophage_fraction", "n_state_classified", "m2_m1_ratio", "polarization_mean")
        or c.startswith(("state_fraction_", "subset_fraction_"))
    ]
    parts.append(_table(table[main_cols] if main_cols else table, nan_text="not measured"))
    summ = uns.get("summarize", {})
    if isinstance(summ, dict):
        if summ.get("not_measured"):
            parts.append(
                f'<p class="note">Not measured (shown as "not measured", never 0): {_esc(summ["not_measured"])}.</p>'
            )
        if summ.get("note"):
            parts.append(f'<p class="note">{_esc(summ["note"])}</p>')
    if sample_key and sample_key in adata.obs.columns:
        from .pl._composition import composition

        for kind in ("celltype", "state", "subset"):
            if keys(key)[kind] not in adata.obs.columns:
                continue
            try:
                fig = composition(adata, sample_key, kind=kind, return_fig=True, key_added=key)
                parts.append(_fig_to_img(fig, f"per-sample {kind} composition"))
            except Exception as exc:  # noqa: BLE001 - the composition plots are optional
                logger.debug("composition plot (%s) skipped in report: %s", kind, exc)
    score_cols = [c for c in table.columns if c.startswith("score_") and not c.startswith("score_macrophage_")]
    if score_cols:
        parts.append(
            "<details><summary>mean scores per sample</summary>"
            + _table(table[score_cols].T, nan_text="not measured")
            + "</details>"
        )
    return "\n".join(parts)


def _reviews_note() -> str:
    from .prognosis._evidence import reviews

    items = [
        f'{_esc(r.citation)}, doi <a href="https://doi.org/{_esc(r.doi)}">{_esc(r.doi)}</a>, PMID {_esc(r.pmid)} '
        f"({_esc(r.role)})"
        for r in reviews().itertuples()
    ]
    return (
        '<p class="note">Background reviews (tamclass takes no pooled number from them):</p><ul class="note">'
        + "".join(f"<li>{i}</li>" for i in items)
        + "</ul>"
    )


def _sec_evidence(adata, key: str, cancer_type: str | None = None) -> str:
    from .prognosis._evidence import link

    uns = adata.uns.get(key, {})
    table = uns.get("samples") if isinstance(uns, dict) else None
    if not isinstance(table, pd.DataFrame):
        # nothing was summarised per sample, so no measured feature exists to link
        return (
            _missing(
                "no per-sample summary, so no measured feature is linked to the literature "
                "(run tamclass.tl.summarize / pass --sample-key)"
            )
            + _reviews_note()
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TamclassWarning)  # its message is printed below instead
        ev = link(table, cancer_type=cancer_type)
    parts = [
        f'<p class="note">{_esc(m)}</p>'
        for m in ev.attrs.get("messages", [])
        if not m.startswith("no evidence row matches")
    ]  # listed in full below
    if cancer_type is not None and len(ev):
        parts.insert(0, f'<p class="note">Evidence restricted to cancer type {_esc(repr(cancer_type))}.</p>')
    if _sample_note(uns):
        parts.append(
            '<p class="note">The samples of this file are illustrative (see the per-sample summary); the '
            "evidence below describes published cohorts only.</p>"
        )
    if not len(ev):
        return "\n".join(parts) + _missing("no published evidence linked to the measured features") + _reviews_note()
    parts.insert(
        0,
        '<p class="note">Published pooled associations (meta-analyses) for the measured features reported '
        "above, each sentence built only from one row of tamclass's evidence table. They describe "
        "populations in other cohorts, not the samples in this file. Every row is shown.</p>",
    )
    no_ev = ev.attrs.get("no_evidence", [])
    if no_ev:
        parts.append(
            f"<details><summary>{len(no_ev)} measured feature(s) match no evidence row</summary>"
            f'<p class="note">{_esc(", ".join(no_ev))}</p></details>'
        )
    for ctype, grp in ev.groupby("cancer_type", sort=False):
        cols = [c for c in ("feature", "sentence", "doi", "pmid") if c in grp.columns]
        parts.append(f"<h3>Cancer type: {_esc(ctype)}</h3>")
        parts.append(
            _table(grp[cols].drop_duplicates().reset_index(drop=True), index=False, links={"doi": "https://doi.org/{}"})
        )
    return "\n".join(parts) + _reviews_note()


def _sec_params(adata, key: str) -> str:
    uns = adata.uns.get(key, {})
    if not isinstance(uns, dict) or not uns:
        return _missing("no provenance recorded")
    rows = []
    for step in ("score", "gate", "classify", "summarize", "cli"):
        d = uns.get(step)
        if isinstance(d, dict):
            d = {kk: vv for kk, vv in d.items() if kk != "signatures"}
            if step == "classify" and str(d.get("status", "")).startswith("labelled by evidence"):
                # classify's one-line summary covers both labels: print what happened to each
                d["status"] = "; ".join(
                    f"{w}: {_state_status(d, w, f'{key}_{w}' in adata.obs.columns, _labelled(adata, f'{key}_{w}'))}"
                    for w in ("state", "subset")
                )
            for k, v in _flatten(d):
                rows.append((step, k, v))
    df = pd.DataFrame(rows, columns=["step", "parameter", "value"])
    return _table(df, index=False)


# ----------------------------------------------------------------------------------------- public
def build_report(
    adata,
    *,
    key_added: str = DEFAULT_KEY,
    groupby: str | None = None,
    sample_key: str | None = None,
    title: str | None = None,
    input_name: str | None = None,
    cancer_type: str | None = None,
) -> str:
    """Build the HTML report as a string (see :func:`write_report`)."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo"):
        matplotlib.use("Agg", force=True)
    key = key_added
    title = title or "tamclass report" + (f": {input_name}" if input_name else "")
    sections = [
        ("Input", "input", lambda: _sec_input(adata, key, input_name)),
        ("Signatures", "signatures", lambda: _sec_signatures(adata, key)),
        ("Cell-type gate", "gate", lambda: _sec_gate(adata, key)),
        ("Scores per cell type", "scores", lambda: _sec_scores(adata, key, groupby)),
        ("Embedding", "embedding", lambda: _sec_embedding(adata, key)),
        ("Macrophage states and subsets", "states", lambda: _sec_states(adata, key)),
        ("Per-sample summary", "samples", lambda: _sec_samples(adata, key, sample_key)),
        ("Literature evidence", "evidence", lambda: _sec_evidence(adata, key, cancer_type)),
        ("Parameters and provenance", "parameters", lambda: _sec_params(adata, key)),
    ]
    body = []
    for name, anchor, make in sections:
        try:
            content = make()
        except Exception as exc:  # noqa: BLE001 - one broken section must not lose the whole report
            logger.warning("report section %r could not be built: %s", name, exc)
            content = _missing(f"this section could not be built: {type(exc).__name__}: {exc}")
        body.append(_section(name, anchor, content))
    nav = " ".join(f'<a href="#{a}">{_esc(n)}</a>' for n, a, _ in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_esc(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n"
        f'<h1>{_esc(title)}</h1>\n<div class="banner" id="research-use-only"><strong>{_esc(RESEARCH_BANNER)}</strong></div>\n'
        f"<nav>{nav}</nav>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(
    adata: AnnData | RunResult,
    path: str | os.PathLike,
    *,
    key_added: str | None = None,
    groupby: str | None = None,
    sample_key: str | None = None,
    title: str | None = None,
    input_name: str | None = None,
    inputs: Iterable = (),
    cancer_type: str | None = None,
) -> Path:
    """Write a self-contained HTML report of the tamclass results in ``adata`` (atomically).

    Sections: input summary, signature table (genes used, citations, DOIs), cell-type gate counts, mean
    scores per cell type (and per ``groupby``), embedding (when ``obsm["X_umap"]``/``X_tsne``/``X_pca``
    exists), M1-like/M2-like state and TAM-subset composition with the polarization histogram, per-sample
    table (``uns[key_added]["samples"]`` from :func:`tamclass.tl.summarize`), linked literature evidence,
    parameters/provenance, and a research-use-only banner. Sections whose inputs are missing say so.

    Parameters
    ----------
    adata
        AnnData after (some of) :func:`tamclass.tl.score` / ``gate`` / ``classify`` / ``summarize``, or the
        :class:`~tamclass.tl.RunResult` of :func:`tamclass.tl.run` (its ``key_added``, ``groupby`` and
        ``sample_key`` are then the defaults).
    path
        Output ``.html`` file.
    key_added
        The prefix used by the pipeline (default: the run's, else ``"tamclass"``).
    groupby
        Extra ``obs`` column (e.g. clusters) to show mean scores for (default: the run's).
    sample_key
        The sample column used by :func:`tamclass.tl.summarize` (for the composition plot; default: the run's).
    title, input_name
        Shown in the header.
    inputs
        Paths the report must not overwrite.
    cancer_type
        Link only the evidence of this cancer type (see :func:`tamclass.prognosis.link`); the report says
        when none exists for it. Default: evidence of every cancer type, grouped and labelled by cancer
        type, with a note asking for the cancer type.

    Returns
    -------
    The path written.

    Examples
    --------
    >>> write_report(adata, "report.html", sample_key="sample")  # doctest: +SKIP
    """
    from ._io import check_output_path, write_text_atomic

    if hasattr(adata, "adata") and hasattr(adata, "key_added"):  # a tl.run result carries its own keys
        run = adata
        adata = run.adata
        key_added = run.key_added if key_added is None else key_added
        groupby = run.groupby if groupby is None else groupby
        sample_key = run.sample_key if sample_key is None else sample_key
    key_added = DEFAULT_KEY if key_added is None else key_added
    target = check_output_path(path, inputs=inputs, what="report file")
    text = build_report(
        adata,
        key_added=key_added,
        groupby=groupby,
        sample_key=sample_key,
        title=title,
        input_name=input_name,
        cancer_type=cancer_type,
    )
    return write_text_atomic(text, target, inputs=inputs)
