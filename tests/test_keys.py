"""Issue #13: one module spells the output keys and the label vocabulary; training defaults live in one config."""

from __future__ import annotations

import inspect
import warnings

import pytest

from tamclass import _keys
from tamclass._keys import DEFAULT_KEY, NAMES, keys


def test_keys_spell_prefix_and_name():
    K = keys("abc")
    assert K.prefix == "abc"
    for name in NAMES:
        assert getattr(K, name) == K[name] == f"abc_{name}"
    assert keys() == keys(DEFAULT_KEY) and keys().state == "tamclass_state"
    assert K.gate_obs == ("abc_celltype", "abc_is_macrophage", "abc_lineage")
    with pytest.raises(KeyError, match="not a tamclass key name"):
        K["prefix"]
    with pytest.raises(KeyError):
        K["nope"]


def test_vocabulary():
    assert _keys.CELLTYPES == ("macrophage", "monocyte", "dendritic", "other")
    assert _keys.STATE_CLASSES == ("M1-like", "M2-like")
    assert _keys.SOURCE_CATEGORIES == ("evidence", "network", "none", "not macrophage")
    assert (_keys.UNASSIGNED, _keys.NOT_MACROPHAGE, _keys.UNRESOLVED) == ("unassigned", "not macrophage", "unresolved")
    assert set(_keys.__all__) <= set(dir(_keys))


def test_gate_vocabulary_is_the_shared_one():
    from tamclass.gating import _panels, _rules

    assert _panels.CELLTYPES is _keys.CELLTYPES
    assert _rules.UNRESOLVED == _keys.UNRESOLVED


def test_state_and_subset_sets_come_from_the_manifest_in_class_order():
    from tamclass.signatures._library import sets_with_role
    from tamclass.tl import _classify

    assert list(_classify.STATE_SETS) == sets_with_role("state") == ["Cheng2021_M1", "Cheng2021_M2"]
    assert list(_classify.SUBSET_SETS) == sets_with_role("subset")
    # set i is the evidence of class i: Cheng2021_M1 -> M1-like, Ma2022_IFN_TAM -> IFN-TAM, ...
    assert [s.split("_")[-1] + "-like" for s in _classify.STATE_SETS] == list(_keys.STATE_CLASSES)
    assert [s.removeprefix("Ma2022_").replace("_", "-") for s in _classify.SUBSET_SETS] == list(_keys.SUBSET_CLASSES)


def _defaults(func) -> dict:
    return {n: p.default for n, p in inspect.signature(func).parameters.items() if p.default is not p.empty}


def test_default_key_everywhere():
    import tamclass as tc

    for func in (tc.tl.gate, tc.tl.classify, tc.tl.summarize, tc.tl.run, tc.get.scores, tc.get.scores_to_obs):
        assert _defaults(func)["key_added"] == DEFAULT_KEY, func.__name__


def test_training_defaults_come_from_one_config():
    import tamclass as tc
    from tamclass.classifier._config import FIT_FIELDS, REFERENCE_TRAINING, SEED_TRAINING, TrainingConfig
    from tamclass.classifier._fit import fit_classifier, train_network

    train = _defaults(tc.tl.train)
    assert (
        TrainingConfig(*(train[n] for n in FIT_FIELDS), train["min_cells_per_class"], train["max_cells_per_class"])
        == REFERENCE_TRAINING
    )
    classify = _defaults(tc.tl.classify)
    assert {n: classify[n] for n in FIT_FIELDS if n != "weight_decay"} == {
        n: getattr(SEED_TRAINING, n) for n in FIT_FIELDS if n != "weight_decay"
    }
    assert (classify["min_seeds_per_class"], classify["max_seeds_per_class"]) == (10, 3000)
    # the values tc.tl.classify and tc.tl.train have always used (changing them changes every trained model)
    assert (SEED_TRAINING.hidden, SEED_TRAINING.epochs, SEED_TRAINING.lr, SEED_TRAINING.batch_size) == (
        16,
        20,
        5e-3,
        256,
    )
    assert (SEED_TRAINING.weight_decay, SEED_TRAINING.calibration_fraction) == (1e-4, 0.25)
    assert REFERENCE_TRAINING.fit_kwargs() == {
        "hidden": 32,
        "epochs": 30,
        "lr": 3e-3,
        "weight_decay": 1e-4,
        "batch_size": 256,
        "calibration_fraction": 0.2,
    }
    fit = _defaults(fit_classifier)
    assert {n: fit[n] for n in FIT_FIELDS} == REFERENCE_TRAINING.fit_kwargs()
    net = _defaults(train_network)
    assert {n: net[n] for n in FIT_FIELDS if n != "calibration_fraction"} == {
        n: v for n, v in REFERENCE_TRAINING.fit_kwargs().items() if n != "calibration_fraction"
    }


@pytest.fixture(scope="module")
def small():
    from _generators import synthetic_macrophages

    return synthetic_macrophages(
        300, n_genes=2000, fractions={"macrophage": 0.7, "monocyte": 0.15, "tcell": 0.15}, random_state=5
    )


def test_tools_write_the_keys_of_the_keys_module(small):
    import tamclass as tc

    a = small.copy()
    K = keys("k")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.gate(a, key_added="k")
        tc.tl.classify(a, key_added="k", device="cpu", n_controls=5)
    assert set(K.gate_obs) <= set(a.obs.columns)
    evidence_obs = {K.state, K.state_confidence, K.state_source, K.subset, K.subset_confidence, K.subset_source}
    assert evidence_obs | {K.polarization} <= set(a.obs.columns)
    assert {K.state_proba, K.subset_proba, K.state_z, K.subset_z} <= set(a.obsm)
    assert set(a.obs[K.state].cat.categories) == {*_keys.STATE_CLASSES, _keys.UNASSIGNED, _keys.NOT_MACROPHAGE}
    assert list(a.obs[K.state_source].cat.categories) == list(_keys.SOURCE_CATEGORIES)
    assert list(a.obs[K.celltype].cat.categories) == list(_keys.CELLTYPES)
    assert {_keys.STEP_GATE, _keys.STEP_CLASSIFY} <= set(a.uns["k"])
