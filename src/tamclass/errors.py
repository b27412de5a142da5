"""The errors and warnings tamclass raises on purpose, to catch or filter by class.

Every error derives from :class:`TamclassError` and from the built-in exception a Python user would
expect (``ValueError`` for bad values, ``OSError`` for files), so ``except ValueError`` keeps working.
Warnings derive from ``UserWarning``.

>>> import warnings
>>> from tamclass.errors import InputError, TamclassWarning
>>> warnings.simplefilter("ignore", TamclassWarning)  # silence data-quality notes
>>> issubclass(InputError, ValueError)
True
"""

from ._errors import (
    DeviceError,
    GeneOverlapError,
    InputError,
    ModelError,
    ModelFormatError,
    NormalizationError,
    NotMacrophageWarning,
    SignatureError,
    SurvivalDataError,
    TamclassError,
    TamclassIOError,
    TamclassWarning,
)

__all__ = [
    "TamclassError",
    "InputError",
    "GeneOverlapError",
    "NormalizationError",
    "SignatureError",
    "ModelError",
    "ModelFormatError",
    "DeviceError",
    "SurvivalDataError",
    "TamclassIOError",
    "TamclassWarning",
    "NotMacrophageWarning",
]
