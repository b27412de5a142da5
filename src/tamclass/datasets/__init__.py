"""Datasets shipped inside the package (nothing is downloaded at run time)."""

from .._lazy import lazy_namespace

_EXPORTS = {"demo": "._demo", "ali2016_m2_cohorts": "._cohorts"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
