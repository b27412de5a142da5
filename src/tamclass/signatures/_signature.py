"""The :class:`Signature` type shared by the library, the scoring engine and the classifier."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class Signature:
    """A named gene signature with optional down-regulated genes and provenance.

    Parameters
    ----------
    name
        Unique set name, e.g. ``"Cheng2021_M1"``; becomes the score column name.
    up
        Genes expected to be high in the cell state (symbols as they should match ``var_names``).
    down
        Genes expected to be low (signed signatures, UCell's ``GENE-`` convention). May be empty.
    category
        e.g. ``"polarization"``, ``"tam_subset"``, ``"identity"``, ``"negative_lineage"``, ``"ihc"``, ``"custom"``.
    species
        ``"human"`` or ``"mouse"``.
    citation, doi, pmid, grade, notes, version
        Provenance; ``grade`` is the evidence grade (A = authors' own files, B = third-party
        transcription, D = derived).
    """

    name: str
    up: tuple[str, ...]
    down: tuple[str, ...] = ()
    category: str = "custom"
    species: str = "human"
    citation: str = ""
    doi: str | None = None
    pmid: str | None = None
    grade: str | None = None
    notes: str = ""
    version: str | None = None
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "up", tuple(self.up))
        object.__setattr__(self, "down", tuple(self.down))

    @property
    def genes(self) -> tuple[str, ...]:
        """All genes, up first then down."""
        return self.up + self.down

    @property
    def n_genes(self) -> int:
        return len(self.up) + len(self.down)

    def with_genes(self, up: Iterable[str], down: Iterable[str] = ()) -> Signature:
        """A copy with other gene lists (e.g. after mapping to the data's symbols)."""
        return replace(self, up=tuple(up), down=tuple(down))

    def to_dict(self) -> dict:
        """Provenance as a plain dict that survives ``adata.write_h5ad`` (no ``None``; lists of str).

        ``meta`` is not included (it may hold nested, non-h5ad-safe values); missing ``doi``/``pmid``/
        ``grade``/``version`` become ``""``.
        """
        return {
            "name": self.name,
            "up": list(self.up),
            "down": list(self.down),
            "category": self.category,
            "species": self.species,
            "citation": self.citation or "",
            "doi": self.doi or "",
            "pmid": self.pmid or "",
            "grade": self.grade or "",
            "version": self.version or "",
            "notes": self.notes or "",
        }
