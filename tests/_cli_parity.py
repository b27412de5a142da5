"""Shared by test_cli.py and test_galaxy_wrapper.py: small real inputs that need each data option, the Python API
run a user would type for a given set of ``tamclass score`` options, and a comparison of two results.

The inputs all come from the bundled demo (559 real cells, CellTypist sample data):

- ``human.h5ad``   the demo as shipped (X = log1p(CP10k), layers["counts"], obs sample / leiden);
- ``mouse.h5ad``   the demo's genes renamed to mouse symbols with the shipped human-mouse ortholog table
  (one-to-one orthologues only; other genes dropped), for ``--species mouse``;
- ``ensembl.h5ad`` var_names = Ensembl gene ids from the shipped symbol table, symbols in var["symbol"], for
  ``--gene-symbols``;
- ``scaled.h5ad``  X = z-scored log expression (negative values, as after ``sc.pp.scale``), raw counts in
  layers["counts"] and the log-normalised matrix in ``.raw``, for ``--layer`` and ``--use-raw``.
"""

from __future__ import annotations

import gzip
import io
import math
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

import tamclass as tc
from tamclass.datasets._demo import DEMO_PATH

REPO = Path(__file__).resolve().parents[1]


def _volatile(key: str) -> bool:
    """uns entries that may differ between two identical runs: the command line the CLI records, wall-clock
    timings and time stamps."""
    key = str(key).lower()
    return key == "cli" or any(w in key for w in ("timing", "elapsed", "timestamp", "wall_s", "date"))


def make_inputs(directory: Path) -> dict[str, Path]:
    """Write the four inputs into ``directory``; returns name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    demo = ad.read_h5ad(DEMO_PATH)
    out = {"human": directory / "human.h5ad"}
    demo.write_h5ad(out["human"])

    table = tc.signatures.ortholog_table()
    one2one = table[(table["mapping"] == "biomart_one2one") & ~table["mouse_genes"].str.contains(",", na=True)]
    to_mouse = dict(zip(one2one["human_gene"], one2one["mouse_genes"], strict=False))
    # library genes by the table; the other genes (background of the per-cell ranks) by the usual case rule
    names = pd.Series([to_mouse.get(g, g[:1] + g[1:].lower()) for g in demo.var_names])
    keep = ~names.duplicated(keep=False).to_numpy() & (
        ~demo.var_names.isin(table["human_gene"]) | demo.var_names.isin(list(to_mouse))
    )
    mouse = demo[:, keep].copy()
    mouse.var_names = names[keep].to_list()
    assert mouse.var_names.is_unique and mouse.n_vars > 0.9 * demo.n_vars
    out["mouse"] = directory / "mouse.h5ad"
    mouse.write_h5ad(out["mouse"])

    from tamclass.signatures._genes import _library_file

    raw = gzip.decompress(_library_file("genes", "human_symbols.tsv.gz").read_bytes())
    ids = pd.read_csv(io.BytesIO(raw), sep="\t").dropna()
    ids = ids[~ids["symbol"].duplicated(keep=False) & ~ids["ensembl_gene_id"].duplicated(keep=False)]
    to_id = dict(zip(ids["symbol"], ids["ensembl_gene_id"], strict=False))
    keep = [g for g in demo.var_names if g in to_id]
    ens = demo[:, keep].copy()
    ens.var["symbol"] = list(keep)
    ens.var_names = [to_id[g] for g in keep]
    assert ens.var_names.is_unique and ens.n_vars > 0.8 * demo.n_vars
    out["ensembl"] = directory / "ensembl.h5ad"
    ens.write_h5ad(out["ensembl"])

    scaled = demo.copy()
    scaled.raw = demo.copy()
    x = demo.X.toarray().astype(np.float64)
    sd = x.std(axis=0)
    scaled.X = ((x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)).astype(np.float32)
    assert (scaled.X < 0).any() and sp.issparse(scaled.layers["counts"])
    out["scaled"] = directory / "scaled.h5ad"
    scaled.write_h5ad(out["scaled"])
    return out


def api_run(
    src,
    *,
    signatures="default",
    method="rank",
    layer=None,
    use_raw=None,
    gene_symbols=None,
    species="human",
    groupby=None,
    sample_key=None,
    model=None,
    classify=True,
    device="auto",
    seed=0,
    key_added="tamclass",
    backed=False,
):
    """What a user types in Python for ``tamclass score`` with these options (README, quick start 1)."""
    adata = ad.read_h5ad(src, backed="r" if backed else None)
    data = {"layer": layer, "use_raw": use_raw, "gene_symbols": gene_symbols, "species": species}
    tc.tl.score(adata, signatures, method=method, key_added=key_added, random_state=seed, **data)
    tc.tl.gate(adata, groupby=groupby, key_added=key_added, random_state=seed, **data)
    if classify or model is not None:
        tc.tl.classify(adata, model, device=device, groupby=groupby, key_added=key_added, random_state=seed, **data)
    if sample_key is not None:
        tc.tl.summarize(adata, sample_key, key_added=key_added)
    return adata


def roundtrip(adata, path: Path):
    """The AnnData as it reads back from an .h5ad (what the CLI's output goes through)."""
    if adata.isbacked:
        adata = adata.to_memory()
    adata.write_h5ad(path)
    return ad.read_h5ad(path)


def _close(a, b, where: str) -> None:
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        assert isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame), where
        assert list(a.columns) == list(b.columns) and list(a.index) == list(b.index), where
        for col in a.columns:
            _close(a[col], b[col], f"{where}[{col!r}]")
        return
    if isinstance(a, pd.Series):
        a, b = a.to_numpy(), b.to_numpy()
    if isinstance(a, dict):
        assert isinstance(b, dict), where
        ka, kb = {k for k in a if not _volatile(k)}, {k for k in b if not _volatile(k)}
        assert ka == kb, f"{where}: keys only in CLI {sorted(ka - kb)}, only in API {sorted(kb - ka)}"
        for k in sorted(ka):
            _close(a[k], b[k], f"{where}/{k}")
        return
    if sp.issparse(a):
        a, b = a.toarray(), b.toarray()
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.dtype.kind in "fc" or b_arr.dtype.kind in "fc":
        assert a_arr.shape == b_arr.shape, where
        np.testing.assert_allclose(
            a_arr.astype(float), b_arr.astype(float), rtol=1e-6, atol=1e-9, equal_nan=True, err_msg=where
        )
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return
    else:
        assert a_arr.shape == b_arr.shape and (a_arr.astype(str) == b_arr.astype(str)).all(), (
            f"{where}: {str(a)[:200]} != {str(b)[:200]}"
        )


def assert_same_result(cli, api, key_added: str = "tamclass") -> None:
    """obs, obsm and uns of the CLI's output equal the API's (the CLI's recorded command line aside)."""
    assert list(cli.obs_names) == list(api.obs_names) and list(cli.var_names) == list(api.var_names)
    assert list(cli.obs.columns) == list(api.obs.columns)
    for col in api.obs.columns:
        _close(
            cli.obs[col].astype(object) if cli.obs[col].dtype.name == "category" else cli.obs[col],
            api.obs[col].astype(object) if api.obs[col].dtype.name == "category" else api.obs[col],
            f"obs[{col!r}]",
        )
    assert set(cli.obsm) == set(api.obsm)
    for key in api.obsm:
        _close(cli.obsm[key], api.obsm[key], f"obsm[{key!r}]")
    assert set(cli.uns) == set(api.uns)
    _close(dict(cli.uns), dict(api.uns), "uns")
    assert f"{key_added}_scores" in cli.obsm


def make_all_inputs(directory: Path) -> dict[str, Path]:
    """:func:`make_inputs` plus ``MODEL``: a small model trained on the demo's clusters through the API."""
    paths = make_inputs(directory)
    model = tc.tl.train(ad.read_h5ad(paths["human"]), "leiden", epochs=5, random_state=0)
    paths["MODEL"] = directory / "leiden.tcmodel"
    model.save(paths["MODEL"])
    return paths
