"""Read and write GMT gene-set files (MSigDB format: ``name <TAB> description <TAB> gene ...``).

Signed sets use UCell's convention in the gene columns: ``GENE+`` (up) and ``GENE-`` (down); a gene
without a suffix counts as up.
"""

from __future__ import annotations

import gzip
import os
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import SignatureError, TamclassIOError
from ._genes import check_species
from ._signature import Signature

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable


def split_signed(genes: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split UCell-style ``GENE+`` / ``GENE-`` symbols into (up, down); unsuffixed genes are up.

    Parameters
    ----------
    genes
        Iterable of symbols; ``None`` entries are skipped, duplicates dropped (first kept).

    Returns
    -------
    tuple of list
        ``(up, down)`` symbols without their suffixes, in input order.
    """
    up: list[str] = []
    down: list[str] = []
    for g in genes:
        if g is None:
            continue
        g = str(g).strip()
        if len(g) > 1 and g.endswith("-"):
            target = down
            g = g[:-1].strip()
        elif len(g) > 1 and g.endswith("+"):
            target = up
            g = g[:-1].strip()
        else:
            target = up
        if g and g not in target:
            target.append(g)
    return up, down


def read_gmt(
    path: str | os.PathLike, *, species: str = "human", category: str = "custom", pair_up_dn: bool = False
) -> dict[str, Signature]:
    """Read a ``.gmt`` (or ``.gmt.gz``) file into ``dict`` name -> :class:`~tamclass.signatures.Signature`.

    Parameters
    ----------
    path
        GMT file: one set per line, ``name``, ``description``, then genes, tab-separated. Blank lines
        and lines starting with ``#`` are ignored. Genes may carry ``+``/``-`` suffixes (signed sets).
    species
        Species recorded on the signatures (``"human"`` or ``"mouse"``).
    category
        Category recorded on the signatures.
    pair_up_dn
        Join MSigDB-style pairs ``NAME_UP`` + ``NAME_DN`` into one signed set ``NAME`` (up and down
        genes), as :func:`write_gmt` writes signed sets; a ``NAME_DN`` without its ``NAME_UP`` becomes a
        down-only set ``NAME``. Off by default: in MSigDB collections such pairs are separate sets.

    Returns
    -------
    ``dict`` set name -> :class:`~tamclass.signatures.Signature`, in file order.

    Examples
    --------
    >>> import tamclass as tc
    >>> sigs = tc.signatures.read_gmt("my_sets.gmt")
    """
    species = check_species(species)
    p = Path(os.fspath(path))
    if not p.is_file():
        raise TamclassIOError(f"GMT file {str(p)!r} does not exist or is not a file; check the path")
    try:
        raw = p.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise TamclassIOError(
            f"cannot read GMT file {str(p)!r} ({err}); it must be UTF-8 text (optionally gzipped)"
        ) from err
    out: dict[str, Signature] = OrderedDict()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        where = f"{p.name}, line {lineno}"
        if len(fields) < 3:
            hint = " (fields look space-separated; GMT needs tabs)" if len(line.split()) >= 3 else ""
            raise SignatureError(
                f"malformed GMT ({where}): expected 'name<TAB>description<TAB>gene1<TAB>gene2...', "
                f"got {len(fields)} tab-separated field(s){hint}"
            )
        name, description = fields[0].strip(), fields[1].strip()
        if not name:
            raise SignatureError(f"malformed GMT ({where}): empty set name in the first column")
        if name in out:
            raise SignatureError(f"malformed GMT ({where}): set name {name!r} appears twice; names must be unique")
        up, down = split_signed(f for f in fields[2:] if f.strip())
        if not up and not down:
            raise SignatureError(f"GMT set {name!r} ({where}) has no genes; remove the line or add genes")
        meta = {"description": description, "source_file": str(p)}
        out[name] = Signature(
            name=name,
            up=tuple(up),
            down=tuple(down),
            category=category,
            species=species,
            citation=description if description.lower() not in ("", "na", "-") else "",
            notes=f"read from {p.name}",
            meta=meta,
        )
    if not out:
        raise SignatureError(f"GMT file {str(p)!r} contains no gene sets")
    return _pair_up_dn(out) if pair_up_dn else out


def _pair_up_dn(sets: dict[str, Signature]) -> dict[str, Signature]:
    """Join ``NAME_UP`` / ``NAME_DN`` sets into signed sets ``NAME`` (the inverse of write_gmt's split)."""
    from dataclasses import replace

    bases = {n[:-3] for n in sets if n.endswith("_DN") and len(n) > 3}
    clash = sorted(b for b in bases if b in sets)
    if clash:
        raise SignatureError(f"pair_up_dn=True: joined set name(s) {clash} also appear as sets of their own")
    out: dict[str, Signature] = OrderedDict()
    for name, sig in sets.items():
        base, suffix = name[:-3], name[-3:]
        if suffix == "_UP" and base + "_DN" in sets:
            down = sets[base + "_DN"]
            out[base] = replace(sig, name=base, down=tuple(down.up) + tuple(down.down))
        elif suffix == "_DN" and base + "_UP" in sets:
            continue  # joined with its _UP half
        elif suffix == "_DN" and base:
            out[base] = replace(sig, name=base, up=(), down=tuple(sig.up) + tuple(sig.down))
        else:
            out[name] = sig
    return out


_SIGNED = ("split", "suffix")


def _description(sig: Signature) -> str:
    """The GMT description field as ONE whitespace-free token.

    MSigDB puts a URL there, and readers that split lines on any whitespace (``decoupler.pp.read_gmt``) skip exactly one token before the genes.
    """
    desc = sig.meta.get("description") if isinstance(sig.meta, dict) else None
    if desc and len(str(desc).split()) == 1:
        return str(desc).strip()
    if sig.doi:
        return f"https://doi.org/{sig.doi}"
    if sig.pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{sig.pmid}/"
    return "NA"


def _check_token(kind: str, value: str, name: str) -> None:
    if not value or len(value.split()) != 1 or value != value.strip():
        raise SignatureError(
            f"{kind} {value!r} of set {name!r} is empty or contains whitespace; GMT readers that split on "
            "whitespace (decoupler) would misread it - rename it (e.g. replace spaces with '_')"
        )


def _gmt_rows(sig: Signature, signed: str) -> list[tuple[str, list[str]]]:
    """(set name, genes) rows for one signature; signed sets as MSigDB ``_UP``/``_DN`` pairs or UCell suffixes."""
    if not sig.down:
        return [(sig.name, list(sig.up))]
    if signed == "suffix":
        return [(sig.name, [f"{g}+" for g in sig.up] + [f"{g}-" for g in sig.down])]
    rows = [(f"{sig.name}_UP", list(sig.up))] if sig.up else []
    return rows + [(f"{sig.name}_DN", list(sig.down))]


def gmt_text(sigs: dict[str, Signature], signed: str = "split") -> str:
    """The GMT file content of resolved signatures; ``signed`` as in :func:`~tamclass.signatures.write_gmt`."""
    lines, names = [], set()
    for sig in sigs.values():
        desc = _description(sig)
        _check_token("description", desc, sig.name)
        for name, genes in _gmt_rows(sig, signed):
            _check_token("set name", name, sig.name)
            for g in genes:
                _check_token("gene", g, sig.name)
            if name in names:
                raise SignatureError(f"two GMT sets would both be named {name!r}; rename one of the signatures")
            names.add(name)
            lines.append("\t".join([name, desc, *genes]))
    return "\n".join(lines) + "\n"
