"""tamclass: find and characterise tumour-associated macrophages in single-cell RNA-seq.

Namespaces follow scanpy's conventions::

    import tamclass as tc

    tc.tl.score(adata)  # compute, write into the AnnData
    tc.tl.gate(adata)
    tc.tl.classify(adata)
    tc.pl.scores(adata)  # plots
    tc.signatures.available()  # the curated, cited signature library
    tc.prognosis.meta_analysis(...)  # survival models and random-effects pooling
    tc.datasets.demo()  # the bundled real demo dataset
    tc.get.scores(adata)  # scores as a DataFrame (tc.get.scores_to_obs: into obs)
    tc.settings.verbosity = "info"  # package settings
    from tamclass.errors import InputError, TamclassWarning  # the errors and warnings, to catch or filter

Submodules are imported on first use, so ``import tamclass`` stays light and never imports torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._errors import TamclassError
from ._settings import settings
from ._version import __version__

_SUBMODULES = ("tl", "pl", "pp", "get", "prognosis", "signatures", "datasets", "scoring", "classifier", "errors")

__all__ = [*_SUBMODULES, "Model", "TamclassError", "settings", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from . import classifier, datasets, errors, get, pl, pp, prognosis, scoring, signatures, tl
    from .classifier import Model


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if name == "Model":
        from .classifier import Model

        globals()["Model"] = Model
        return Model
    raise AttributeError(f"module 'tamclass' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
