"""The small torch TAM classifier: model, training, calibration, save/load (torch imported lazily)."""

from .._lazy import lazy_namespace

_EXPORTS = {"Model": "._model"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
