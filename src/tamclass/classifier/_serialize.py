"""The model file: one zip container, no pickle anywhere.

Members (all required):

``model.json``
    UTF-8 JSON: ``format_version``, gene panel, class names, scaler means/sds, temperature,
    normalisation, library and tamclass versions, training provenance.
``weights.safetensors``
    the network tensors (float32) in the safetensors format (no code execution on load).
``checksums.json``
    ``{"format_version": N, "sha256": {"model.json": ..., "weights.safetensors": ...}}``.

Truncation is caught by the zip reader (and its CRC-32) and any change to a member by the SHA-256
checksums; a ``format_version`` newer than :data:`FORMAT_VERSION` is refused with a clear message.
Files are written to a temporary file beside the target and renamed into place (atomic).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .._errors import ModelFormatError, TamclassIOError

#: version of the container layout written by this tamclass
FORMAT_VERSION = 1
MAGIC = "tamclass-model"
_MEMBERS = ("model.json", "weights.safetensors")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _jsonable(obj):
    """Plain JSON types; NaN/inf become null (strict JSON), numpy scalars/arrays become Python ones."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def write_container(path, meta: dict, weights: dict[str, np.ndarray]) -> Path:
    from safetensors.numpy import save as st_save

    path = Path(path)
    meta = _jsonable({"magic": MAGIC, "format_version": FORMAT_VERSION, **meta})
    blobs = {
        "model.json": json.dumps(meta, indent=1, sort_keys=True, allow_nan=False).encode("utf-8"),
        "weights.safetensors": st_save({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in weights.items()}),
    }
    checks = {"format_version": FORMAT_VERSION, "sha256": {k: _sha256(v) for k, v in blobs.items()}}
    blobs["checksums.json"] = json.dumps(checks, indent=1, sort_keys=True).encode("utf-8")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise TamclassIOError(
            f"cannot save the model to {str(path)!r}: folder {str(directory)!r} does not exist; create it first."
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in ("checksums.json", *_MEMBERS):
                zf.writestr(name, blobs[name])
        os.replace(tmp, path)
    except OSError as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise TamclassIOError(
            f"cannot write the model file {str(path)!r}: {err}. Check the path and permissions."
        ) from err
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def read_container(path) -> tuple[dict, dict[str, np.ndarray]]:
    from safetensors.numpy import load as st_load

    path = Path(path)
    if not path.exists():
        raise TamclassIOError(f"model file {str(path)!r} does not exist; pass the path written by Model.save().")
    if path.is_dir():
        raise TamclassIOError(f"{str(path)!r} is a folder; pass the model file written by Model.save().")
    bad = (
        f"{str(path)!r} is not a readable tamclass model file (truncated, corrupted, or not written by "
        "tamclass.Model.save)"
    )
    try:
        with zipfile.ZipFile(path, "r") as zf:
            names = set(zf.namelist())
            missing = [m for m in ("checksums.json", *_MEMBERS) if m not in names]
            if missing:
                raise ModelFormatError(f"{bad}: members {missing} are missing. Re-save or re-download the model.")
            blobs = {name: zf.read(name) for name in ("checksums.json", *_MEMBERS)}
    except ModelFormatError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, KeyError) as err:
        raise ModelFormatError(f"{bad}: {err}. Re-save or re-download the model.") from err
    try:
        checks = json.loads(blobs["checksums.json"].decode("utf-8"))
        version = int(checks["format_version"])
        sums = dict(checks["sha256"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ModelFormatError(f"{bad}: checksums.json is unreadable ({err}).") from err
    if version > FORMAT_VERSION:
        raise ModelFormatError(
            f"model file {str(path)!r} has format_version {version}, newer than the {FORMAT_VERSION} this tamclass "
            "can read. Upgrade tamclass (pip install -U tamclass) to load it."
        )
    if version < 1:
        raise ModelFormatError(f"{bad}: format_version {version} is invalid.")
    for name in _MEMBERS:
        if sums.get(name) != _sha256(blobs[name]):
            raise ModelFormatError(
                f"{bad}: the checksum of {name} does not match (the file was modified or damaged). "
                "Re-save or re-download the model."
            )
    try:
        meta = json.loads(blobs["model.json"].decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ModelFormatError(f"{bad}: model.json is unreadable ({err}).") from err
    if meta.get("magic") != MAGIC or int(meta.get("format_version", -1)) != version:
        raise ModelFormatError(f"{bad}: model.json does not describe a tamclass model.")
    try:
        weights = dict(st_load(blobs["weights.safetensors"]))
    except Exception as err:  # safetensors raises its own error types
        raise ModelFormatError(f"{bad}: the weights cannot be decoded ({err}).") from err
    return meta, weights
