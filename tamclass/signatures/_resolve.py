"""Turn whatever the user passed as ``signatures=`` into ``dict[name, Signature]``."""
from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import replace
from collections.abc import Iterable, Mapping

from .._errors import SignatureError
from ._genes import check_species, gene_symbols
from ._gmt import read_gmt, split_signed
from ._library import is_library_name, load
from ._signature import Signature

_FORMS = ("pass 'default', a library set name, category or list of names (see tc.signatures.available()), "
          "a dict {'name': ['GENE1', 'GENE2-', ...]}, Signature objects, or the path of a .gmt file")


def _looks_like_gmt(s: str) -> bool:
    low = s.lower()
    return low.endswith((".gmt", ".gmt.gz", ".gmt.txt")) or (os.sep in s and os.path.isfile(s))


def _from_value(name: str, value, species: str) -> Signature:
    if isinstance(value, Signature):
        return value if value.name == name else replace(value, name=name)
    if isinstance(value, Mapping):
        unknown = set(value) - {"up", "down"}
        if unknown:
            raise SignatureError(
                f"signature {name!r}: a dict value may only have keys 'up' and 'down', got {sorted(unknown)}"
            )
        up, _ = split_signed(value.get("up", ()) or ())
        down, _ = split_signed(value.get("down", ()) or ())
    elif isinstance(value, str) or not isinstance(value, Iterable):
        raise SignatureError(
            f"signature {name!r} must be a list of gene symbols, got {type(value).__name__} {value!r}; "
            "pass e.g. {'my_set': ['CD68', 'CD163', 'MRC1']}"
        )
    else:
        up, down = split_signed(value)
    if not up and not down:
        raise SignatureError(f"signature {name!r} has no genes; give at least one gene symbol")
    return Signature(name=str(name), up=up, down=down, species=species, category="custom",
                     notes="user-supplied gene list")


def _add(out: dict, sig: Signature) -> None:
    if not sig.genes:
        raise SignatureError(f"signature {sig.name!r} has no genes; give at least one gene symbol")
    prev = out.get(sig.name)
    if prev is not None and (prev.up, prev.down) != (sig.up, sig.down):
        raise SignatureError(
            f"two different signatures are both named {sig.name!r}; rename one (names become score columns)"
        )
    out[sig.name] = sig


def _from_string(s: str, species: str, out: dict) -> None:
    s = s.strip()
    if _looks_like_gmt(s) or (os.path.isfile(s) and not is_library_name(s)):
        for sig in read_gmt(s, species=species).values():
            _add(out, sig)
        return
    for sig in load(s, species=species).values():
        _add(out, sig)


def _add_item(item, species: str, out: dict) -> None:
    """Add one ``signatures=`` element: a Signature, a GMT path, a library name / category / GMT path
    string, or a dict of name -> genes."""
    if isinstance(item, Signature):
        _add(out, item)
    elif isinstance(item, os.PathLike):
        for sig in read_gmt(item, species=species).values():
            _add(out, sig)
    elif isinstance(item, str):
        _from_string(item, species, out)
    elif isinstance(item, Mapping):
        for name, value in item.items():
            _add(out, _from_value(str(name), value, species))
    else:
        raise SignatureError(f"cannot interpret list item {item!r} ({type(item).__name__}); {_FORMS}")


def _refuse_bare_gene_list(items: list, species: str) -> None:
    """A list of gene symbols passed where signature names were expected: say how to score them."""
    strings = [x for x in items if isinstance(x, str)]
    unknown = [x for x in strings if not is_library_name(x.strip()) and not _looks_like_gmt(x)
               and not os.path.isfile(x)]
    if unknown and len(unknown) == len(items):
        symbols = gene_symbols(species)
        hits = sum(1 for x in unknown if x.strip().rstrip("+-") in symbols or x.strip().upper() in symbols)
        if hits >= max(1, len(unknown) // 2):
            raise SignatureError(
                f"{unknown[:4]}{'...' if len(unknown) > 4 else ''} look like gene symbols, not signature names; "
                "to score your own genes pass a dict, e.g. signatures={'my_set': [...]}"
            )


def resolve(signatures="default", species: str = "human") -> dict[str, Signature]:
    """Normalise anything accepted as ``signatures=`` to an ordered ``dict`` name -> :class:`Signature`.

    Accepted forms (and lists mixing them):

    - ``"default"``, ``"all"``, a library set name (``"Cheng2021_M1"``) or a category (``"tam_subset"``);
    - a path to a ``.gmt`` / ``.gmt.gz`` file (``str`` or :class:`os.PathLike`);
    - a :class:`Signature` or a list of them;
    - a dict ``{name: genes}`` where genes is a list of symbols (UCell ``GENE+`` / ``GENE-`` suffixes
      mark up/down genes), a dict ``{"up": [...], "down": [...]}`` or a :class:`Signature`.

    ``None`` means ``"default"``.

    Parameters
    ----------
    signatures
        See above.
    species
        ``"human"`` or ``"mouse"``: the species of library sets to load and recorded on user sets.

    Returns
    -------
    ``dict`` set name -> :class:`Signature` (names are unique; they become score column names).

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.signatures.resolve(["Cheng2021_M1", {"my_set": ["CD68", "SPP1-"]}]).keys()
    dict_keys(['Cheng2021_M1', 'my_set'])
    """
    species = check_species(species)
    if signatures is None:
        signatures = "default"
    out: dict[str, Signature] = OrderedDict()
    if isinstance(signatures, (Signature, str, os.PathLike, Mapping)):
        if isinstance(signatures, Mapping) and not signatures:
            raise SignatureError(f"empty dict of signatures; {_FORMS}")
        items = [signatures]
    elif isinstance(signatures, Iterable):
        items = list(signatures)
        if not items:
            raise SignatureError(f"empty list of signatures; {_FORMS}")
        _refuse_bare_gene_list(items, species)
    else:
        raise SignatureError(f"cannot interpret signatures={signatures!r} ({type(signatures).__name__}); {_FORMS}")
    for item in items:
        _add_item(item, species, out)
    if not out:
        raise SignatureError(f"no signatures selected; {_FORMS}")
    return out
