"""``tc.tl.run``: the pipeline in one call equals the steps run by hand, every option reaches every step it
concerns, the CLI writes what ``tc.tl.run`` gives, and :class:`RunResult`'s tables are the CLI's files.

Real data only (the bundled demo and inputs derived from it in tests/_cli_parity.py); numbers are never
hard-coded, so the gate / classifier may change and these stay true.
"""

from __future__ import annotations

import os
import subprocess
import sys

import _cli_parity
import anndata as ad
import pandas as pd
import pytest

import tamclass as tc
from tamclass.datasets._demo import DEMO_PATH
from tamclass.report import write_report
from tamclass.tl import _run

STEPS = ("score", "gate", "classify", "summarize")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return _cli_parity.make_inputs(tmp_path_factory.mktemp("run_inputs"))


@pytest.fixture(scope="module")
def demo_result():
    adata = ad.read_h5ad(DEMO_PATH)
    return tc.tl.run(adata, groupby="leiden", sample_key="sample")


def test_run_is_exported():
    assert "run" in dir(tc.tl)
    assert tc.tl.run is _run.run


def test_run_equals_steps_by_hand(demo_result):
    by_hand = _cli_parity.api_run(DEMO_PATH, groupby="leiden", sample_key="sample")
    result = demo_result
    assert isinstance(result, _run.RunResult) and result.adata.n_obs == 559
    _cli_parity.assert_same_result(result.adata, by_hand)
    pd.testing.assert_frame_equal(result.samples, by_hand.uns["tamclass"]["samples"])
    assert (result.key_added, result.sample_key, result.groupby) == ("tamclass", "sample", "leiden")
    assert repr(result) == "RunResult(559 cells x 9,810 genes, key_added='tamclass', 3 samples)"


def test_every_option_reaches_every_step(monkeypatch):
    """Stand-ins for the four steps record what each is given (no computation)."""
    calls = {}

    def spy(step):
        def record(adata, *args, **kwargs):
            calls[step] = (args, kwargs)
            return pd.DataFrame() if step == "summarize" else None

        return record

    for step in STEPS:
        monkeypatch.setattr(getattr(_run, f"_{step}"), step, spy(step))
    adata = ad.AnnData(pd.DataFrame([[1.0]], index=["c"], columns=["g"]))
    model = object()
    data = {"layer": "counts", "use_raw": True, "gene_symbols": "symbol", "species": "mouse"}
    result = tc.tl.run(
        adata,
        ["a", "b"],
        method="module",
        groupby="leiden",
        sample_key="patient",
        model=model,
        classify=False,  # a model is applied even so
        device="cpu",
        random_state=7,
        key_added="tc",
        **data,
    )
    assert calls["score"] == ((["a", "b"],), {"method": "module", "key_added": "tc", "random_state": 7, **data})
    assert calls["gate"] == ((), {"groupby": "leiden", "key_added": "tc", "random_state": 7, **data})
    expected = {"device": "cpu", "groupby": "leiden", "key_added": "tc", "random_state": 7, **data}
    assert calls["classify"] == ((model,), expected)
    assert calls["summarize"] == (("patient",), {"key_added": "tc"})
    assert result.key_added == "tc" and result.sample_key == "patient" and result.groupby == "leiden"

    calls.clear()
    result = tc.tl.run(adata, classify=False)
    assert set(calls) == {"score", "gate"} and result.samples is None


@pytest.mark.parametrize(
    ("name", "option"),
    [("mouse", {"species": "mouse"}), ("scaled", {"layer": "counts"}), ("human", {"groupby": "leiden"})],
)
def test_options_reach_the_steps_on_real_data(inputs, name, option):
    """The run with the option equals the steps by hand with it, and the option had its effect."""
    adata = ad.read_h5ad(inputs[name])
    tc.tl.run(adata, **option)
    _cli_parity.assert_same_result(adata, _cli_parity.api_run(inputs[name], **option))
    assert adata.obs["tamclass_is_macrophage"].sum() > 0
    assert (adata.obs["tamclass_state"] != "not macrophage").sum() > 0
    if "species" in option:
        assert adata.uns["tamclass"]["score"]["input"]["species"] == "mouse"
    if "layer" in option:
        assert adata.uns["tamclass"]["score"]["input"]["layer"] == "counts"
    if "groupby" in option:
        assert adata.uns["tamclass"]["gate"]["groupby"] == "leiden" and "votes" in adata.uns["tamclass"]["gate"]


def test_cli_output_equals_run(demo_result, tmp_path):
    out = tmp_path / "cli.h5ad"
    proc = subprocess.run(
        [sys.executable, "-m", "tamclass", "score", DEMO_PATH, "-o", out, "--groupby", "leiden"]
        + ["--sample-key", "sample", "--table", tmp_path / "tables"],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg", "TAMCLASS_PROGRESS": "0"},
    )
    assert proc.returncode == 0, proc.stderr
    cli = ad.read_h5ad(out)
    _cli_parity.assert_same_result(cli, _cli_parity.roundtrip(demo_result.adata, tmp_path / "api.h5ad"))
    # the CLI prints the result's summary and writes its tables
    assert "\n".join(demo_result.summary_lines()) in proc.stdout
    cells = pd.read_csv(tmp_path / "tables" / "cells.tsv", sep="\t", index_col=0)
    assert list(cells.columns) == list(demo_result.cell_table().columns)
    assert list(cells.index) == list(demo_result.adata.obs_names)


def test_result_tables(demo_result, tmp_path):
    result = demo_result
    cells = result.cell_table()
    scores = result.adata.obsm["tamclass_scores"]
    assert cells.index.name == "cell" and list(cells.index) == list(result.adata.obs_names)
    assert [c for c in cells.columns if c.startswith("score_")] == [f"score_{c}" for c in scores.columns]
    assert "tamclass_celltype" in cells.columns and any(c.startswith("state_proba_") for c in cells.columns)
    sigs = result.signature_table()
    assert list(sigs["signature"]) == list(result.adata.uns["tamclass"]["score"]["signatures"])
    lines = result.summary_lines()
    assert lines[0] == "559 cells x 9,810 genes" and "per-sample summary (sample):" in lines
    written = result.write_tables(tmp_path / "t")
    assert [p.name for p in written] == ["cells.tsv", "samples.tsv", "signatures.tsv"]
    samples = pd.read_csv(tmp_path / "t" / "samples.tsv", sep="\t", index_col=0)
    assert list(samples.index) == list(result.samples.index)
    report = write_report(result, tmp_path / "r.html", cancer_type="breast")
    assert report.is_file() and "Research use only" in report.read_text(encoding="utf-8")


def test_result_without_samples():
    adata = ad.read_h5ad(DEMO_PATH)
    result = tc.tl.run(adata, ["Macrophage_identity", "Cheng2021_M1"], classify=False)
    assert result.samples is None and "tamclass_state" not in adata.obs
    assert not any(line.startswith("per-sample") for line in result.summary_lines())
    assert repr(result).endswith("no samples)")
