"""Training kernel: standardise, fit the small network with Adam, calibrate by temperature scaling.

Pure numpy/torch (no AnnData). Determinism: one :class:`torch.Generator` (CPU) seeds initialisation
and mini-batch order, one :class:`numpy.random.Generator` the calibration split; no global RNG is read
or written, and torch's global thread/determinism settings are left alone.
"""

from __future__ import annotations

import numpy as np

from ._calibrate import expected_calibration_error, fit_temperature, softmax
from ._config import REFERENCE_TRAINING as _DEFAULTS
from ._device import is_cpu
from ._network import forward, forward_numpy, init_params, params_from_numpy, params_to_numpy

#: SD of the normal prior on log(temperature) (see fit_temperature): T within about x1.65 of 1 unless the
#: calibration cells clearly say otherwise; seed-trained models often have only ~10 calibration cells.
TEMPERATURE_PRIOR_SD = 0.5

#: standardised values are clipped to +-CLIP (as CellTypist clips at 10)
CLIP = 10.0


def scaler_fit(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean and standard deviation (sd 0 -> 1 so constant genes standardise to 0)."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[~np.isfinite(sd) | (sd < 1e-8)] = 1.0
    return mean.astype(np.float32), sd.astype(np.float32)


def scaler_apply(X: np.ndarray, mean: np.ndarray, scale: np.ndarray, clip: float = CLIP) -> np.ndarray:
    Z = (np.asarray(X, dtype=np.float32) - mean) / scale
    np.clip(Z, -clip, clip, out=Z)
    return Z


def stratified_split(y: np.ndarray, fraction: float, rng: np.random.Generator, min_per_class: int = 2):
    """Indices (train, held_out): ``fraction`` of each class held out.

    At least 1 when the class has >= ``min_per_class`` members, never the whole class.
    """
    train, held = [], []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        idx = idx[rng.permutation(len(idx))]
        k = int(round(fraction * len(idx)))
        if len(idx) >= min_per_class:
            k = min(max(k, 1), len(idx) - 1)
        else:
            k = 0
        held.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))


def predict_logits(
    weights: dict[str, np.ndarray], Z: np.ndarray, *, device="cpu", chunk_size: int = 65_536, backend: str = "auto"
) -> np.ndarray:
    """Logits of standardised data ``Z`` (cells x genes) in chunks on ``device``.

    ``backend="auto"`` runs numpy on the CPU (torch is not imported) and torch on a GPU; ``"torch"`` always
    uses torch (training does, so that its calibration is computed exactly as the network was trained);
    ``"numpy"`` always numpy. numpy and torch agree within float32 rounding.
    """
    if backend not in ("auto", "numpy", "torch"):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'torch', got {backend!r}")
    if backend == "numpy" or (backend == "auto" and is_cpu(device)):
        return forward_numpy(weights, Z, chunk_size=chunk_size)
    import torch

    params = params_from_numpy(weights, device)
    out = []
    with torch.no_grad():
        for start in range(0, Z.shape[0], chunk_size):
            x = torch.as_tensor(np.ascontiguousarray(Z[start : start + chunk_size], dtype=np.float32), device=device)
            out.append(forward(params, x).cpu().numpy())
    if not out:
        n_out = (weights["b2"] if "b2" in weights else weights["b"]).shape[0]
        return np.zeros((0, n_out), dtype=np.float32)
    return np.concatenate(out).astype(np.float32)


class _Adam:
    """Adam with L2 weight decay (Kingma & Ba 2015; same update as ``torch.optim.Adam(weight_decay=...)``).

    Written out so that training does not import ``torch.optim`` (whose first use imports torch._dynamo,
    several seconds on a small machine).
    """

    def __init__(self, params, *, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
        import torch

        self.params, self.lr, self.wd, self.betas, self.eps = params, lr, weight_decay, betas, eps
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        import torch

        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v, strict=False):
                if p.grad is None:
                    continue
                g = p.grad + self.wd * p if self.wd else p.grad
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                p.sub_(self.lr * (m / c1) / ((v / c2).sqrt() + self.eps))


def train_network(
    Z: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    hidden: int = _DEFAULTS.hidden,
    epochs: int = _DEFAULTS.epochs,
    lr: float = _DEFAULTS.lr,
    weight_decay: float = _DEFAULTS.weight_decay,
    batch_size: int = _DEFAULTS.batch_size,
    seed: int = 0,
    device="cpu",
    progress=None,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Fit the network on standardised ``Z`` with class-balanced cross-entropy.

    Returns the numpy weights and the mean training loss per epoch.
    """
    import torch

    from .._settings import progress_bar

    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(seed))
    params = init_params(Z.shape[1], n_classes, hidden, gen, device)
    x_all = torch.as_tensor(np.ascontiguousarray(Z, dtype=np.float32), device=device)
    y_all = torch.as_tensor(np.asarray(y, dtype=np.int64), device=device)
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / (n_classes * np.maximum(counts, 1)), 0.0)
    class_weight = torch.as_tensor(w, dtype=torch.float32, device=device)
    adam = _Adam(list(params.values()), lr=lr, weight_decay=weight_decay)
    n = Z.shape[0]
    history = []
    # tiny matrices: one intra-op thread is fastest and avoids oversubscription; restored afterwards
    prev_threads = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    try:
        for _ in progress_bar(range(int(epochs)), desc="training", progress=progress):
            order = torch.randperm(n, generator=gen).to(device)
            total = 0.0
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                logits = forward(params, x_all[idx])
                loss = torch.nn.functional.cross_entropy(logits, y_all[idx], weight=class_weight)
                adam.zero_grad()
                loss.backward()
                adam.step()
                total += float(loss.detach()) * len(idx)
            history.append(total / max(n, 1))
    finally:
        torch.set_num_threads(prev_threads)
    return params_to_numpy(params), history


def fit_classifier(
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    hidden: int = _DEFAULTS.hidden,
    epochs: int = _DEFAULTS.epochs,
    lr: float = _DEFAULTS.lr,
    weight_decay: float = _DEFAULTS.weight_decay,
    batch_size: int = _DEFAULTS.batch_size,
    calibration_fraction: float = _DEFAULTS.calibration_fraction,
    seed: int = 0,
    device="cpu",
    progress=None,
) -> dict:
    """Standardise ``X`` (log-normalised expression, cells x genes), train the network and calibrate it.

    Trains on a stratified ``1 - calibration_fraction`` of the cells and splits the held-out cells
    (stratified, half and half, same seed) into a *calibration* part, on which the temperature is fitted,
    and a disjoint *evaluation* part, on which accuracy and the ECE before / after temperature scaling are reported
    (so the reported calibration is not measured on the cells it was fitted on).

    Returns a dict with ``weights, mean, scale, temperature, ece_uncalibrated, ece_calibrated,
    held_out_accuracy`` (these three on the evaluation part), ``ece_calibration_part`` (ECE after
    scaling on the calibration part, for comparison), ``n_train, n_calibration, n_evaluation,
    loss_history`` and the index arrays ``calibration_index`` / ``evaluation_index`` (into ``X``).
    With fewer than two held-out cells of a class, that class's cells all go to the calibration part;
    an empty evaluation part gives NaN metrics.
    """
    y = np.asarray(y, dtype=np.int64)
    mean, scale = scaler_fit(X)
    Z = scaler_apply(X, mean, scale)
    rng = np.random.default_rng(seed)
    if calibration_fraction > 0:
        tr, ho = stratified_split(y, calibration_fraction, rng)
    else:
        tr, ho = np.arange(len(y)), np.zeros(0, dtype=np.int64)
    cal, ev = calibration_split(y, ho, rng)
    weights, history = train_network(
        Z[tr],
        y[tr],
        n_classes,
        hidden=hidden,
        epochs=epochs,
        lr=lr,
        weight_decay=weight_decay,
        batch_size=batch_size,
        seed=seed,
        device=device,
        progress=progress,
    )
    temperature, ece0, ece1, acc, ece_cal = 1.0, float("nan"), float("nan"), float("nan"), float("nan")
    if len(cal):
        logits = predict_logits(weights, Z[cal], device=device, backend="torch")
        temperature = fit_temperature(logits, y[cal], prior_sd=TEMPERATURE_PRIOR_SD)
        ece_cal = expected_calibration_error(softmax(logits, temperature), y[cal])
    if len(ev):
        logits = predict_logits(weights, Z[ev], device=device, backend="torch")
        ece0 = expected_calibration_error(softmax(logits), y[ev])
        p = softmax(logits, temperature)
        ece1 = expected_calibration_error(p, y[ev])
        acc = float((p.argmax(1) == y[ev]).mean())
    return {
        "weights": weights,
        "mean": mean,
        "scale": scale,
        "temperature": float(temperature),
        "ece_uncalibrated": float(ece0),
        "ece_calibrated": float(ece1),
        "ece_calibration_part": float(ece_cal),
        "held_out_accuracy": acc,
        "n_train": len(tr),
        "n_calibration": len(cal),
        "n_evaluation": len(ev),
        "calibration_index": cal,
        "evaluation_index": ev,
        "loss_history": [float(v) for v in history],
    }


def calibration_split(y: np.ndarray, held_out: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Split the held-out indices into (calibration, evaluation), stratified by class, half each."""
    held_out = np.asarray(held_out, dtype=np.int64)
    if len(held_out) == 0:
        return held_out, held_out
    c_rel, e_rel = stratified_split(np.asarray(y)[held_out], 0.5, rng)
    return held_out[c_rel], held_out[e_rel]
