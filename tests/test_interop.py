"""Interop with scanpy, decoupler and MuData: scores in obs, decoupler nets and GMT, settings and logging."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import anndata as ad
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import tamclass as tc
from tamclass._errors import InputError, SignatureError, TamclassWarning

SIGS = ["Cheng2021_M1", "Cheng2021_M2", "Macrophage_identity"]


@pytest.fixture
def demo():
    return tc.datasets.demo()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# --------------------------------------------------------------------------------- scores into obs
def test_obs_columns_off_by_default_and_on_request(demo):
    tc.tl.score(demo, SIGS)
    assert not set(SIGS) & set(demo.obs.columns)
    tc.tl.score(demo, SIGS, obs_columns=True)
    table = demo.obsm["tamclass_scores"]
    for name in SIGS:
        np.testing.assert_array_equal(demo.obs[name].to_numpy(), table[name].to_numpy())
    assert list(demo.uns["tamclass"]["obs_columns"]) == SIGS
    # the point of it: scanpy's own plotting finds the score by name
    import scanpy as sc

    ax = sc.pl.umap(demo, color="Cheng2021_M2", show=False)
    shown = np.sort(np.asarray(ax.collections[0].get_array(), dtype=float))
    np.testing.assert_allclose(shown, np.sort(table["Cheng2021_M2"].to_numpy()), rtol=1e-6)
    # re-scoring replaces tamclass's own columns (here with another method) without complaint
    tc.tl.score(demo, SIGS, method="aucell", obs_columns=True)
    np.testing.assert_array_equal(
        demo.obs["Cheng2021_M1"].to_numpy(), demo.obsm["tamclass_scores"]["Cheng2021_M1"].to_numpy()
    )


def test_obs_columns_never_overwrite_user_column(demo):
    demo.obs["Cheng2021_M2"] = "my annotation"
    with pytest.raises(InputError, match=r"obs already has column\(s\) \['Cheng2021_M2'\].*prefix="):
        tc.tl.score(demo, SIGS, obs_columns=True)
    # refused before the work: nothing written at all
    assert "tamclass_scores" not in demo.obsm and "tamclass" not in demo.uns
    assert (demo.obs["Cheng2021_M2"] == "my annotation").all()
    tc.tl.score(demo, SIGS, obs_columns="tc_")
    assert {"tc_Cheng2021_M1", "tc_Cheng2021_M2"} <= set(demo.obs.columns)
    assert (demo.obs["Cheng2021_M2"] == "my annotation").all()
    with pytest.raises(InputError, match="obs_columns must be"):
        tc.tl.score(demo, SIGS, obs_columns=1)


def test_get_scores_and_scores_to_obs(demo, tmp_path):
    with pytest.raises(InputError, match="run tc.tl.score"):
        tc.get.scores(demo)
    tc.tl.score(demo, SIGS)
    got = tc.get.scores(demo, "Cheng2021_M1")
    pd.testing.assert_frame_equal(got, demo.obsm["tamclass_scores"][["Cheng2021_M1"]])
    got.iloc[0, 0] = 99.0  # a copy: the AnnData is not changed through it
    assert demo.obsm["tamclass_scores"].iloc[0, 0] != 99.0
    with pytest.raises(InputError, match="were not scored"):
        tc.get.scores(demo, ["nope"])
    demo.obs["Macrophage_identity"] = 1.0
    with pytest.raises(InputError, match="tamclass did not write"):
        tc.get.scores_to_obs(demo)
    assert "Cheng2021_M1" not in demo.obs.columns  # all or nothing
    assert tc.get.scores_to_obs(demo, ["Cheng2021_M1", "Cheng2021_M2"]) == ["Cheng2021_M1", "Cheng2021_M2"]
    assert tc.get.scores_to_obs(demo, prefix="s_") == [f"s_{n}" for n in SIGS]
    assert (demo.obs["Macrophage_identity"] == 1.0).all()
    demo.write_h5ad(tmp_path / "x.h5ad")  # the bookkeeping in uns survives h5ad
    back = ad.read_h5ad(tmp_path / "x.h5ad")
    assert list(back.uns["tamclass"]["obs_columns"]) == ["Cheng2021_M1", "Cheng2021_M2", *[f"s_{n}" for n in SIGS]]


def test_decoupler_get_obsm_reads_the_scores(demo):
    dc = pytest.importorskip("decoupler")
    tc.tl.score(demo, SIGS)
    scores = dc.pp.get_obsm(demo, "tamclass_scores")
    assert list(scores.var_names) == SIGS and list(scores.obs_names) == list(demo.obs_names)
    np.testing.assert_array_equal(np.asarray(scores.X), demo.obsm["tamclass_scores"].to_numpy())


# ------------------------------------------------------------------------------------ decoupler net
def _net(sigs: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame([(k, g) for k, v in sigs.items() for g in v], columns=["source", "target"])


@pytest.mark.peer
def test_net_aucell_equals_decoupler_aucell(pbmc68k):
    """Our aucell on a decoupler net = dc.mt.aucell on the same net (decoupler 2.2.0)."""
    dc = pytest.importorskip("decoupler")
    data = ad.AnnData(
        pbmc68k.raw.X.copy(), obs=pd.DataFrame(index=pbmc68k.obs_names), var=pd.DataFrame(index=pbmc68k.raw.var_names)
    )
    lib = tc.signatures.load(["Monocyte_classical", "Cheng2021_M1", "Cheng2021_M2", "Neg_T_cell"])
    sets = {n: [g for g in s.up if g in data.var_names] for n, s in lib.items()}
    net = _net(sets)
    net["weight"] = 1.0
    ours = tc.tl.score(data, net, method="aucell", copy=True).obsm["tamclass_scores"]
    peer = data.copy()
    dc.mt.aucell(peer, net, tmin=1)
    peer = peer.obsm["score_aucell"]
    assert list(ours.columns) == list(sets)
    np.testing.assert_allclose(ours.to_numpy(), peer[list(sets)].to_numpy(), atol=1e-5, rtol=0)
    assert (peer.to_numpy() > 0).mean() > 0.1
    # a negative weight makes a down gene: AUC(up) - AUC(down), each half as decoupler scores it
    signed = pd.DataFrame(
        {
            "source": "mono_vs_T",
            "target": sets["Monocyte_classical"] + sets["Neg_T_cell"],
            "weight": [1.0] * len(sets["Monocyte_classical"]) + [-1.0] * len(sets["Neg_T_cell"]),
        }
    )
    ours = tc.tl.score(data, signed, method="aucell", copy=True).obsm["tamclass_scores"]["mono_vs_T"]
    np.testing.assert_allclose(
        ours.to_numpy(), (peer["Monocyte_classical"] - peer["Neg_T_cell"]).to_numpy(), atol=1e-5, rtol=0
    )


def test_net_signs_match_ucell_suffixes(demo):
    net = pd.DataFrame(
        {
            "source": ["pol"] * 3 + ["mac"] * 2,
            "target": ["CXCL9", "CXCL10", "SPP1", "CD68", "C1QA"],
            "weight": [1, 1, -1, 1, 1],
        }
    )
    a = tc.tl.score(demo, net, copy=True).obsm["tamclass_scores"]
    b = tc.tl.score(demo, {"pol": ["CXCL9+", "CXCL10+", "SPP1-"], "mac": ["CD68", "C1QA"]}, copy=True).obsm[
        "tamclass_scores"
    ]
    pd.testing.assert_frame_equal(a, b)
    # and back: to_net gives +1 / -1 rows that resolve to the same sets
    back = tc.signatures.to_net(tc.signatures.resolve(net))
    assert back.to_dict("list") == {
        "source": ["pol"] * 3 + ["mac"] * 2,
        "target": ["CXCL9", "CXCL10", "SPP1", "CD68", "C1QA"],
        "weight": [1.0, 1.0, -1.0, 1.0, 1.0],
    }


def test_net_errors_and_weight_warning():
    with pytest.raises(SignatureError, match="needs columns 'source' and 'target'"):
        tc.signatures.resolve(pd.DataFrame({"set": ["a"], "gene": ["CD68"]}))
    with pytest.raises(SignatureError, match="0, NaN"):
        tc.signatures.resolve(pd.DataFrame({"source": ["a", "a"], "target": ["CD68", "CD14"], "weight": [1, 0]}))
    with pytest.raises(SignatureError, match="both a positive and a negative"):
        tc.signatures.resolve(pd.DataFrame({"source": ["a", "a"], "target": ["CD68", "CD68"], "weight": [1, -1]}))
    with pytest.warns(TamclassWarning, match="only their sign is used"):
        sigs = tc.signatures.resolve(
            pd.DataFrame({"source": ["a", "a"], "target": ["CD68", "CD14"], "weight": [2.5, -0.3]})
        )
    assert sigs["a"].up == ("CD68",) and sigs["a"].down == ("CD14",)
    # no weight column: all up, duplicates dropped, order kept; a net can sit in a list with other forms
    net = pd.DataFrame({"source": ["a", "a", "a"], "target": ["CD68", "CD14", "CD68"]})
    out = tc.signatures.resolve([net, "Cheng2021_M1"])
    assert out["a"].up == ("CD68", "CD14") and list(out) == ["a", "Cheng2021_M1"]


# ----------------------------------------------------------------------------------------------- GMT
def _tab_reader(path) -> dict[str, list[str]]:
    """How GSEApy / MSigDB-style readers parse GMT: split each line on tabs; name, description, genes."""
    out = {}
    for line in open(path, encoding="utf-8"):
        fields = line.strip().split("\t")
        out[fields[0]] = fields[2:]
    return out


def _expected_rows(sigs) -> list[tuple[str, str]]:
    rows = []
    for name, s in sigs.items():
        if s.down:
            rows += [(f"{name}_UP", g) for g in s.up] + [(f"{name}_DN", g) for g in s.down]
        else:
            rows += [(name, g) for g in s.up]
    return rows


@pytest.mark.peer
@pytest.mark.parametrize("species", ["human", "mouse"])
def test_gmt_round_trip_through_decoupler(tmp_path, species):
    dc = pytest.importorskip("decoupler")
    sigs = tc.signatures.load("all", species=species)
    path = tc.signatures.write_gmt(sigs, tmp_path / "all.gmt", species=species)
    net = dc.pp.read_gmt(str(path))
    assert list(map(tuple, net[["source", "target"]].to_numpy())) == _expected_rows(sigs)
    tab = _tab_reader(path)
    assert [(k, g) for k, v in tab.items() for g in v] == _expected_rows(sigs)
    text = path.read_text(encoding="utf-8")
    assert "\n\n" not in text and text.endswith("\n")
    for line in text.splitlines():
        name, desc, *genes = line.split("\t")
        assert len(desc.split()) == 1 and (desc == "NA" or desc.startswith("https://")), line
    # the signed set is written MSigDB-style and joined again by tamclass
    assert tab["CS_polarity_CXCL9_vs_SPP1_DN"] == list(sigs["CS_polarity_CXCL9_vs_SPP1"].down)
    subset = {k: v for k, v in sigs.items() if not k.startswith("Coates2008")}  # Coates has its own _UP/_DN sets
    back = tc.signatures.read_gmt(tc.signatures.write_gmt(subset, tmp_path / "s.gmt", species=species), pair_up_dn=True)
    assert {k: (v.up, v.down) for k, v in back.items()} == {k: (v.up, v.down) for k, v in subset.items()}
    # and decoupler's net goes straight back into tamclass
    again = tc.signatures.resolve(net)
    assert again["Cheng2021_M1"].up == sigs["Cheng2021_M1"].up


def test_gmt_refuses_what_readers_would_misread(tmp_path):
    with pytest.raises(SignatureError, match="whitespace"):
        tc.signatures.write_gmt({"my set": ["CD68"]}, tmp_path / "a.gmt")
    with pytest.raises(SignatureError, match="both be named 'x_UP'"):
        tc.signatures.write_gmt({"x": ["CD68+", "CD14-"], "x_UP": ["MRC1"]}, tmp_path / "b.gmt")
    with pytest.raises(SignatureError, match="signed="):
        tc.signatures.write_gmt("Cheng2021_M1", tmp_path / "c.gmt", signed="tabs")
    assert not list(tmp_path.iterdir())
    # a prose description read from another file is replaced by a one-token one, not split into genes
    src = tmp_path / "prose.gmt"
    src.write_text("s1\tsome words here\tCD68\tCD14\n")
    out = tc.signatures.write_gmt(tc.signatures.read_gmt(src), tmp_path / "out.gmt")
    assert out.read_text() == "s1\tNA\tCD68\tCD14\n"


# ------------------------------------------------------------------------------------------ settings
def test_settings_exist_and_validate():
    assert tc.settings.chunk_size == 10_000 and tc.settings.n_jobs is None
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            tc.settings.chunk_size = bad
    with pytest.raises(ValueError):
        tc.settings.n_jobs = 0
    with pytest.raises(ValueError):
        tc.settings.verbosity = "loud"


def test_settings_chunk_size_and_n_jobs_take_effect(demo, monkeypatch):
    import numba

    from tamclass.scoring import _engine

    ref = tc.tl.score(demo, SIGS, copy=True).obsm["tamclass_scores"]
    seen = {}
    real = _engine.score_chunks

    def spy(meth, indexed, chunks, *args, **kwargs):
        seen["threads"] = numba.get_num_threads()
        seen["chunks"] = [stop - start for start, stop, _ in chunks("spy")]
        return real(meth, indexed, chunks, *args, **kwargs)

    monkeypatch.setattr(_engine, "score_chunks", spy)
    before = numba.get_num_threads()
    monkeypatch.setattr(tc.settings, "chunk_size", 100)
    monkeypatch.setattr(tc.settings, "n_jobs", 1)
    got = tc.tl.score(demo, SIGS, copy=True).obsm["tamclass_scores"]
    assert seen["threads"] == 1 and numba.get_num_threads() == before
    assert max(seen["chunks"]) == 100 and sum(seen["chunks"]) == demo.n_obs
    pd.testing.assert_frame_equal(got, ref)  # results do not depend on either


@pytest.fixture
def _verbosity():
    import scanpy as sc

    logger = logging.getLogger("tamclass")
    old = (logger.level, sc.settings.verbosity)
    yield sc
    logger.setLevel(old[0])
    sc.settings.verbosity = old[1]


def test_logging_propagates_and_follows_scanpy(_verbosity, caplog):
    sc = _verbosity
    logger = logging.getLogger("tamclass")
    assert logger.propagate
    tc.settings.verbosity = None
    sc.settings.verbosity = 2  # info
    assert tc.settings.verbosity == logging.INFO
    with caplog.at_level(logging.DEBUG):  # the root's level; tamclass's own level decides
        logger.info("seen at info")
        sc.settings.verbosity = 1  # followed at once, no cache
        logger.info("hidden at warning")
        tc.settings.verbosity = "info"  # tamclass's own setting wins over scanpy's
        sc.settings.verbosity = 0
        logger.info("seen: own setting")
    assert [r.getMessage() for r in caplog.records if r.name == "tamclass"] == ["seen at info", "seen: own setting"]


@pytest.mark.parametrize(
    "configure, expected",
    [
        ("", "tamclass: hello\n"),
        ("logging.basicConfig(format='app %(name)s %(levelname)s %(message)s')\n", "app tamclass WARNING hello\n"),
    ],
)
def test_messages_printed_once_with_or_without_app_logging(configure, expected):
    code = f"import logging\n{configure}from tamclass._settings import logger\nlogger.warning('hello')\n"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stderr == expected


# --------------------------------------------------------------------------------------------- MuData
def test_mudata_uses_rna_modality(demo):
    mudata = pytest.importorskip("mudata")
    prot = ad.AnnData(
        np.ones((demo.n_obs, 2), dtype=np.float32),
        obs=pd.DataFrame(index=demo.obs_names),
        var=pd.DataFrame(index=["CD14_prot", "CD3_prot"]),
    )
    mdata = mudata.MuData({"rna": demo, "prot": prot})
    tc.tl.score(mdata, SIGS)
    ref = tc.tl.score(demo.copy(), SIGS, copy=True).obsm["tamclass_scores"]
    pd.testing.assert_frame_equal(mdata.mod["rna"].obsm["tamclass_scores"], ref)
    pd.testing.assert_frame_equal(tc.get.scores(mdata), ref)
    assert isinstance(tc.pl.scores(mdata, "leiden", show=False), matplotlib.axes.Axes)
    other = mudata.MuData({"gex": demo.copy(), "prot": prot})
    with pytest.raises(InputError, match=r"without a 'rna' modality \(it has: 'gex', 'prot'\).*mod="):
        tc.tl.score(other, SIGS)
    tc.tl.score(other, SIGS, mod="gex")
    pd.testing.assert_frame_equal(other.mod["gex"].obsm["tamclass_scores"], ref)
    with pytest.raises(InputError, match="only applies to a MuData"):
        tc.tl.score(demo, SIGS, mod="rna")


def test_not_anndata_is_a_clear_error():
    with pytest.raises(InputError, match="expected an AnnData object.*read_h5ad"):
        tc.tl.score(np.zeros((3, 3)), SIGS)


def test_no_warning_leaks_from_obs_columns(demo):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TamclassWarning)
        tc.tl.score(demo, SIGS, obs_columns=True)
