"""The small network: softmax regression (``hidden=0``) or one hidden ReLU layer.

Written functionally (plain tensors, no ``torch.nn.Module``) so that initialisation draws only from a
caller-provided :class:`torch.Generator` and never touches torch's global RNG state.
Weights are stored by name: ``W1, b1`` (input -> hidden) and ``W2, b2`` (hidden -> classes), or just
``W, b`` for the linear model. Kernels here never see an AnnData.

:func:`forward` (torch) is used for training and on a GPU; :func:`forward_numpy` does the same float32
arithmetic in numpy for inference on the CPU, so that applying a model does not import torch.
"""

from __future__ import annotations

import math

import numpy as np


def init_params(n_in: int, n_out: int, hidden: int, generator, device):
    """Kaiming-uniform initialisation (as ``torch.nn.Linear``) drawn from ``generator``."""
    import torch

    def layer(fan_in, fan_out):
        bound = 1.0 / math.sqrt(max(fan_in, 1))
        w = torch.empty(fan_out, fan_in).uniform_(-bound, bound, generator=generator)
        b = torch.empty(fan_out).uniform_(-bound, bound, generator=generator)
        return w.to(device).requires_grad_(True), b.to(device).requires_grad_(True)

    if hidden and hidden > 0:
        w1, b1 = layer(n_in, hidden)
        w2, b2 = layer(hidden, n_out)
        return {"W1": w1, "b1": b1, "W2": w2, "b2": b2}
    w, b = layer(n_in, n_out)
    return {"W": w, "b": b}


def forward(params, x):
    """Logits for a float tensor ``x`` (cells x genes, already standardised)."""
    import torch

    if "W1" in params:
        h = torch.relu(x @ params["W1"].T + params["b1"])
        return h @ params["W2"].T + params["b2"]
    return x @ params["W"].T + params["b"]


def forward_numpy(weights: dict[str, np.ndarray], Z: np.ndarray, *, chunk_size: int = 65_536) -> np.ndarray:
    """Logits (float32, cells x classes) of standardised ``Z`` with numpy weights, ``chunk_size`` cells at a time.

    The arithmetic of :func:`forward` in float32: ``x @ W.T + b`` per layer, ReLU between the layers. Results agree
    with torch within float32 rounding (the matrix products may sum in another order), not bit for bit.
    """
    w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    n_out = (w["b2"] if "W1" in w else w["b"]).shape[0]
    n = Z.shape[0]
    out = np.empty((n, n_out), dtype=np.float32)
    step = max(int(chunk_size), 1)
    for start in range(0, n, step):
        x = np.ascontiguousarray(Z[start : start + step], dtype=np.float32)
        y: np.ndarray
        if "W1" in w:
            h = x @ w["W1"].T
            h += w["b1"]
            np.maximum(h, np.float32(0), out=h)
            y = h @ w["W2"].T
            y += w["b2"]
        else:
            y = x @ w["W"].T
            y += w["b"]
        out[start : start + len(x)] = y
    return out


def params_to_numpy(params) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in params.items()}


def params_from_numpy(weights: dict[str, np.ndarray], device):
    import torch

    return {k: torch.as_tensor(np.ascontiguousarray(v, dtype=np.float32), device=device) for k, v in weights.items()}


def check_weights(weights: dict[str, np.ndarray], n_in: int, n_out: int) -> None:
    """Raise ValueError if the weight shapes do not form a valid network for n_in -> n_out."""
    if set(weights) == {"W", "b"}:
        ok = weights["W"].shape == (n_out, n_in) and weights["b"].shape == (n_out,)
    elif set(weights) == {"W1", "b1", "W2", "b2"}:
        h = weights["W1"].shape[0]
        ok = (
            weights["W1"].shape == (h, n_in)
            and weights["b1"].shape == (h,)
            and weights["W2"].shape == (n_out, h)
            and weights["b2"].shape == (n_out,)
        )
    else:
        ok = False
    if not ok:
        shapes = {k: tuple(v.shape) for k, v in weights.items()}
        raise ValueError(f"weights {shapes} do not fit a network with {n_in} inputs and {n_out} classes")
