"""Compute-device selection for the classifier (torch imported lazily, inside the function)."""

from __future__ import annotations

from .._errors import DeviceError, InputError


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
