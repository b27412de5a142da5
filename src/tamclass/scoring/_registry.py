"""The method registry (after decoupler-2's ``MethodMeta``): one record per scoring method."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from .._errors import InputError

__all__ = ["ScoringMethod", "get_method", "methods", "show", "METHODS"]

# The methods' parameter defaults, defined once: the registry shows them, the methods' ``prepare`` and
# ``tc.tl.score`` take them from here.
MAX_RANK = 1500  # rank: UCell's maxRank
W_NEG = 1.0  # rank: weight of the down genes' U
CTRL_SIZE = 50  # module: control genes per expression bin (scanpy)
N_BINS = 25  # module: number of expression bins (scanpy)


@dataclass(frozen=True)
class ScoringMethod:
    """A scoring method: metadata plus its ``prepare`` and ``kernel``.

    ``prepare(sets, n_vars, stats=, **params) -> plan`` and the pure per-chunk ``kernel(csr_chunk, plan) -> ndarray``
    (cells x sets).
    """

    name: str
    description: str
    module: str
    reference: str
    doi: str
    peer: str
    cell_independent: bool
    needs_stats: bool
    nonnegative: bool
    expects: str
    limits: tuple
    params: dict = field(default_factory=dict)

    def _mod(self):
        return importlib.import_module(self.module, __package__)

    @property
    def prepare(self) -> Callable:
        return self._mod().prepare

    @property
    def kernel(self) -> Callable:
        return self._mod().kernel

    def meta(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "reference": self.reference,
            "doi": self.doi,
            "peer": self.peer,
            "cell_independent": self.cell_independent,
            "expects": self.expects,
            "limits": self.limits,
            "params": ", ".join(f"{k}={v!r}" for k, v in self.params.items()),
        }


METHODS: dict[str, ScoringMethod] = {
    m.name: m
    for m in (
        ScoringMethod(
            name="rank",
            description="UCell: Mann-Whitney U of the set's per-cell gene ranks (capped at max_rank)",
            module="._rank",
            reference="Andreatta M, Carmona SJ. UCell: Robust and scalable single-cell gene signature scoring. "
            "Comput Struct Biotechnol J 2021;19:3796-3798",
            doi="10.1016/j.csbj.2021.06.043",
            peer="pyucell.compute_ucell_scores (pyucell 0.8.0)",
            cell_independent=True,
            needs_stats=False,
            nonnegative=True,
            expects="non-negative expression (counts or log-normalised give the same ranks)",
            limits=(0.0, 1.0),
            params={"max_rank": MAX_RANK, "w_neg": W_NEG},
        ),
        ScoringMethod(
            name="module",
            description="Seurat/scanpy module score: set mean minus mean of expression-binned control genes",
            module="._module",
            reference="Tirosh I et al. Dissecting the multicellular ecosystem of metastatic melanoma by single-cell "
            "RNA-seq. Science 2016;352:189-196; Satija R et al. Nat Biotechnol 2015;33:495-502",
            doi="10.1126/science.aad0501",
            peer="scanpy.tl.score_genes (scanpy 1.11, ctrl_as_ref=True)",
            cell_independent=False,
            needs_stats=True,
            nonnegative=False,
            expects="log-normalised expression",
            limits=(float("-inf"), float("inf")),
            params={"ctrl_size": CTRL_SIZE, "n_bins": N_BINS, "random_state": 0},
        ),
        ScoringMethod(
            name="aucell",
            description="AUCell: area under the recovery curve of the set in the cell's gene ranking, up to n_up",
            module="._aucell",
            reference="Aibar S et al. SCENIC: single-cell regulatory network inference and clustering. "
            "Nat Methods 2017;14:1083-1086",
            doi="10.1038/nmeth.4463",
            peer="decoupler.mt.aucell (decoupler 2.2.0, empty=False)",
            cell_independent=True,
            needs_stats=False,
            nonnegative=True,
            expects="non-negative expression (counts or log-normalised give the same ranks)",
            limits=(0.0, 1.0),
            params={"n_up": "ceil(5% of genes)", "random_state": 0},
        ),
        ScoringMethod(
            name="mean",
            description="Mean over the set's genes of per-gene z-scores across cells",
            module="._mean",
            reference="Lee E et al. Inferring pathway activity toward precise disease classification. "
            "PLoS Comput Biol 2008;4:e1000217 (z-score combination)",
            doi="10.1371/journal.pcbi.1000217",
            peer="mean of scanpy.pp.scale(zero_center=True) columns",
            cell_independent=False,
            needs_stats=True,
            nonnegative=False,
            expects="log-normalised expression",
            limits=(float("-inf"), float("inf")),
            params={},
        ),
    )
}


def get_method(name: str) -> ScoringMethod:
    """The registered method called ``name`` (raises :class:`~tamclass._errors.InputError` otherwise)."""
    key = str(name).lower()
    if key not in METHODS:
        raise InputError(f"unknown scoring method {name!r}; choose one of {list(METHODS)} (see tc.scoring.methods())")
    return METHODS[key]


def methods() -> pd.DataFrame:
    """The scoring methods as a table (one row per method), like ``decoupler.mt.show()``.

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.scoring.methods()[["name", "peer", "cell_independent"]]
    """
    return pd.DataFrame([m.meta() for m in METHODS.values()])


show = methods
