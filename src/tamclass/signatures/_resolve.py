"""Turn whatever the user passed as ``signatures=`` into ``dict[name, Signature]``."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeAlias, Union

from .._errors import SignatureError
from ._genes import check_species, gene_symbols
from ._gmt import read_gmt, split_signed
from ._library import is_library_name, load
from ._signature import Signature

if TYPE_CHECKING:
    import pandas as pd

#: Everything ``signatures=`` accepts (see :func:`resolve`): library names or categories, GMT paths,
#: Signature objects, a decoupler ``net`` DataFrame, ``{name: genes}`` dicts, and lists mixing them.
SignaturesLike: TypeAlias = Union[
    str, "os.PathLike[str]", Signature, "pd.DataFrame", Mapping[str, Any], Iterable[Any], None
]

_FORMS = (
    "pass 'default', a library set name, category or list of names (see tc.signatures.available()), "
    "a dict {'name': ['GENE1', 'GENE2-', ...]}, Signature objects, the path of a .gmt file, or a decoupler "
    "net DataFrame with columns 'source', 'target' (and optionally 'weight')"
)


def _is_frame(obj) -> bool:
    import sys

    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame)


def from_net(net: pd.DataFrame, species: str = "human") -> dict[str, Signature]:
    """Signatures from a decoupler ``net`` DataFrame (``source``, ``target``, optional ``weight``).

    Each ``source`` becomes one signature of its ``target`` genes, in row order. A negative ``weight``
    marks a down gene (scored like UCell's ``GENE-``), a positive one an up gene. tamclass's methods are
    unweighted (as decoupler's ``aucell``), so only the sign of a weight is used; weights other than
    +1 / -1 give a :class:`~tamclass._errors.TamclassWarning`.

    Parameters
    ----------
    net
        DataFrame as used by ``decoupler.mt.*`` (e.g. from ``decoupler.op.*`` or
        ``decoupler.pp.read_gmt``).
    species
        Species recorded on the signatures.

    Returns
    -------
    ``dict`` name -> :class:`~tamclass.signatures.Signature`.

    Raises
    ------
    SignatureError
        Missing ``source``/``target`` columns, empty names, a weight of zero or NaN, or a gene listed
        with both signs in one set.
    """
    import warnings

    import numpy as np

    from .._errors import TamclassWarning

    missing = [c for c in ("source", "target") if c not in net.columns]
    if missing:
        raise SignatureError(
            f"a decoupler net needs columns 'source' and 'target' (missing: {missing}); "
            f"got columns {list(map(str, net.columns))}"
        )
    if net.empty:
        raise SignatureError("the decoupler net has no rows; " + _FORMS)
    src = net["source"].astype(str).str.strip().to_numpy()
    tgt = net["target"].astype(str).str.strip().to_numpy()
    if (src == "").any() or (tgt == "").any() or net["source"].isna().any() or net["target"].isna().any():
        raise SignatureError("the decoupler net has empty or missing 'source'/'target' values; drop those rows")
    weight = np.ones(len(net)) if "weight" not in net.columns else _net_weights(net["weight"])
    if not np.all(np.abs(weight) == 1.0):
        warnings.warn(
            "the decoupler net has weights other than +1/-1; tamclass's scoring methods are unweighted (like "
            "decoupler's aucell), so only their sign is used (negative = down gene)",
            TamclassWarning,
            stacklevel=4,
        )
    sets: dict[str, tuple[list[str], list[str]]] = {}
    for s, g, w in zip(src, tgt, weight, strict=False):
        up, down = sets.setdefault(s, ([], []))
        same, other = (up, down) if w > 0 else (down, up)
        if g in other:
            raise SignatureError(f"net source {s!r}: gene {g!r} has both a positive and a negative weight")
        if g not in same:
            same.append(g)
    return {
        s: Signature(
            name=s,
            up=tuple(up),
            down=tuple(down),
            species=species,
            category="custom",
            notes="from a decoupler net (weights: sign only)",
            meta={"source": "decoupler net"},
        )
        for s, (up, down) in sets.items()
    }


def _net_weights(col):
    import numpy as np
    import pandas as pd

    w = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w == 0)
    if bad.any():
        raise SignatureError(
            f"the decoupler net has {int(bad.sum())} weight(s) that are 0, NaN or not numbers (first at row "
            f"{int(np.argmax(bad))}); a weight's sign says up (> 0) or down (< 0) - drop or fix those rows"
        )
    return w


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
    return Signature(
        name=str(name),
        up=tuple(up),
        down=tuple(down),
        species=species,
        category="custom",
        notes="user-supplied gene list",
    )


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
    """Add one ``signatures=`` element.

    A Signature, a GMT path, a library name / category / GMT path string, or a dict of name -> genes.
    """
    if isinstance(item, Signature):
        _add(out, item)
    elif _is_frame(item):
        for sig in from_net(item, species=species).values():
            _add(out, sig)
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
    unknown = [
        x for x in strings if not is_library_name(x.strip()) and not _looks_like_gmt(x) and not os.path.isfile(x)
    ]
    if unknown and len(unknown) == len(items):
        symbols = gene_symbols(species)
        hits = sum(1 for x in unknown if x.strip().rstrip("+-") in symbols or x.strip().upper() in symbols)
        if hits >= max(1, len(unknown) // 2):
            raise SignatureError(
                f"{unknown[:4]}{'...' if len(unknown) > 4 else ''} look like gene symbols, not signature names; "
                "to score your own genes pass a dict, e.g. signatures={'my_set': [...]}"
            )


def resolve(signatures: SignaturesLike = "default", species: str = "human") -> dict[str, Signature]:
    """Normalise anything accepted as ``signatures=`` to ``dict`` name -> :class:`~tamclass.signatures.Signature`.

    Accepted forms (and lists mixing them):

    - ``"default"``, ``"all"``, a library set name (``"Cheng2021_M1"``) or a category (``"tam_subset"``);
    - a path to a ``.gmt`` / ``.gmt.gz`` file (``str`` or :class:`os.PathLike`);
    - a :class:`~tamclass.signatures.Signature` or a list of them;
    - a decoupler ``net`` DataFrame (``source``, ``target``, optional ``weight``; negative weight =
      down gene), see :func:`from_net`;
    - a dict ``{name: genes}`` where genes is a list of symbols (UCell ``GENE+`` / ``GENE-`` suffixes
      mark up/down genes), a dict ``{"up": [...], "down": [...]}`` or a :class:`~tamclass.signatures.Signature`.

    ``None`` means ``"default"``.

    Parameters
    ----------
    signatures
        See above.
    species
        ``"human"`` or ``"mouse"``: the species of library sets to load and recorded on user sets.

    Returns
    -------
    ``dict`` set name -> :class:`~tamclass.signatures.Signature` (names are unique; they become score column names).

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
    if isinstance(signatures, (Signature, str, os.PathLike, Mapping)) or _is_frame(signatures):
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


def to_net(signatures: SignaturesLike = "default", species: str = "human") -> pd.DataFrame:
    """Signatures as a decoupler ``net`` DataFrame: ``source``, ``target``, ``weight`` (+1 up, -1 down).

    The inverse of :func:`from_net`, for ``decoupler.mt.*`` methods, e.g.
    ``dc.mt.ulm(adata, net=tc.signatures.to_net("default"))``.

    Parameters
    ----------
    signatures
        Anything :func:`resolve` accepts.
    species
        ``"human"`` or ``"mouse"``.

    Returns
    -------
    DataFrame, one row per (set, gene), sets and genes in library order.

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.signatures.to_net("Cheng2021_M1").columns.tolist()
    ['source', 'target', 'weight']
    """
    import pandas as pd

    rows = [
        (name, g, w)
        for name, sig in resolve(signatures, species=species).items()
        for genes, w in ((sig.up, 1.0), (sig.down, -1.0))
        for g in genes
    ]
    return pd.DataFrame(rows, columns=["source", "target", "weight"])
