"""tamclass.Model: training kernel, calibration, device handling, save/load format (no pickle)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from tamclass._errors import (
    DeviceError,
    GeneOverlapError,
    InputError,
    ModelError,
    ModelFormatError,
)


def _toy(n=600, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] + 0.7 * X[:, 1] + 0.5 * rng.normal(size=n) > 0).astype(np.int64)
    return X, y


def _model(hidden=8, seed=0):
    from tamclass.classifier._fit import fit_classifier
    from tamclass.classifier._model import Model

    X, y = _toy()
    fit = fit_classifier(X, y, 2, hidden=hidden, epochs=10, batch_size=64, seed=seed, device="cpu")
    genes = [f"G{i}" for i in range(X.shape[1])]
    return Model(
        genes=genes,
        classes=["M1-like", "M2-like"],
        weights=fit["weights"],
        mean=fit["mean"],
        scale=fit["scale"],
        temperature=fit["temperature"],
        kind="state",
        metadata={"training": {"n_cells_per_class": {"M1-like": 1, "M2-like": 2}, "label_key": "x"}},
    ), X


def _adata(X, genes):
    import anndata as ad

    return ad.AnnData(
        X=np.asarray(X, dtype=np.float32),
        var=pd.DataFrame(index=genes),
        obs=pd.DataFrame(index=[f"c{i}" for i in range(X.shape[0])]),
    )


def test_import_does_not_import_torch():
    code = (
        "import sys, tamclass as tc; tc.tl; tc.signatures; tc.signatures.load('default'); tc.classifier; "
        "import tamclass.tl._gate, tamclass.tl._classify, tamclass.tl._train, tamclass.classifier._model; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_manual_adam_matches_torch_adam():
    """Our inlined Adam (kept to avoid importing torch.optim/_dynamo) equals torch.optim.Adam."""
    import torch

    from tamclass.classifier._fit import _Adam

    g = torch.Generator().manual_seed(0)
    w0 = torch.randn(5, 3, generator=g)
    x = torch.randn(20, 3, generator=g)
    a = w0.clone().requires_grad_(True)
    b = w0.clone().requires_grad_(True)
    ours = _Adam([a], lr=0.01, weight_decay=1e-3)
    peer = torch.optim.Adam([b], lr=0.01, weight_decay=1e-3)
    for _ in range(25):
        for p, opt in ((a, ours), (b, peer)):
            opt.zero_grad()
            ((x @ p.T) ** 2).mean().backward()
            opt.step()
    assert torch.allclose(a, b, atol=1e-6)


def test_fit_temperature_matches_scipy():
    from scipy.optimize import minimize_scalar

    from tamclass.classifier._calibrate import fit_temperature, softmax

    rng = np.random.default_rng(1)
    logits = rng.normal(scale=4.0, size=(400, 3))
    y = np.where(rng.random(400) < 0.6, logits.argmax(1), rng.integers(0, 3, 400))

    def nll(t):
        p = softmax(logits, t)
        return -np.mean(np.log(p[np.arange(400), y]))

    ref = minimize_scalar(nll, bounds=(0.05, 20), method="bounded", options={"xatol": 1e-8}).x
    assert fit_temperature(logits, y) == pytest.approx(ref, rel=1e-4)
    assert ref > 1.0  # over-confident logits are softened


def test_ece_hand_computed():
    from tamclass.classifier._calibrate import expected_calibration_error

    # bin (0.6, 0.667]: confidences 0.62, 0.62 (one right) -> |0.5 - 0.62| * 2/4
    # bin (0.933, 1]: confidences 0.95, 0.95 (both right) -> |1 - 0.95| * 2/4
    proba = np.array([[0.62, 0.38], [0.38, 0.62], [0.95, 0.05], [0.05, 0.95]])
    y = np.array([0, 0, 0, 1])
    assert expected_calibration_error(proba, y, n_bins=15) == pytest.approx(0.5 * 0.12 + 0.5 * 0.05)


def test_training_is_deterministic_and_learns():
    from tamclass.classifier._fit import fit_classifier

    X, y = _toy()
    a = fit_classifier(X, y, 2, hidden=8, epochs=10, batch_size=64, seed=3, device="cpu")
    b = fit_classifier(X, y, 2, hidden=8, epochs=10, batch_size=64, seed=3, device="cpu")
    c = fit_classifier(X, y, 2, hidden=8, epochs=10, batch_size=64, seed=4, device="cpu")
    for k in a["weights"]:
        np.testing.assert_array_equal(a["weights"][k], b["weights"][k])
    assert any(not np.array_equal(a["weights"][k], c["weights"][k]) for k in a["weights"])
    assert a["held_out_accuracy"] > 0.8
    assert a["n_calibration"] + a["n_evaluation"] == pytest.approx(0.2 * len(y), abs=2)
    assert a["n_calibration"] == pytest.approx(0.1 * len(y), abs=2)
    np.testing.assert_array_equal(a["calibration_index"], b["calibration_index"])  # same seed, same split


def test_temperature_fitted_on_calibration_part_ece_on_evaluation_part():
    """Issue 3 follow-up: T is fitted on one half of the held-out cells, ECE/accuracy reported on the other."""
    from tamclass.classifier._calibrate import (
        expected_calibration_error,
        fit_temperature,
        softmax,
    )
    from tamclass.classifier._fit import TEMPERATURE_PRIOR_SD, fit_classifier, predict_logits, scaler_apply

    X, y = _toy()
    fit = fit_classifier(X, y, 2, hidden=8, epochs=5, batch_size=64, calibration_fraction=0.3, seed=1, device="cpu")
    cal, ev = fit["calibration_index"], fit["evaluation_index"]
    assert len(cal) and len(ev) and not set(cal) & set(ev)
    for part in (cal, ev):  # stratified: both classes in both parts
        assert set(np.unique(y[part])) == {0, 1}
    Z = scaler_apply(X, fit["mean"], fit["scale"])
    lc = predict_logits(fit["weights"], Z[cal])
    le = predict_logits(fit["weights"], Z[ev])
    assert fit["temperature"] == pytest.approx(fit_temperature(lc, y[cal], prior_sd=TEMPERATURE_PRIOR_SD))
    # the evaluation part was not used
    assert fit["temperature"] != pytest.approx(fit_temperature(le, y[ev], prior_sd=TEMPERATURE_PRIOR_SD))
    assert fit["ece_uncalibrated"] == pytest.approx(expected_calibration_error(softmax(le), y[ev]))
    assert fit["ece_calibrated"] == pytest.approx(expected_calibration_error(softmax(le, fit["temperature"]), y[ev]))
    assert fit["ece_calibration_part"] == pytest.approx(
        expected_calibration_error(softmax(lc, fit["temperature"]), y[cal])
    )
    assert fit["held_out_accuracy"] == pytest.approx(float((le.argmax(1) == y[ev]).mean()))


def test_training_leaves_global_rng_alone():
    import torch

    from tamclass.classifier._fit import fit_classifier

    before = torch.random.get_rng_state().clone()
    np_before = np.random.get_state()[1].copy()
    X, y = _toy()
    fit_classifier(X, y, 2, hidden=4, epochs=2, seed=0, device="cpu")
    assert torch.equal(before, torch.random.get_rng_state())
    np.testing.assert_array_equal(np_before, np.random.get_state()[1])


def test_save_load_roundtrip_identical(tmp_path):
    from tamclass.classifier._model import Model

    model, X = _model()
    path = model.save(tmp_path / "m.tamclass")
    again = Model.load(path)
    np.testing.assert_array_equal(model.predict_proba_matrix(X), again.predict_proba_matrix(X))
    assert again.genes == model.genes and again.classes == model.classes
    assert again.temperature == model.temperature
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["checksums.json", "model.json", "weights.safetensors"]
        meta = json.loads(zf.read("model.json"))
    assert meta["format_version"] == 1 and meta["genes"] == model.genes
    assert "2 classes x 12 genes" in repr(again) and "M1-like" in repr(again)
    import tamclass as tc

    assert tc.Model is Model


def test_uncalibrated_model_saves(tmp_path):
    """calibration_fraction=0: temperature 1, NaN ECE stored as JSON null, still loadable."""
    from tamclass.classifier._fit import fit_classifier
    from tamclass.classifier._model import Model

    X, y = _toy()
    fit = fit_classifier(X, y, 2, hidden=0, epochs=3, calibration_fraction=0, seed=0, device="cpu")
    assert fit["temperature"] == 1.0 and np.isnan(fit["ece_calibrated"])
    m = Model(
        genes=[f"G{i}" for i in range(12)],
        classes=["a", "b"],
        weights=fit["weights"],
        mean=fit["mean"],
        scale=fit["scale"],
        metadata={"training": {"ece": fit["ece_calibrated"], "n": np.int64(3)}},
    )
    again = Model.load(m.save(tmp_path / "u.tamclass"))
    assert again.metadata["training"]["ece"] is None and again.hidden == 0
    np.testing.assert_array_equal(m.predict_proba_matrix(X), again.predict_proba_matrix(X))


def test_load_never_unpickles(tmp_path, monkeypatch):
    import pickle

    from tamclass.classifier._model import Model

    model, X = _model()
    path = model.save(tmp_path / "m.tamclass")

    def boom(*a, **k):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "Unpickler", boom)
    Model.load(path)


def test_truncated_tampered_newer_files_refused(tmp_path):
    from tamclass.classifier._model import Model

    model, _ = _model()
    good = model.save(tmp_path / "m.tamclass").read_bytes()
    trunc = tmp_path / "trunc.tamclass"
    trunc.write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelFormatError, match="truncated"):
        Model.load(trunc)
    # tampered weights: rewrite the zip with one changed byte in the weights member
    with zipfile.ZipFile(tmp_path / "m.tamclass") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    w = bytearray(members["weights.safetensors"])
    w[-1] ^= 0xFF
    members["weights.safetensors"] = bytes(w)
    with zipfile.ZipFile(tmp_path / "tamper.tamclass", "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    with pytest.raises(ModelFormatError, match="checksum"):
        Model.load(tmp_path / "tamper.tamclass")
    # newer format version
    with zipfile.ZipFile(tmp_path / "m.tamclass") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    checks = json.loads(members["checksums.json"])
    checks["format_version"] = 99
    members["checksums.json"] = json.dumps(checks).encode()
    with zipfile.ZipFile(tmp_path / "new.tamclass", "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    with pytest.raises(ModelFormatError, match="newer"):
        Model.load(tmp_path / "new.tamclass")
    notzip = tmp_path / "x.tamclass"
    notzip.write_text("hello")
    with pytest.raises(ModelFormatError):
        Model.load(notzip)
    with pytest.raises(OSError, match="does not exist"):
        Model.load(tmp_path / "absent.tamclass")


def test_predict_proba_on_adata_and_gene_overlap():
    model, X = _model()
    adata = _adata(X, model.genes)
    p = model.predict_proba(adata, device="cpu")
    assert list(p.columns) == model.classes and list(p.index) == list(adata.obs_names)
    np.testing.assert_allclose(p.to_numpy().sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(p.to_numpy(), model.predict_proba_matrix(X), rtol=1e-5, atol=1e-6)
    # 3 of 12 genes only -> refused with a clear message
    few = _adata(X[:, :3], model.genes[:3])
    with pytest.raises(GeneOverlapError, match="3 of the model's 12 genes"):
        model.predict_proba(few, device="cpu")
    # allowed when the user lowers the bar; missing genes sit at the training mean
    p2 = model.predict_proba(few, device="cpu", min_overlap=0.2)
    assert np.isfinite(p2.to_numpy()).all()
    assert model.last_overlap_["n_genes_found"] == 3


def test_device_handling():
    import torch

    from tamclass.classifier._device import resolve_device

    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(InputError):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="device='cpu'"):
            resolve_device("cuda")


@pytest.mark.gpu
def test_cpu_and_gpu_predictions_agree():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU visible to torch (torch.cuda.is_available() is False): CPU/GPU agreement not checked")
    from tamclass.classifier._fit import fit_classifier

    model, X = _model()
    np.testing.assert_allclose(
        model.predict_proba_matrix(X, device="cpu"), model.predict_proba_matrix(X, device="cuda"), atol=1e-5
    )
    Xt, y = _toy()
    a = fit_classifier(Xt, y, 2, hidden=8, epochs=3, seed=0, device="cpu")
    b = fit_classifier(Xt, y, 2, hidden=8, epochs=3, seed=0, device="cuda")
    for k in a["weights"]:
        np.testing.assert_allclose(a["weights"][k], b["weights"][k], atol=1e-4)


def test_model_validation_errors():
    from tamclass.classifier._model import Model

    w = {"W": np.zeros((2, 3), np.float32), "b": np.zeros(2, np.float32)}
    with pytest.raises(InputError, match="2 distinct classes"):
        Model(genes=["a", "b", "c"], classes=["x"], weights=w, mean=np.zeros(3), scale=np.ones(3))
    with pytest.raises(ValueError, match="do not fit"):
        Model(genes=["a", "b"], classes=["x", "y"], weights=w, mean=np.zeros(2), scale=np.ones(2))
    with pytest.raises(InputError):
        Model.coerce(42)


def test_train_errors_and_peer_accuracy(pbmc68k):
    """tc.tl.train: bad labels are refused; on pbmc68k_reduced its held-out accuracy is close to a
    scikit-learn LogisticRegression (CellTypist's model family) on the same genes and split."""
    from sklearn.linear_model import LogisticRegression

    import tamclass as tc

    adata = pbmc68k.copy()
    one = adata.copy()
    one.obs["one"] = "A"
    with pytest.raises(ModelError, match="single class"):
        tc.tl.train(one, "one", genes=list(adata.var_names[:50]))
    with pytest.raises(ModelError, match="fewer than min_cells_per_class"):
        tc.tl.train(adata, "bulk_labels", genes=list(adata.var_names[:50]), min_cells_per_class=50)
    with pytest.raises(InputError, match="not an obs column"):
        tc.tl.train(adata, "nope")
    keep = adata.obs["bulk_labels"].isin(["CD14+ Monocyte", "CD19+ B", "CD56+ NK", "CD4+/CD25 T Reg"]).to_numpy()
    ref = adata[keep].copy()
    ref.obs["bulk_labels"] = ref.obs["bulk_labels"].astype(str)
    ref.X = np.asarray(
        ref.raw[:, ref.var_names].X.todense() if hasattr(ref.raw.X, "todense") else ref.raw[:, ref.var_names].X
    )
    del ref.raw
    genes = list(ref.var_names)
    rng = np.random.default_rng(0)
    test = rng.random(ref.n_obs) < 0.3
    model = tc.tl.train(ref[~test].copy(), "bulk_labels", genes=genes, hidden=0, epochs=40, device="cpu")
    pred = model.predict(ref[test], device="cpu")
    acc = (pred.to_numpy() == ref.obs["bulk_labels"].to_numpy()[test]).mean()
    from tamclass._data import extract_genes

    Xtr, found, _ = extract_genes(ref[~test], model.genes)
    Xte, _, _ = extract_genes(ref[test], model.genes)
    lr = LogisticRegression(max_iter=2000).fit(
        (Xtr - model.mean) / model.scale, ref.obs["bulk_labels"].to_numpy()[~test]
    )
    acc_peer = (lr.predict((Xte - model.mean) / model.scale) == ref.obs["bulk_labels"].to_numpy()[test]).mean()
    assert acc >= acc_peer - 0.05, (acc, acc_peer)
    assert acc > 0.85
    default = tc.tl.train(ref, "bulk_labels", epochs=2, device="cpu")  # genes=None: library genes present
    lib = {g for sig in tc.signatures.load("all").values() for g in sig.genes}
    assert 0 < default.n_genes and set(default.genes) <= lib
    prov = model.metadata["training"]
    assert prov["label_key"] == "bulk_labels" and sum(prov["n_cells_per_class"].values()) == int((~test).sum())


def test_temperature_prior_shrinks_small_fits_and_fades_with_data():
    """MAP temperature: ~10 calibration cells cannot swing T far from 1; with many cells T -> the plain fit."""
    from tamclass.classifier._calibrate import fit_temperature

    rng = np.random.default_rng(7)

    def overconfident(n):  # logits 4x too large: the plain NLL fit wants T ~ 4
        y = rng.integers(0, 2, n)
        clean = np.where(y[:, None] == np.arange(2), 1.0, -1.0) * rng.gamma(2.0, 0.6, (n, 1))
        noisy = clean + rng.normal(0, 1.0, (n, 2))
        return 4.0 * noisy, y

    small_logits, small_y = overconfident(10)
    t_plain, t_map = fit_temperature(small_logits, small_y), fit_temperature(small_logits, small_y, prior_sd=0.5)
    assert abs(np.log(t_map)) < abs(np.log(t_plain))  # shrunk toward T = 1
    big_logits, big_y = overconfident(20_000)
    t_plain, t_map = fit_temperature(big_logits, big_y), fit_temperature(big_logits, big_y, prior_sd=0.5)
    assert t_map == pytest.approx(t_plain, rel=0.01) and t_plain > 2.0
