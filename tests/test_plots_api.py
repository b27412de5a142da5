"""The shared tc.pl conventions, checked on every plotting function: ax=, return_fig=, show=None, save=."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import tamclass as tc
from tamclass.pl import _utils


@pytest.fixture(scope="module")
def adata():
    a = tc.datasets.demo()
    tc.tl.score(a, ["Cheng2021_M1"])
    a.obs["tamclass_polarization"] = np.linspace(-1, 1, a.n_obs)
    return a


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(1)
    n = 80
    x = rng.normal(size=n)
    return pd.DataFrame(
        {"time": rng.exponential(10 * np.exp(-0.5 * x)), "event": (rng.random(n) < 0.7).astype(int), "m2": x}
    )


def _calls(adata, cohort):
    """One call per tc.pl function (name -> callable taking the shared keyword arguments)."""
    table = pd.DataFrame(
        {
            "state_fraction_M1-like": [0.2, 0.5],
            "state_fraction_M2-like": [0.7, 0.3],
            "state_fraction_unassigned": [0.1, 0.2],
        },
        index=["P1", "P2"],
    )
    meta = tc.prognosis.meta_analysis(effect=[0.1, 0.5, 0.3], se=[0.1, 0.2, 0.15], study=["a", "b", "c"])
    km = tc.prognosis.km(cohort, "time", "event", "m2")
    return {
        "embedding": lambda **kw: tc.pl.embedding(adata, "umap", "Cheng2021_M1", **kw),
        "scores": lambda **kw: tc.pl.scores(adata, "leiden", **kw),
        "score_distribution": lambda **kw: tc.pl.score_distribution(adata, "leiden", "Cheng2021_M1", **kw),
        "polarization": lambda **kw: tc.pl.polarization(adata, **kw),
        "composition": lambda **kw: tc.pl.composition(table, **kw),
        "forest": lambda **kw: tc.pl.forest(meta, **kw),
        "km": lambda **kw: tc.pl.km(km, **kw),
    }


NAMES = ["embedding", "scores", "score_distribution", "polarization", "composition", "forest", "km"]


def test_every_pl_function_is_covered():
    assert sorted(NAMES) == sorted(tc.pl.__all__)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def shows(monkeypatch):
    """Record plt.show() calls instead of showing."""
    calls = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: calls.append(1))
    return calls


@pytest.mark.parametrize("name", NAMES)
def test_ax_draws_into_the_given_axes(adata, cohort, name, shows):
    fig, ax = plt.subplots()
    n_before = len(plt.get_fignums())
    out = _calls(adata, cohort)[name](ax=ax, show=False)
    assert out is ax
    assert ax.has_data() or ax.patches or ax.collections or ax.images
    assert len(plt.get_fignums()) == n_before  # no new figure
    # return_fig with ax= gives that axes' figure
    fig2, ax2 = plt.subplots()
    assert _calls(adata, cohort)[name](ax=ax2, return_fig=True) is fig2
    assert not shows


@pytest.mark.parametrize("name", NAMES)
def test_return_fig_and_show_none(adata, cohort, name, shows, monkeypatch, tmp_path):
    call = _calls(adata, cohort)[name]
    fig = call(return_fig=True)
    assert isinstance(fig, Figure) and fig.axes
    # show=None on Agg (scripts, tests): not shown, the Axes come back
    out = call()
    assert isinstance(out, Axes) and not shows
    # show=None on a backend that can display: shown for a figure tamclass made, not into the user's ax
    monkeypatch.setattr(_utils, "_can_display", lambda: True)
    assert call() is None and len(shows) == 1
    _, ax = plt.subplots()
    assert call(ax=ax) is ax and len(shows) == 1
    # scanpy's autoshow=False is respected
    import scanpy as sc

    old = sc.settings.autoshow
    sc.settings.autoshow = False
    try:
        assert isinstance(call(), Axes) and len(shows) == 1
    finally:
        sc.settings.autoshow = old
    # show=True always shows and returns None; save writes a file (PNG without suffix)
    assert call(show=True, save=tmp_path / name) is None and len(shows) == 2
    assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_can_display_knows_file_backends():
    assert not _utils._can_display()  # Agg in tests
    for backend, expected in [
        ("agg", False),
        ("pdf", False),
        ("svg", False),
        ("cairo", False),
        ("qtagg", True),
        ("module://matplotlib_inline.backend_inline", True),
        ("tkagg", True),
        ("macosx", True),
    ]:
        matplotlib_get = matplotlib.get_backend
        try:
            matplotlib.get_backend = lambda b=backend: b
            assert _utils._can_display() is expected, backend
        finally:
            matplotlib.get_backend = matplotlib_get
