"""Compute-device selection for the classifier (torch imported lazily, inside the functions).

Training always resolves a :class:`torch.device` (:func:`resolve_device`). Inference on the CPU needs no torch
(:func:`resolve_inference_device` returns the string ``"cpu"`` and the network runs in numpy), so applying a model
does not pay for importing torch (about 2.5 s on a small machine) unless a GPU may be used.
"""

from __future__ import annotations

import os
import sys

from .._errors import DeviceError, InputError

#: files whose presence means a GPU that torch could use may exist: the NVIDIA driver (Linux), its control
#: device, the AMD ROCm kernel driver (ROCm builds of torch report through ``torch.cuda``) and the WSL2 GPU bridge
_GPU_DRIVER_FILES = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/kfd", "/dev/dxg")


def gpu_may_exist() -> bool:
    """Whether a CUDA device may be usable, decided without importing torch.

    True when torch is already imported (then asking it is free) or a GPU driver is present; False means that
    ``torch.cuda.is_available()`` could not be True, so ``"auto"`` can run on the CPU without asking torch.
    """
    if "torch" in sys.modules:
        return True
    return any(os.path.exists(f) for f in _GPU_DRIVER_FILES)


def resolve_inference_device(device="auto"):
    """The device for applying a trained network: ``"cpu"`` (numpy, torch not imported) or a CUDA :class:`torch.device`.

    ``"cpu"`` never imports torch; ``"auto"`` imports it only when :func:`gpu_may_exist` (and then resolves as
    :func:`resolve_device`, so a usable GPU is still picked); ``"cuda"`` / ``"cuda:N"`` are checked by
    :func:`resolve_device` with the same errors. ``str()`` of the result is the same as for :func:`resolve_device`.
    """
    if device is None:
        device = "auto"
    if isinstance(device, str):
        name = device.strip().lower()
        if name == "cpu" or (name == "auto" and not gpu_may_exist()):
            return "cpu"
    dev = resolve_device(device)
    return "cpu" if dev.type == "cpu" else dev


def is_cpu(device) -> bool:
    """Whether ``device`` (a string or a :class:`torch.device`) is the CPU; never imports torch."""
    if device is None:
        return True
    if isinstance(device, str):
        return device.strip().lower() == "cpu"
    return getattr(device, "type", None) == "cpu"


def resolve_device(device="auto"):
    """Return a :class:`torch.device` for ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    ``"auto"`` picks CUDA when :func:`torch.cuda.is_available` says so, else the CPU.
    ``"cuda"`` without a usable GPU raises :class:`~tamclass._errors.DeviceError`.
    """
    import torch

    if isinstance(device, torch.device):
        device = str(device)
    if device is None:
        device = "auto"
    if not isinstance(device, str):
        raise InputError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}.")
    name = device.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            build = (
                "a CPU-only torch build" if torch.version.cuda is None else f"torch built for CUDA {torch.version.cuda}"
            )
            raise DeviceError(
                f"device={device!r} was requested but no CUDA GPU is usable ({build}, torch {torch.__version__}). "
                "Use device='cpu' (or 'auto' to pick a GPU only when there is one), or install a CUDA build of "
                "torch from https://pytorch.org on a machine with an NVIDIA GPU and driver."
            )
        if ":" in name:
            try:
                index = int(name.split(":", 1)[1])
            except ValueError:
                raise InputError(f"device {device!r} is not 'cuda:N' with an integer N.") from None
            if not 0 <= index < torch.cuda.device_count():
                raise DeviceError(
                    f"device={device!r} but only {torch.cuda.device_count()} CUDA device(s) exist; "
                    "pick an index from 0 to device_count-1 or use 'cuda'."
                )
        return torch.device(name)
    raise InputError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}.")
