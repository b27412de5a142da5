"""Read and write GMT gene-set files (MSigDB format: ``name <TAB> description <TAB> gene ...``).

Signed sets use UCell's convention in the gene columns: ``GENE+`` (up) and ``GENE-`` (down); a gene
without a suffix counts as up.
"""
from __future__ import annotations

import gzip
import os
from collections import OrderedDict
from pathlib import Path

from .._errors import SignatureError, TamclassIOError
from ._genes import check_species
from ._signature import Signature


def split_signed(genes) -> tuple[list[str], list[str]]:
    """Split UCell-style ``GENE+`` / ``GENE-`` symbols into (up, down); unsuffixed genes are up."""
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


def read_gmt(path, *, species: str = "human", category: str = "custom") -> dict[str, Signature]:
    """Read a ``.gmt`` (or ``.gmt.gz``) file into ``dict`` name -> :class:`Signature`.

    Parameters
    ----------
    path
        GMT file: one set per line, ``name``, ``description``, then genes, tab-separated. Blank lines
        and lines starting with ``#`` are ignored. Genes may carry ``+``/``-`` suffixes (signed sets).
    species
        Species recorded on the signatures (``"human"`` or ``"mouse"``).
    category
        Category recorded on the signatures.

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
        raise TamclassIOError(f"cannot read GMT file {str(p)!r} ({err}); it must be UTF-8 text (optionally gzipped)") from err
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
        out[name] = Signature(name=name, up=up, down=down, category=category, species=species,
                              citation=description if description.lower() not in ("", "na", "-") else "",
                              notes=f"read from {p.name}", meta=meta)
    if not out:
        raise SignatureError(f"GMT file {str(p)!r} contains no gene sets")
    return out


def write_gmt(signatures, path, *, species: str = "human") -> Path:
    """Write signatures to a GMT file; signed sets get ``GENE+`` / ``GENE-`` gene columns.

    Parameters
    ----------
    signatures
        Anything :func:`~tamclass.signatures.resolve` accepts (library names, dicts, Signature objects).
    path
        Output file (overwritten).
    species
        Species used to resolve library names.

    Returns
    -------
    The path written.

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.signatures.write_gmt("default", "tamclass_default.gmt")
    """
    from ._resolve import resolve

    sigs = resolve(signatures, species=species)
    lines = []
    for name, sig in sigs.items():
        if any(c in name for c in "\t\n\r"):
            raise SignatureError(f"signature name {name!r} contains a tab or newline; it cannot be written to GMT")
        desc = sig.meta.get("description") if isinstance(sig.meta, dict) else None
        parts = [p for p in (sig.doi and f"doi:{sig.doi}", sig.pmid and f"PMID:{sig.pmid}",
                             sig.version and f"tamclass library {sig.version}") if p]
        desc = "; ".join(x for x in (desc or sig.citation or "", *parts) if x) or "NA"
        desc = " ".join(desc.split())
        if sig.down:
            genes = [f"{g}+" for g in sig.up] + [f"{g}-" for g in sig.down]
        else:
            genes = list(sig.up)
        lines.append("\t".join([name, desc, *genes]))
    p = Path(os.fspath(path))
    try:
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as err:
        raise TamclassIOError(f"cannot write GMT file {str(p)!r}: {err}") from err
    return p
