"""Turn whatever the user passed as ``signatures=`` into ``dict[name, Signature]``.

PLACEHOLDER (skeleton): handles dicts of gene lists, Signature objects and the UCell
``GENE+`` / ``GENE-`` convention. The library helper extends it with library names,
``"default"``, categories, GMT files and species.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .._errors import SignatureError
from ._signature import Signature


def _split_signed(genes: Iterable[str]) -> tuple[list[str], list[str]]:
    up, down = [], []
    for g in genes:
        g = str(g).strip()
        if g.endswith("-") and len(g) > 1:
            down.append(g[:-1])
        elif g.endswith("+") and len(g) > 1:
            up.append(g[:-1])
        elif g:
            up.append(g)
    return up, down


def resolve(signatures, *, species: str = "human") -> dict[str, Signature]:
    """Normalise ``signatures`` to an ordered ``dict`` of :class:`Signature`."""
    if isinstance(signatures, Signature):
        return {signatures.name: signatures}
    if isinstance(signatures, Mapping):
        out = {}
        for name, value in signatures.items():
            if isinstance(value, Signature):
                out[str(name)] = value
            elif isinstance(value, str) or not isinstance(value, Iterable):
                raise SignatureError(
                    f"signature {name!r} must be a list of gene symbols, got {type(value).__name__}; "
                    "pass e.g. {'my_set': ['CD68', 'CD163', 'MRC1']}"
                )
            else:
                up, down = _split_signed(value)
                out[str(name)] = Signature(name=str(name), up=up, down=down, species=species)
        if not out:
            raise SignatureError("no signatures given; pass 'default', a library name, a dict of gene lists or a GMT file")
        return out
    if isinstance(signatures, Iterable) and not isinstance(signatures, str):
        items = list(signatures)
        if items and all(isinstance(s, Signature) for s in items):
            return {s.name: s for s in items}
    raise SignatureError(
        f"cannot interpret signatures={signatures!r}; pass 'default', a library set name or list of names, "
        "a dict {name: [genes]}, Signature objects, or the path of a .gmt file"
    )
