"""Lazy re-exports: a namespace lists its public names and the private module each lives in.

Keeps ``import tamclass`` fast (no torch, no lifelines until used) and lets each concern live in
its own small module, as in scanpy's ``tl/_score_genes.py`` layout.
"""

from __future__ import annotations

import importlib


def lazy_namespace(package: str, mapping: dict[str, str]):
    """Return ``(__getattr__, __dir__)`` for a package re-exporting ``name -> .module``."""

    def __getattr__(name: str):
        if name in mapping:
            obj = getattr(importlib.import_module(mapping[name], package), name)
            importlib.import_module(package).__dict__[name] = obj
            return obj
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(mapping)

    return __getattr__, __dir__
