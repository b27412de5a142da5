"""The self-contained HTML report (tamclass.report)."""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import tamclass as tc
from tamclass._errors import TamclassIOError
from tamclass.report import build_report, write_report


class _Collector(HTMLParser):
    """Collect tags with their attributes, section ids, and the text of each table row."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.sections: list[str] = []
        self.rows: dict[str, list[list[str]]] = {}
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "section":
            self.sections.append(attrs.get("id", ""))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.setdefault(self.sections[-1] if self.sections else "", []).append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _parse(text: str) -> _Collector:
    c = _Collector()
    c.feed(text)
    return c


@pytest.fixture(scope="module")
def pipeline_adata():
    adata = tc.datasets.demo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.score(adata)
        tc.tl.gate(adata)
        tc.tl.classify(adata)
        tc.tl.summarize(adata, "sample")
    return adata


def test_report_sections_and_self_contained(pipeline_adata, tmp_path):
    path = write_report(
        pipeline_adata, tmp_path / "r.html", groupby="leiden", sample_key="sample", input_name="demo.h5ad"
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    doc = _parse(text)
    assert doc.sections == [
        "input",
        "signatures",
        "gate",
        "scores",
        "embedding",
        "states",
        "samples",
        "evidence",
        "parameters",
    ]
    assert "Research use only" in text
    # nothing is loaded from elsewhere: every src is an embedded data URI, no stylesheet/script links
    for tag, attrs in doc.tags:
        if "src" in attrs:
            assert attrs["src"].startswith("data:image/png;base64,"), (tag, attrs["src"][:40])
        assert tag not in ("script", "iframe", "object", "embed"), tag
        if tag == "link":
            raise AssertionError(f"external link tag: {attrs}")
    assert "@import" not in text and "url(" not in text
    assert sum(1 for t, a in doc.tags if t == "img") >= 3
    # hyperlinks are only DOIs (plain links, not assets) or in-page anchors
    for tag, attrs in doc.tags:
        if tag == "a":
            assert attrs["href"].startswith(("#", "https://doi.org/")), attrs["href"]


def test_report_tables_match_data(pipeline_adata):
    doc = _parse(build_report(pipeline_adata, sample_key="sample"))

    def rows(section):
        return {r[0]: r[1:] for r in doc.rows[section] if r}

    # gate counts equal the obs counts
    gate = rows("gate")
    counts = pipeline_adata.obs["tamclass_celltype"].value_counts()
    for celltype, n in counts.items():
        if n:
            assert gate[str(celltype)][0].replace(",", "") == str(n), celltype
    # every scored signature is listed with its citation's DOI from the library
    sigs = rows("signatures")
    lib = tc.signatures.available()
    for name in pipeline_adata.obsm["tamclass_scores"].columns:
        assert name in sigs, name
        doi = str(lib.loc[name, "doi"])
        if doi and doi != "nan":
            assert doi in sigs[name], name
    # per-sample rows
    per_sample = rows("samples")
    samples = pipeline_adata.uns["tamclass"]["samples"]
    for s in samples.index:
        assert per_sample[str(s)][0].replace(",", "") == str(int(samples.loc[s, "n_cells"]))
    assert rows("input")["cells"][0] == f"{pipeline_adata.n_obs:,}"


def test_report_partial_results_and_escaping(tmp_path):
    adata = tc.datasets.demo()[:80].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.score(adata, {"<b>evil<b>&": ["CD68", "LYZ", "CD14"]})
    text = build_report(adata)
    assert "<b>evil" not in text and "&lt;b&gt;evil&lt;b&gt;&amp;" in text
    assert "no gate results" in text
    assert "no per-sample summary" in text
    assert "user-supplied" in text


def test_report_refuses_input_path(pipeline_adata, tmp_path):
    src = tmp_path / "in.h5ad"
    src.write_bytes(b"data")
    with pytest.raises(TamclassIOError, match="is the input"):
        write_report(pipeline_adata, src, inputs=[src])
    assert src.read_bytes() == b"data"


def _section_text(html_text: str, anchor: str) -> str:
    start = html_text.index(f'<section id="{anchor}">')
    return html_text[start : html_text.index("</section>", start)]


def _evidence_rows(doc) -> list[list[str]]:
    return [r for r in doc.rows.get("evidence", []) if r and r[0] != "feature"]


def test_report_evidence_follows_cancer_type(pipeline_adata):
    from tamclass.prognosis._evidence import sentence

    ev = tc.prognosis.evidence(_keep_text=True)
    every_sentence = {sentence(r) for _, r in ev.iterrows()}
    # a cancer type without evidence: said explicitly, nothing linked
    text = build_report(pipeline_adata, sample_key="sample", cancer_type="glioma")
    sec = _section_text(text, "evidence")
    assert "no row for cancer type &#x27;glioma&#x27;" in sec and not _evidence_rows(_parse(text))
    # breast only: every printed sentence is one row's sentence, of breast rows only
    text = build_report(pipeline_adata, sample_key="sample", cancer_type="breast")
    rows = _evidence_rows(_parse(text))
    assert rows and all(r[1] in every_sentence for r in rows)
    breast = {sentence(r) for _, r in ev.loc[ev["cancer_type"] == "breast"].iterrows()}
    assert {r[1] for r in rows} <= breast
    # default: every cancer type, grouped under a heading each, and the note asking for the cancer type
    text = build_report(pipeline_adata, sample_key="sample")
    sec = _section_text(text, "evidence")
    assert "No cancer type was given" in sec
    assert sec.count("<h3>Cancer type: ") == len(
        {
            ev.loc[i, "cancer_type"]
            for i in ev.index
            if any(r[1] == sentence(ev.loc[i]) for r in _evidence_rows(_parse(text)))
        }
    )
    assert "showing" not in text  # no table is cut silently
    assert "39406907" in sec and "40092996" in sec  # the seed reviews, cited in full


def test_report_unclassified_states_are_not_measured(pipeline_adata):
    adata = pipeline_adata.copy()
    st = adata.obs["tamclass_state"].astype(str)
    adata.obs["tamclass_state"] = pd.Categorical(
        st.where(st == "not macrophage", "unassigned"),
        categories=["M1-like", "M2-like", "unassigned", "not macrophage"],
    )
    adata.obs["tamclass_state_confidence"] = np.nan
    cl = adata.uns["tamclass"]["classify"]
    cl["state_model"] = {"status": "not trained: fewer than 2 classes with >= 10 seed cells", "n_seeds": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.summarize(adata, "sample")
    text = build_report(adata, sample_key="sample", cancer_type="breast")
    doc = _parse(text)
    linked = {r[0] for r in _evidence_rows(doc)}
    assert not linked & {"state_fraction_M1-like", "state_fraction_M2-like", "m2_m1_ratio", "log2_m2_m1_ratio"}
    samples = {r[0]: r for r in doc.rows["samples"] if r}
    head = samples["sample"]
    for s in adata.uns["tamclass"]["samples"].index:
        assert samples[s][head.index("m2_m1_ratio")] == "not measured"
        assert samples[s][head.index("state_fraction_M2-like")] == "not measured"
    states = {r[0]: r[1:] for r in doc.rows["states"] if r}
    assert states["state"][0].startswith("not classified: not trained")
    # nowhere (states table, provenance) does the report claim the state network was trained
    assert not re.search(r"state(</td><td>|: )classified with a network trained", text)
    params = [r for r in doc.rows["parameters"] if r and r[:2] == ["classify", "status"]]
    assert params and params[0][2].startswith("state: not classified: not trained")


def test_report_confidence_sits_next_to_the_models_accuracy(pipeline_adata):
    info = pipeline_adata.uns["tamclass"]["classify"]["state_model"]
    doc = _parse(build_report(pipeline_adata, sample_key="sample"))
    rows = {r[0]: r for r in doc.rows["states"] if r}
    head = rows["model"]
    row = rows["M1-like / M2-like state"]
    conf = pipeline_adata.obs.loc[pipeline_adata.obs["tamclass_is_macrophage"], "tamclass_state_confidence"]
    if "held_out_accuracy" in info:  # a network was trained on the evidence calls
        assert (
            row[head.index("held-out accuracy")]
            == f"{info['held_out_accuracy']:.2f} on {info['n_evaluation']:,} held-out evidence-called cells"
        )
        assert (
            row[head.index("ECE before / after temperature scaling")]
            == f"{info['ece_uncalibrated']:.3f} / {info['ece_calibrated']:.3f}"
        )
        assert row[head.index("median confidence (cells)")].split()[0] == f"{conf.median():.2f}"
    else:  # labels from evidence only: no accuracy, no calibration, no confidence is claimed
        assert info["status"].startswith("not trained") and conf.isna().all()
        for col in ("held-out accuracy", "ECE before / after temperature scaling", "median confidence (cells)"):
            assert row[head.index(col)] == "not available"
    # without the model's record the report says so instead of leaving the confidence alone
    adata = pipeline_adata.copy()
    for k in ("state_model", "subset_model"):
        adata.uns["tamclass"]["classify"][k] = {}
    rows = {r[0]: r for r in _parse(build_report(adata)).rows["states"] if r}
    assert rows["M1-like / M2-like state"][rows["model"].index("held-out accuracy")] == "not available"


def test_report_heatmap_uses_one_stated_scale():
    from tamclass.report import _score_scale

    vals = np.array([[0.0004, 0.5, 0.2], [0.0004, 0.9, 0.1]])  # column 0 is constant and tiny
    assert _score_scale(vals, "rank")[:2] == (0.0, 1.0)
    lo, hi, note = _score_scale(vals - 0.3, "module")
    assert (lo, hi) == pytest.approx((0.0004 - 0.3, 0.9 - 0.3)) and "one shared scale" in note
    assert _score_scale(np.array([[-0.2, 0.5]]), "rank")[:2] == (-0.2, 1.0)  # signed sets are not clipped


def test_report_demo_samples_are_called_illustrative(pipeline_adata):
    sec = _section_text(build_report(pipeline_adata, sample_key="sample"), "samples")
    assert "illustrative, not biological samples" in sec
