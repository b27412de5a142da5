"""The bundled demo dataset (real cells, shipped in the wheel; nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anndata import AnnData

_DATA = Path(__file__).resolve().parent / "data"
DEMO_PATH = _DATA / "demo.h5ad"


def demo_path() -> Path:
    """Path of the bundled ``demo.h5ad`` (read-only; do not write to it)."""
    return DEMO_PATH


def demo() -> AnnData:
    """559 real myeloid-rich human immune cells, bundled with tamclass.

    A fresh :class:`~anndata.AnnData` is read from the package on every call, so changing it never
    affects later calls.

    Provenance: the sample matrix shipped in the MIT-licensed CellTypist wheel
    (``celltypist/data/samples/sample_cell_by_gene.csv``; Copyright (c) 2020 Teichmann Lab;
    https://github.com/Teichlab/celltypist). CellTypist: Domínguez Conde C, et al. Cross-tissue immune
    cell analysis reveals tissue-specific features in humans. *Science* 2022;376:eabl5197,
    doi:10.1126/science.abl5197. Built reproducibly by ``scripts/make_demo_data.py``; see
    ``tamclass/datasets/data/DATASETS.md`` (shipped in the wheel) and ``adata.uns["tamclass_demo"]``.

    Returns
    -------
    AnnData
        559 cells × 9,810 genes (genes detected in at least one cell), human gene symbols as
        ``var_names``:

        - ``X``: log1p(counts per 10,000), CSR float32;
        - ``layers["counts"]``: raw UMI counts, CSR float32 holding exact integers;
        - ``obs["sample"]``: an **illustrative** split into ``demo_1``/``demo_2``/``demo_3`` (three
          equal consecutive blocks in file order; the source has no sample labels, so this is not
          biology — it only lets per-sample summaries run);
        - ``obs["leiden"]``, ``obsm["X_umap"]``: clusters and embedding computed by the build script;
        - ``obs["n_counts"]``, ``obs["n_genes"]``, ``var["n_cells"]``;
        - ``uns["tamclass_demo"]``: citation, licence and notes.

    Examples
    --------
    >>> import tamclass as tc
    >>> adata = tc.datasets.demo()
    >>> adata.shape
    (559, 9810)
    >>> tc.tl.score(adata)  # writes adata.obsm["tamclass_scores"]  # doctest: +SKIP
    """
    import anndata as ad

    from .._errors import TamclassIOError

    if not DEMO_PATH.is_file():
        raise TamclassIOError(
            f"the bundled demo dataset is missing ({DEMO_PATH}); reinstall tamclass "
            "(`pip install --force-reinstall tamclass`) or rebuild it with scripts/make_demo_data.py"
        )
    return ad.read_h5ad(DEMO_PATH)
