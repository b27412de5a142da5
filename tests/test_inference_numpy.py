"""Inference without torch: the numpy forward pass agrees with torch's, and applying a saved model on the CPU
never imports torch (training still uses torch)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from tamclass._errors import DeviceError, InputError

RTOL, ATOL = 1e-5, 1e-6


def _toy(n=700, d=15, seed=0):
    rng = np.random.default_rng(seed)
    X = np.log1p(rng.gamma(2.0, 2.0, size=(n, d))).astype(np.float32)  # non-negative, log1p-like values
    y = np.digitize(X[:, 0] + 0.7 * X[:, 1] - 0.4 * X[:, 2] + 0.3 * rng.normal(size=n), [2.0, 2.8]).astype(np.int64)
    return X, y


def _model(hidden, seed=0):
    from tamclass.classifier._fit import fit_classifier
    from tamclass.classifier._model import Model

    X, y = _toy(seed=seed)
    fit = fit_classifier(X, y, 3, hidden=hidden, epochs=8, batch_size=64, seed=seed, device="cpu")
    model = Model(
        genes=[f"G{i}" for i in range(X.shape[1])],
        classes=["a", "b", "c"],
        weights=fit["weights"],
        mean=fit["mean"],
        scale=fit["scale"],
        temperature=fit["temperature"],
    )
    return model, X


def _torch_proba(model, X):
    """What Model.predict_proba_matrix computed before inference moved to numpy: the torch forward pass."""
    from tamclass.classifier._calibrate import softmax
    from tamclass.classifier._fit import predict_logits, scaler_apply

    Z = scaler_apply(X, model.mean, model.scale, model.clip)
    Z[~np.isfinite(Z)] = 0.0
    logits = predict_logits(model.weights, Z, device="cpu", backend="torch") / np.float32(model.temperature)
    return logits, softmax(logits)


def _no_gpu_driver() -> bool:
    from tamclass.classifier._device import _GPU_DRIVER_FILES

    return not any(os.path.exists(f) for f in _GPU_DRIVER_FILES)


@pytest.mark.parametrize("hidden", [0, 16])
def test_numpy_forward_matches_torch(hidden):
    import torch

    from tamclass.classifier._fit import predict_logits, scaler_apply
    from tamclass.classifier._network import forward, forward_numpy, params_from_numpy

    model, X = _model(hidden)
    assert model.hidden == hidden
    Z = scaler_apply(X, model.mean, model.scale)
    with torch.no_grad():
        expected = forward(params_from_numpy(model.weights, "cpu"), torch.as_tensor(Z)).numpy()
    got = forward_numpy(model.weights, Z)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    # chunking changes nothing; the CPU default of predict_logits is the numpy pass
    np.testing.assert_array_equal(forward_numpy(model.weights, Z, chunk_size=97), got)
    np.testing.assert_array_equal(predict_logits(model.weights, Z, device="cpu"), got)
    np.testing.assert_array_equal(predict_logits(model.weights, Z, device=torch.device("cpu")), got)
    np.testing.assert_allclose(predict_logits(model.weights, Z, backend="torch"), expected, rtol=RTOL, atol=ATOL)
    # no cells: an empty float32 matrix of the right width, as before
    for backend in ("numpy", "torch"):
        empty = predict_logits(model.weights, Z[:0], backend=backend)
        assert empty.shape == (0, 3) and empty.dtype == np.float32
    with pytest.raises(ValueError, match="backend"):
        predict_logits(model.weights, Z, backend="jax")


@pytest.mark.parametrize("hidden", [0, 16])
def test_cpu_predictions_unchanged_vs_torch(hidden, tmp_path):
    """device='cpu' (and 'auto' without a GPU) gives the torch forward's logits/probabilities within float32
    rounding, for the trained model and for the same model saved and loaded."""
    import torch

    from tamclass.classifier._model import Model

    model, X = _model(hidden)
    logits_t, proba_t = _torch_proba(model, X)
    np.testing.assert_allclose(model.predict_logits_matrix(X), logits_t, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(model.predict_proba_matrix(X, device="cpu"), proba_t, rtol=RTOL, atol=ATOL)
    assert (model.predict_proba_matrix(X).argmax(1) == proba_t.argmax(1)).all()

    path = model.save(tmp_path / "m.tcmodel")
    loaded = Model.load(path)
    np.testing.assert_allclose(loaded.predict_proba_matrix(X), proba_t, rtol=RTOL, atol=ATOL)

    import anndata as ad

    adata = ad.AnnData(
        X=X, var=pd.DataFrame(index=model.genes), obs=pd.DataFrame(index=[f"c{i}" for i in range(len(X))])
    )
    for device in ("cpu", "auto"):
        if device == "auto" and torch.cuda.is_available():
            continue  # auto would run on the GPU: compared in test_model.py (gpu mark)
        p = loaded.predict_proba(adata, device=device)
        np.testing.assert_allclose(p.to_numpy(), proba_t, rtol=RTOL, atol=ATOL)
        labels = loaded.predict(adata, device=device)
        assert (labels.to_numpy() == np.asarray(loaded.classes, dtype=object)[proba_t.argmax(1)]).all()


def test_training_still_uses_torch_calibration():
    """fit_classifier fits the temperature on torch logits (training outputs do not depend on the numpy path)."""
    from tamclass.classifier._calibrate import fit_temperature
    from tamclass.classifier._fit import (
        TEMPERATURE_PRIOR_SD,
        calibration_split,
        fit_classifier,
        predict_logits,
        scaler_apply,
        stratified_split,
    )

    X, y = _toy()
    fit = fit_classifier(X, y, 3, hidden=8, epochs=4, batch_size=64, seed=3, device="cpu")
    rng = np.random.default_rng(3)
    _, ho = stratified_split(y, 0.2, rng)
    cal, _ = calibration_split(y, ho, rng)
    np.testing.assert_array_equal(cal, fit["calibration_index"])
    Z = scaler_apply(X, fit["mean"], fit["scale"])
    logits = predict_logits(fit["weights"], Z[cal], backend="torch")
    assert fit_temperature(logits, y[cal], prior_sd=TEMPERATURE_PRIOR_SD) == fit["temperature"]


def test_resolve_inference_device():
    import torch

    from tamclass.classifier._device import gpu_may_exist, is_cpu, resolve_device, resolve_inference_device

    assert gpu_may_exist()  # torch is imported in this process, so asking it is free
    assert resolve_inference_device("cpu") == "cpu"
    assert resolve_inference_device(" CPU ") == "cpu"
    assert str(resolve_inference_device("auto")) == str(resolve_device("auto"))
    assert str(resolve_inference_device(None)) == str(resolve_device("auto"))
    assert resolve_inference_device(torch.device("cpu")) == "cpu"
    assert is_cpu("cpu") and is_cpu(torch.device("cpu")) and not is_cpu("cuda") and not is_cpu(torch.device("meta"))
    with pytest.raises(InputError):
        resolve_inference_device("tpu")
    with pytest.raises(InputError):
        resolve_inference_device(3)
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="device='cpu'"):
            resolve_inference_device("cuda")
        with pytest.raises(DeviceError):
            resolve_inference_device("cuda:0")


_CHILD = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("ignore")
    import anndata as ad
    import numpy as np
    import tamclass as tc
    from tamclass.classifier._device import gpu_may_exist
    from tamclass.classifier._model import Model

    path, h5ad, device = sys.argv[1], sys.argv[2], sys.argv[3]
    assert not gpu_may_exist() or device == "cpu"
    adata = ad.read_h5ad(h5ad)
    model = Model.load(path)
    p = model.predict_proba(adata, device=device)
    labels = model.predict(adata, device=device)
    tc.tl.classify(adata, model=path, cells="all", device=device)
    assert adata.obs["tamclass_label"].notna().all()
    np.testing.assert_allclose(adata.obsm["tamclass_label_proba"].to_numpy(), p.to_numpy())
    print("TORCH_IMPORTED", "torch" in sys.modules)
    """
)


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_applying_a_saved_model_does_not_import_torch(device, tmp_path):
    if device == "auto" and not _no_gpu_driver():
        pytest.skip("a GPU driver is present: device='auto' rightly imports torch to ask whether CUDA is usable")
    import anndata as ad

    model, X = _model(8)
    path = model.save(tmp_path / "m.tcmodel")
    h5ad = tmp_path / "q.h5ad"
    ad.AnnData(
        X=X, var=pd.DataFrame(index=model.genes), obs=pd.DataFrame(index=[f"c{i}" for i in range(len(X))])
    ).write_h5ad(h5ad)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(h5ad), device], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "TORCH_IMPORTED False" in proc.stdout, proc.stdout + proc.stderr
