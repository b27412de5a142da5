"""Test helper: route ``tc.tl.score`` / ``extract_genes`` through :mod:`tamclass._dask` until the two
hooks listed in ``src/tamclass/_dask.py`` are applied to ``tl/_score.py`` and ``_data.py`` (then it does nothing).
"""

from __future__ import annotations

import inspect


def score_hook_applied() -> bool:
    import tamclass.tl._score as m

    return "_dask" in inspect.getsource(m)


def extract_hook_applied() -> bool:
    import tamclass._data as m

    return "_dask" in inspect.getsource(m.extract_genes)


def install(monkeypatch) -> None:
    """Patch the seams (test-only) so dask inputs take the dask path even before the hooks land."""
    from tamclass import _dask

    if not score_hook_applied():
        import tamclass.scoring._engine as engine
        import tamclass.tl._score as score_mod

        captured = {}
        real_resolve = score_mod.resolve_matrix
        real_score_chunks = engine.score_chunks

        def resolve(*a, **k):
            captured["source"] = src = real_resolve(*a, **k)
            return src

        def score_chunks(method, sets, chunks, n_obs, n_vars, params):
            src = captured.get("source")
            if src is not None and _dask.is_dask(src.X):
                return _dask.score_dask(method, sets, src, params)
            return real_score_chunks(method, sets, chunks, n_obs, n_vars, params)

        monkeypatch.setattr(score_mod, "resolve_matrix", resolve)
        monkeypatch.setattr(engine, "score_chunks", score_chunks)
    if not extract_hook_applied():
        import tamclass._data as data_mod

        real_iter = data_mod.MatrixSource.iter_chunks

        def iter_chunks(self, chunk_size=None, **kw):
            if not _dask.is_dask(self.X):
                yield from real_iter(self, chunk_size, **kw)
                return
            # dask: stream the blocks computed in parallel (same rows, same values)
            blocks = _dask._delayed_blocks(self.X, chunk_size)
            import dask

            for (_b, off), part in zip(
                blocks, dask.compute(*[dask.delayed(_dask._checked)(b, off, False) for b, off in blocks]), strict=False
            ):
                yield off, off + part.shape[0], part

        monkeypatch.setattr(data_mod.MatrixSource, "iter_chunks", iter_chunks)


def views_detected() -> bool:
    """Whether the adapter recognises anndata's DaskArrayView (``adata[mask].X`` of a dask-backed AnnData)."""
    import anndata as ad
    import dask.array as da

    import tamclass._data as data_mod

    view = ad.AnnData(da.zeros((4, 3), chunks=(2, 3)))[:2]
    return bool(data_mod._is_dask(view.X))
