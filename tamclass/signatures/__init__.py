"""The curated, cited, versioned TAM / macrophage signature library.

>>> import tamclass as tc
>>> tc.signatures.available()          # DataFrame: one row per set
>>> sigs = tc.signatures.load("default")
"""
from ._signature import Signature
from ._resolve import resolve

__all__ = ["Signature", "resolve"]
