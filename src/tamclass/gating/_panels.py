"""The gating model: marker panels for the lineages a tumour holds, read from a data file.

One row per lineage (``data/human_tme.tsv``): the finer ``lineage`` name written to
``obs[f"{key}_lineage"]``, the coarse ``call`` (macrophage, monocyte, dendritic, other), the ``role``
(``myeloid``: positive evidence of a myeloid lineage; ``negative``: a lineage that must be excluded) and
the genes with their source. Mouse panels are the human ones mapped with the shipped ortholog table;
genes the table does not cover are mapped by the usual case rule (``CD68`` -> ``Cd68``) and listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from .._keys import CELLTYPES
from ..signatures._genes import ortholog_table

__all__ = [
    "CALL_MYELOID",
    "CELLTYPES",
    "MODEL_FILE",
    "ROLE_CONTAMINANT",
    "ROLE_MYELOID",
    "ROLE_NEGATIVE",
    "Panel",
    "load_panels",
]

#: panel roles (column ``role`` of the model file): positive myeloid evidence, a lineage to exclude, a
#: contaminant that names cells without myeloid evidence but vetoes no myeloid call
ROLE_MYELOID = "myeloid"
ROLE_NEGATIVE = "negative"
ROLE_CONTAMINANT = "contaminant"
#: the ``call`` of the common monocyte/macrophage/DC panel (myeloid evidence without a lineage)
CALL_MYELOID = "myeloid"
MODEL_FILE = "human_tme.tsv"


@dataclass(frozen=True)
class Panel:
    """One lineage's marker panel."""

    lineage: str
    call: str
    role: str
    genes: tuple[str, ...]
    source: str


@cache
def _human_panels() -> tuple[Panel, ...]:
    with resources.files(__package__).joinpath("data").joinpath(MODEL_FILE).open(encoding="utf-8") as fh:
        table = pd.read_csv(fh, sep="\t", comment="#", dtype=str)
    return tuple(
        Panel(r.lineage, r.call, r.role, tuple(r.genes.split(";")), r.source) for r in table.itertuples(index=False)
    )


def _to_mouse(genes) -> tuple[tuple[str, ...], list[str]]:
    table = {r.human_gene: r.mouse_genes.split(";") for r in ortholog_table().itertuples(index=False) if r.mouse_genes}
    out, by_case = [], []
    for g in genes:
        if g in table:
            out.extend(table[g])
        else:  # not a library gene: the one-to-one orthologue's usual spelling
            out.append(g[:1] + g[1:].lower())
            by_case.append(g)
    return tuple(dict.fromkeys(out)), by_case


def load_panels(species: str = "human") -> tuple[tuple[Panel, ...], list[str]]:
    """The gating panels for ``species`` and the human genes mapped to mouse by case (empty for human)."""
    human = _human_panels()
    if species == "human":
        return human, []
    panels, by_case = [], []
    for p in human:
        genes, cased = _to_mouse(p.genes)
        panels.append(Panel(p.lineage, p.call, p.role, genes, p.source))
        by_case.extend(cased)
    return tuple(panels), sorted(set(by_case))
