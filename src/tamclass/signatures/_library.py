"""The shipped signature library: registry, :func:`available`, :func:`load`, :func:`show`, :func:`citations`.

Files live in the data package ``tamclass.library`` (``signatures/`` at the repository root) and are
read with :mod:`importlib.resources`, so the library works from a wheel, a zip or an editable install.
"""

from __future__ import annotations

import difflib
import json
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._errors import SignatureError
from ._genes import _library_file, _read_tsv, check_species
from ._signature import Signature

if TYPE_CHECKING:
    from collections.abc import Sequence

CATEGORIES = ("identity", "negative_lineage", "polarization", "tam_subset", "tam_axis", "ihc", "other")
COLLECTIONS = ("default", "all")
#: roles a set plays for the gate and the classifier (manifest column ``role``)
ROLES = ("gate_identity", "gate_negative", "gate_optional_negative", "state", "subset")


@cache
def _library_info() -> dict:
    return json.loads(_library_file("library.json").read_text(encoding="utf-8"))


LIBRARY_VERSION: str = _library_info()["version"]


def library_path() -> Path:
    """Directory of the installed library files (``manifest.tsv``, ``sets/``, ``mouse/``, ``genes/``)."""
    return Path(str(_library_file("manifest.tsv"))).parent


@cache
def _manifest() -> tuple[dict[str, Any], ...]:
    rows: list[dict[str, Any]] = list(_read_tsv("manifest.tsv"))
    for r in rows:
        r["meta"] = json.loads(r["meta"]) if r.get("meta") else {}
        r["in_default"] = r["in_default"] == "yes"
        for k in ("n_up", "n_down", "n_genes"):
            r[k] = int(r[k])
    return tuple(rows)


@cache
def _gene_rows(source_file: str) -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = OrderedDict()
    for r in _read_tsv(*source_file.split("/")):
        out.setdefault(r["set"], []).append((r["gene"], r["direction"], r["symbol_as_published"]))
    return out


@cache
def _registry(species: str) -> OrderedDict[str, dict]:
    return OrderedDict((r["name"], r) for r in _manifest() if r["species"] == species)


def _all_names() -> list[str]:
    return list(dict.fromkeys(r["name"] for r in _manifest()))


def _build(row: dict) -> Signature:
    genes = _gene_rows(row["source_file"]).get(row["name"], [])
    up = tuple(g for g, d, _ in genes if d == "up")
    down = tuple(g for g, d, _ in genes if d == "down")
    renamed = {g: p for g, _, p in genes if p and p != g}
    meta = {
        "description": row["description"],
        "source": row["source"],
        "source_file": row["source_file"],
        "in_default": bool(row["in_default"]),
        "native_species": row["native_species"],
        "library": "tamclass",
    }
    if row.get("role"):
        meta["role"] = row["role"]
    if renamed:
        key = "orthologs_of" if row["species"] != row["native_species"] else "symbols_as_published"
        meta[key] = renamed
    meta.update(row["meta"])
    return Signature(
        name=row["name"],
        up=up,
        down=down,
        category=row["category"],
        species=row["species"],
        citation=row["citation"],
        doi=row["doi"] or None,
        pmid=row["pmid"] or None,
        grade=row["grade"],
        notes=row["notes"],
        version=LIBRARY_VERSION,
        meta=meta,
    )


def _suggest(name: str) -> str:
    pool = [*COLLECTIONS, *CATEGORIES, *_all_names()]
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.5)
    if not close:
        lower = name.lower()
        close = [p for p in pool if lower in p.lower()][:3]
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _names_for(item: str, species: str, *, strict: bool = True) -> list[str]:
    """Expand one string (collection, category or set name) into set names available for ``species``."""
    reg = _registry(species)
    if item == "default":
        return [n for n, r in reg.items() if r["in_default"]]
    if item == "all":
        return list(reg)
    if item in CATEGORIES:
        return [n for n, r in reg.items() if r["category"] == item]
    if item in reg:
        return [item]
    if item in _all_names():
        other = "mouse" if species == "human" else "human"
        row = _registry(other)[item]
        missing = ", ".join(row["meta"].get("no_ortholog", [])) or "its genes"
        raise SignatureError(
            f"signature {item!r} has no {species} version (no {species} orthologue for {missing}); "
            f"use species={other!r} or choose another set (tc.signatures.available(species={species!r}))"
        )
    # case-insensitive unique match
    ci = [n for n in list(reg) + list(CATEGORIES) + list(COLLECTIONS) if n.lower() == item.lower()]
    if len(ci) == 1:
        return _names_for(ci[0], species)
    raise SignatureError(
        f"unknown signature, category or collection {item!r}.{_suggest(item)} "
        "See tc.signatures.available() for the library, or pass your own genes as {'name': ['GENE1', ...]}"
    )


def is_library_name(item: str) -> bool:
    """True if ``item`` names a library set, category or collection (any species, any case)."""
    if not isinstance(item, str):
        return False
    pool = {*COLLECTIONS, *CATEGORIES, *_all_names()}
    return item in pool or item.lower() in {p.lower() for p in pool}


def load(names_or_default: str | Sequence[str] = "default", species: str = "human") -> dict[str, Signature]:
    """Load signatures from the shipped library.

    Parameters
    ----------
    names_or_default
        ``"default"`` (the sets scored in one call), ``"all"``, a set name (``"Cheng2021_M1"``), a
        category (``"identity"``, ``"negative_lineage"``, ``"polarization"``, ``"tam_subset"``,
        ``"tam_axis"``, ``"ihc"``, ``"other"``) or a list of these.
    species
        ``"human"`` or ``"mouse"``. Mouse sets are the human sets mapped with the shipped ortholog
        table (genes without a mouse orthologue are listed in ``Signature.meta["no_ortholog"]``), except
        the natively murine Coates 2008 sets.

    Returns
    -------
    ``dict`` set name -> :class:`~tamclass.signatures.Signature`, in library order.

    Examples
    --------
    >>> import tamclass as tc
    >>> sigs = tc.signatures.load("default")
    >>> sigs["Cheng2021_M1"].up[:3]
    ('IL23A', 'TNF', 'CXCL9')
    >>> tc.signatures.load(["tam_subset", "Cheng2021_M2"], species="mouse").keys()
    """
    species = check_species(species)
    items = [names_or_default] if isinstance(names_or_default, str) else names_or_default
    if items is None:
        items = ["default"]
    try:
        items = list(items)
    except TypeError as err:
        raise SignatureError(
            f"names_or_default must be a name or a list of names, got {type(names_or_default).__name__}"
        ) from err
    if not items:
        raise SignatureError("no signature names given; pass 'default', 'all', a category or set names")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise SignatureError(
                f"library names must be strings, got {type(item).__name__}; use tc.signatures.resolve() "
                "to mix library names with your own gene lists"
            )
        names.extend(_names_for(item.strip(), species))
    reg = _registry(species)
    return OrderedDict((n, _build(reg[n])) for n in dict.fromkeys(names))


def available(species: str | None = None, category: str | None = None) -> pd.DataFrame:
    """Table of the shipped signatures.

    Parameters
    ----------
    species
        ``"human"``, ``"mouse"`` or ``None`` (one row per set; ``species`` then lists every species
        the set ships in and the counts are those of the human version where there is one).
    category
        Restrict to one category (see :data:`CATEGORIES`).

    Returns
    -------
    DataFrame
        Indexed by set name, with columns ``n_genes, n_up, n_down, category, role, species, grade,
        in_default, citation, doi, pmid, pmid_status, direction, native_species, description, source_file``
        (``pmid_status``: ``read_on_pubmed``, ``corroborated`` - seen in an independent public source, not
        read on PubMed - or ``unverified``).

    Examples
    --------
    >>> import tamclass as tc
    >>> tab = tc.signatures.available()
    >>> tab[tab.in_default].index.tolist()[:3]
    ['Macrophage_identity', 'Monocyte_classical', 'Monocyte_nonclassical']
    """
    cols = [
        "n_genes",
        "n_up",
        "n_down",
        "category",
        "role",
        "species",
        "grade",
        "in_default",
        "citation",
        "doi",
        "pmid",
        "pmid_status",
        "direction",
        "native_species",
        "description",
        "source_file",
    ]
    if category is not None and category not in CATEGORIES:
        raise SignatureError(f"unknown category {category!r}; choose one of {', '.join(CATEGORIES)}")
    if species is not None:
        species = check_species(species)
        rows = [r for r in _manifest() if r["species"] == species]
    else:
        by_name: dict[str, dict] = OrderedDict()
        spp: dict[str, list[str]] = {}
        for r in _manifest():
            spp.setdefault(r["name"], []).append(r["species"])
            if r["name"] not in by_name or r["species"] == "human":
                by_name[r["name"]] = r
        rows = [dict(r, species=",".join(sorted(spp[n]))) for n, r in by_name.items()]
    if category is not None:
        rows = [r for r in rows if r["category"] == category]
    df = pd.DataFrame(
        [{c: r[c] for c in cols} for r in rows], columns=cols, index=pd.Index([r["name"] for r in rows], name="name")
    )
    df["in_default"] = df["in_default"].astype(bool)
    return df


def sets_with_role(role: str, species: str = "human") -> list[str]:
    """Names of the library sets that play ``role`` for the gate or the classifier, in library order.

    Parameters
    ----------
    role
        One of :data:`ROLES`: ``"gate_identity"`` (macrophage, classical / non-classical monocyte and
        dendritic-cell identity sets of ``tc.tl.gate``), ``"gate_negative"`` (negative-lineage sets),
        ``"gate_optional_negative"`` (platelet / red-cell contaminant sets), ``"state"`` (M1-like / M2-like
        sets of ``tc.tl.classify``) or ``"subset"`` (the seven Ma 2022 TAM-subset sets).
    species
        ``"human"`` or ``"mouse"``; a set without a version in that species is left out.

    Returns
    -------
    list of set names (the ``role`` column of ``manifest.tsv``).

    Examples
    --------
    >>> import tamclass as tc
    >>> from tamclass.signatures._library import sets_with_role
    >>> sets_with_role("state")
    ['Cheng2021_M1', 'Cheng2021_M2']
    """
    species = check_species(species)
    if role not in ROLES:
        close = difflib.get_close_matches(str(role), ROLES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise SignatureError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}.{hint}")
    return [n for n, r in _registry(species).items() if r.get("role") == role]


def citations(names_or_default: str | Sequence[str] = "all", species: str = "human") -> pd.DataFrame:
    """One row per set: citation, DOI, PMID, evidence grade and where the list was read."""
    sigs = load(names_or_default, species=species)
    return pd.DataFrame(
        [
            {
                "name": s.name,
                "citation": s.citation,
                "doi": s.doi or "",
                "pmid": s.pmid or "",
                "grade": s.grade,
                "source": s.meta.get("source", ""),
            }
            for s in sigs.values()
        ]
    ).set_index("name")


@cache
def curation_log() -> pd.DataFrame:
    """Every edit made to the published lists (renames, drops, exclusions, additions)."""
    return pd.DataFrame(_read_tsv("curation_log.tsv"))


def show(name: str, species: str = "human") -> str:
    """Human-readable summary of one library set (what ``tamclass signatures show NAME`` prints)."""
    species = check_species(species)
    if not isinstance(name, str):
        raise SignatureError(f"show() takes one set name, got {type(name).__name__}")
    if name.strip().lower() in (*CATEGORIES, *COLLECTIONS):
        raise SignatureError(
            f"{name!r} is a collection/category, not a set; pass one set name to show() "
            f"(list them with tc.signatures.available(category=...))"
        )
    names = _names_for(name.strip(), species)
    sig = load(names[0], species=species)[names[0]]
    lines = [
        f"{sig.name}  ({sig.species}, {sig.category}, grade {sig.grade}"
        f"{', in default' if sig.meta.get('in_default') else ''})",
        f"  {sig.meta.get('description', '')}",
        f"  citation: {sig.citation}",
        f"  doi: {sig.doi or '-'}   pmid: {sig.pmid or '-'}",
        f"  read from: {sig.meta.get('source', '')}",
        f"  up ({len(sig.up)}): {' '.join(sig.up)}",
    ]
    if sig.down:
        lines.append(f"  down ({len(sig.down)}): {' '.join(sig.down)}")
    if sig.meta.get("no_ortholog"):
        lines.append(f"  no {sig.species} orthologue: {' '.join(sig.meta['no_ortholog'])}")
    log = curation_log()
    edits = log[(log["set"] == sig.name) & (log["species"] == sig.meta.get("native_species", sig.species))]
    for e in edits.itertuples(index=False):
        arrow = f"{e.symbol_as_published or '-'} -> {e.symbol_shipped or '(removed)'}"
        lines.append(f"  edit [{e.action}] {arrow}: {e.reason}")
    lines.append(f"  notes: {sig.notes}")
    lines.append(f"  library version {sig.version}")
    return "\n".join(lines)
