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
>>> tc.tl.score(adata); tc.tl.gate(adata); tc.tl.classify(adata)          # doctest: +SKIP
>>> tc.tl.summarize(adata, "sample")                                      # doctest: +SKIP
>>> write_report(adata, "report.html", sample_key="sample", groupby="leiden")  # doctest: +SKIP
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ._settings import logger

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


def _table(df: pd.DataFrame, *, index: bool = True, max_rows: int = 200, float_fmt: str = "{:.3g}",
           links: dict[str, str] | None = None) -> str:
    """DataFrame -> escaped HTML table (numbers right-aligned; optional columns rendered as links)."""
    links = links or {}
    shown = df.head(max_rows)
    head = ([f"<th>{_esc(shown.index.name or '')}</th>"] if index else []) + [f"<th>{_esc(c)}</th>" for c in shown.columns]
    rows = []
    for idx, row in shown.iterrows():
        cells = [f"<td>{_esc(idx)}</td>"] if index else []
        for col, val in row.items():
            if isinstance(val, (float, np.floating)):
                txt = "" if not np.isfinite(val) else float_fmt.format(val)
                cells.append(f'<td class="num">{_esc(txt)}</td>')
            elif isinstance(val, (int, np.integer)) and not isinstance(val, bool):
                cells.append(f'<td class="num">{int(val):,}</td>')
            elif col in links and isinstance(val, str) and val:
                href = links[col].format(val)
                cells.append(f'<td><a href="{_esc(href)}">{_esc(val)}</a></td>')
            else:
                cells.append(f"<td>{_esc('' if val is None else val)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="note">showing {max_rows} of {len(df):,} rows</p>' if len(df) > max_rows else ""
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
    scores = adata.obsm.get(f"{key}_scores")
    names = list(scores.columns) if isinstance(scores, pd.DataFrame) else list(sigs)
    if not names:
        return _missing("no signature scores found (run tamclass.tl.score)")
    try:
        import tamclass as tc

        lib = tc.signatures.available()
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
        rows.append({
            "signature": name,
            "category": (meta["category"] if meta is not None and "category" in lib.columns else info.get("category", "")),
            "genes used": len(used),
            "genes missing": len(missing),
            "citation": (str(meta["citation"]) if meta is not None and "citation" in lib.columns else "user-supplied"),
            "doi": (str(meta["doi"]) if meta is not None and "doi" in lib.columns and pd.notna(meta["doi"]) else ""),
        })
    df = pd.DataFrame(rows).set_index("signature")
    skipped = score.get("skipped", [])
    skipped = list(skipped.tolist() if hasattr(skipped, "tolist") else skipped)
    note = (f'<p class="note">Skipped (no genes in the data): {_esc(", ".join(map(str, skipped)))}</p>'
            if skipped else "")
    return _table(df, links={"doi": "https://doi.org/{}"}) + note


def _sec_gate(adata, key: str) -> str:
    col = f"{key}_celltype"
    if col not in adata.obs.columns:
        return _missing("no gate results (run tamclass.tl.gate)")
    parts = [_table(_counts_table(adata.obs[col], "cell type"))]
    uns = adata.uns.get(key, {})
    gate = uns.get("gate", {}) if isinstance(uns, dict) else {}
    if isinstance(gate, dict) and gate.get("rule"):
        parts.append(f'<p class="note">Rule: {_esc(gate["rule"])}</p>')
    return "\n".join(parts)


def _sec_scores(adata, key: str, groupby: str | None) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from .pl._scores import scores as plot_scores

    parts = []
    targets = [g for g in (f"{key}_celltype", groupby) if g and g in adata.obs.columns]
    if f"{key}_scores" not in adata.obsm:
        return _missing("no signature scores found (run tamclass.tl.score)")
    if not targets:
        return _missing("no grouping available (run tamclass.tl.gate or pass groupby=)")
    for g in dict.fromkeys(targets):
        ax = plot_scores(adata, groupby=g, key_added=key, standard_scale="var", show=False, annotate=False)
        means = ax.tamclass_means
        parts.append(f"<h3>Mean score per {_esc(g)}</h3>")
        parts.append(_fig_to_img(ax.figure, f"mean signature score per {g}"))
        parts.append("<details><summary>values</summary>" + _table(means.T) + "</details>")
    return "\n".join(parts)


def _sec_embedding(adata, key: str) -> str:
    basis = next((b for b in ("umap", "tsne", "pca") if f"X_{b}" in adata.obsm), None)
    if basis is None:
        return _missing("no embedding in obsm (X_umap / X_tsne / X_pca); skipped")
    import matplotlib.pyplot as plt

    cols = [c for c in (f"{key}_celltype", f"{key}_state", f"{key}_polarization") if c in adata.obs.columns]
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
                    color = "0.85" if str(c) in ("other", "not macrophage") else cmap(i % 10)
                    ax.scatter(xy[m, 0], xy[m, 1], s=5, color=color, label=f"{c} ({int(m.sum())})", linewidths=0)
            ax.legend(fontsize=7, markerscale=2, frameon=False, loc="best")
        ax.set_title(col, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{basis.upper()}1")
        ax.set_ylabel(f"{basis.upper()}2")
    fig.tight_layout()
    return _fig_to_img(fig, f"{basis} coloured by tamclass results")


def _sec_states(adata, key: str) -> str:
    parts = []
    for col, what in ((f"{key}_state", "M1-like / M2-like state"), (f"{key}_subset", "TAM subset"),
                      (f"{key}_label", "model label")):
        if col not in adata.obs.columns:
            continue
        s = adata.obs[col]
        if col != f"{key}_label":
            s = s[s.astype(str) != "not macrophage"]
        parts.append(f"<h3>{_esc(what)} (macrophages)</h3>" if col != f"{key}_label" else f"<h3>{_esc(what)}</h3>")
        parts.append(_table(_counts_table(s, what)))
        conf = f"{col}_confidence"
        if conf in adata.obs.columns:
            c = pd.to_numeric(adata.obs.loc[s.index, conf], errors="coerce")
            if c.notna().any():
                parts.append(f'<p class="note">median confidence {c.median():.2f} (n = {int(c.notna().sum()):,})</p>')
    pcol = f"{key}_polarization"
    if pcol in adata.obs.columns and pd.to_numeric(adata.obs[pcol], errors="coerce").notna().any():
        from .pl._scores import polarization

        ax = polarization(adata, key_added=key, show=False)
        parts.append(_fig_to_img(ax.figure, "polarization index histogram"))
    uns = adata.uns.get(key, {})
    cl = uns.get("classify", {}) if isinstance(uns, dict) else {}
    if isinstance(cl, dict) and cl:
        keep = {k: cl[k] for k in ("status", "polarization", "state_threshold", "subset_threshold", "device") if k in cl}
        for k in ("state_model", "subset_model"):
            if isinstance(cl.get(k), dict) and "status" in cl[k]:
                keep[f"{k}.status"] = cl[k]["status"]
            elif isinstance(cl.get(k), str):
                keep[k] = cl[k]
        if keep:
            df = pd.DataFrame(list(_flatten(keep)), columns=["item", "value"]).set_index("item")
            parts.append("<h3>How states were assigned</h3>" + _table(df))
    return "\n".join(parts) if parts else _missing("no classification results (run tamclass.tl.classify)")


def _sec_samples(adata, key: str, sample_key: str | None) -> str:
    uns = adata.uns.get(key, {})
    table = uns.get("samples") if isinstance(uns, dict) else None
    if not isinstance(table, pd.DataFrame):
        return _missing("no per-sample summary (pass a sample column: tamclass score --sample-key COL)")
    parts = []
    main_cols = [c for c in table.columns if c in ("n_cells", "n_macrophages", "macrophage_fraction", "m2_m1_ratio",
                                                    "polarization_mean") or c.startswith(("state_fraction_", "subset_fraction_"))]
    parts.append(_table(table[main_cols] if main_cols else table))
    note = ""
    summ = uns.get("summarize", {})
    if isinstance(summ, dict) and summ.get("note"):
        note = f'<p class="note">{_esc(summ["note"])}</p>'
    parts.append(note)
    if sample_key and sample_key in adata.obs.columns:
        import tamclass as tc

        for kind in ("celltype", "state", "subset"):
            if f"{key}_{kind}" not in adata.obs.columns:
                continue
            try:
                ax = tc.pl.composition(adata, sample_key, kind=kind, show=False, key_added=key)
                fig = ax[0].figure if isinstance(ax, (list, tuple, np.ndarray)) else ax.figure
                parts.append(_fig_to_img(fig, f"per-sample {kind} composition"))
            except Exception as exc:  # noqa: BLE001 - the composition plots are optional
                logger.debug("composition plot (%s) skipped in report: %s", kind, exc)
    score_cols = [c for c in table.columns if c.startswith("score_") and not c.startswith("score_macrophage_")]
    if score_cols:
        parts.append("<details><summary>mean scores per sample</summary>" + _table(table[score_cols].T) + "</details>")
    return "\n".join(parts)


def _sec_evidence(adata, key: str) -> str:
    from .prognosis import link

    uns = adata.uns.get(key, {})
    table = uns.get("samples") if isinstance(uns, dict) else None
    features = table if isinstance(table, pd.DataFrame) else ["macrophage_fraction", "state_fraction_M2-like"]
    ev = link(features)
    ev = ev[[c for c in ("feature", "sentence", "doi") if c in ev.columns]].drop_duplicates()
    if not len(ev):
        return _missing("no published evidence linked to these features")
    head = ('<p class="note">Published pooled associations (meta-analyses) for the features reported above. '
            "They describe populations in other cohorts, not the samples in this file.</p>")
    return head + _table(ev.reset_index(drop=True), index=False, max_rows=40, links={"doi": "https://doi.org/{}"})


def _sec_params(adata, key: str) -> str:
    uns = adata.uns.get(key, {})
    if not isinstance(uns, dict) or not uns:
        return _missing("no provenance recorded")
    rows = []
    for step in ("score", "gate", "classify", "summarize", "cli"):
        d = uns.get(step)
        if isinstance(d, dict):
            for k, v in _flatten({kk: vv for kk, vv in d.items() if kk != "signatures"}):
                rows.append((step, k, v))
    df = pd.DataFrame(rows, columns=["step", "parameter", "value"])
    return _table(df, index=False, max_rows=400)


# ----------------------------------------------------------------------------------------- public
def build_report(
    adata,
    *,
    key_added: str = "tamclass",
    groupby: str | None = None,
    sample_key: str | None = None,
    title: str | None = None,
    input_name: str | None = None,
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
        ("Literature evidence", "evidence", lambda: _sec_evidence(adata, key)),
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
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_esc(title)}</title>"
        f"<style>{_CSS}</style></head><body>\n"
        f"<h1>{_esc(title)}</h1>\n<div class=\"banner\" id=\"research-use-only\"><strong>{_esc(RESEARCH_BANNER)}</strong></div>\n"
        f"<nav>{nav}</nav>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(
    adata,
    path,
    *,
    key_added: str = "tamclass",
    groupby: str | None = None,
    sample_key: str | None = None,
    title: str | None = None,
    input_name: str | None = None,
    inputs: Iterable = (),
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
        AnnData after (some of) :func:`tamclass.tl.score` / ``gate`` / ``classify`` / ``summarize``.
    path
        Output ``.html`` file.
    key_added
        The prefix used by the pipeline.
    groupby
        Extra ``obs`` column (e.g. clusters) to show mean scores for.
    sample_key
        The sample column used by :func:`tamclass.tl.summarize` (for the composition plot).
    title, input_name
        Shown in the header.
    inputs
        Paths the report must not overwrite.

    Returns
    -------
    The path written.

    Examples
    --------
    >>> write_report(adata, "report.html", sample_key="sample")   # doctest: +SKIP
    """
    from ._io import check_output_path, write_text_atomic

    target = check_output_path(path, inputs=inputs, what="report file")
    text = build_report(adata, key_added=key_added, groupby=groupby, sample_key=sample_key, title=title,
                        input_name=input_name)
    return write_text_atomic(text, target, inputs=inputs)
