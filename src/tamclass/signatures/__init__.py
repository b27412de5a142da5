"""The curated, cited, versioned TAM / macrophage signature library.

>>> import tamclass as tc
>>> tc.signatures.available()  # DataFrame: one row per set
>>> sigs = tc.signatures.load("default")
>>> print(tc.signatures.show("Cheng2021_M1"))
"""

from ._export import write_gmt
from ._genes import alias_table, aliases_of, current_symbol, gene_symbols, human_to_mouse, match_genes, ortholog_table
from ._gmt import read_gmt, split_signed
from ._library import (
    CATEGORIES,
    LIBRARY_VERSION,
    available,
    citations,
    curation_log,
    library_path,
    load,
    show,
)
from ._resolve import from_net, resolve, to_net
from ._signature import Signature

__all__ = [
    "CATEGORIES",
    "LIBRARY_VERSION",
    "Signature",
    "alias_table",
    "aliases_of",
    "available",
    "citations",
    "current_symbol",
    "from_net",
    "curation_log",
    "gene_symbols",
    "human_to_mouse",
    "library_path",
    "load",
    "match_genes",
    "ortholog_table",
    "read_gmt",
    "resolve",
    "show",
    "split_signed",
    "to_net",
    "write_gmt",
]
