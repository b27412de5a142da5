"""The self-contained HTML report (tamclass.report)."""
from __future__ import annotations

import warnings
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import tamclass as tc  # noqa: E402
from tamclass._errors import TamclassIOError  # noqa: E402
from tamclass.report import build_report, write_report  # noqa: E402


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
    path = write_report(pipeline_adata, tmp_path / "r.html", groupby="leiden", sample_key="sample",
                        input_name="demo.h5ad")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    doc = _parse(text)
    assert doc.sections == ["input", "signatures", "gate", "scores", "embedding", "states", "samples", "evidence",
                            "parameters"]
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
