"""Every error tamclass raises on purpose derives from :class:`TamclassError`.

Messages say what went wrong *and* what to do about it. Subclasses also derive from the
built-in exception a Python user would expect (``ValueError`` for bad values, ``OSError`` for
files), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class TamclassError(Exception):
    """Base class of all tamclass errors."""


class InputError(TamclassError, ValueError):
    """The data given to a function cannot be used as it is (empty, NaN, duplicated names, ...)."""


class GeneOverlapError(InputError):
    """Too few of the genes a signature or model needs are present in the data."""


class NormalizationError(InputError):
    """The expression values do not look like what the method expects (raw vs log-normalised)."""


class SignatureError(TamclassError, ValueError):
    """A signature, signature name or signature file is malformed or unknown."""


class ModelError(TamclassError, ValueError):
    """A classifier model cannot be trained or applied."""


class ModelFormatError(ModelError):
    """A model file is truncated, tampered with, or from an unsupported format version."""


class DeviceError(TamclassError, RuntimeError):
    """The requested compute device (e.g. CUDA) is not available."""


class SurvivalDataError(InputError):
    """Survival / meta-analysis inputs are invalid (negative durations, bad events, SE <= 0, ...)."""


class TamclassIOError(TamclassError, OSError):
    """A file cannot be read or written (not an h5ad, not writable, output == input, ...)."""


class NotMacrophageWarning(UserWarning):
    """Raised as a warning when a step finds no macrophages to work on."""


class TamclassWarning(UserWarning):
    """General tamclass warning (data quality, skipped signatures, ...)."""
