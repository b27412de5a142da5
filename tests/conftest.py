"""Shared fixtures. Real data lives in ../shared/data (beside the checkout), never in the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TAMCLASS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def shared_path(relative: str) -> Path:
    """Path of a file in ../shared/data, or skip the test with a clear reason if it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(
            f"real-data file {relative!r} not found under {SHARED_DATA} "
            "(a fresh clone has no ../shared/data; set TAMCLASS_SHARED_DATA to its location to run this test)"
        )
    return path


@pytest.fixture
def shared_data():
    """Callable fixture: ``shared_data('singlecell/pbmc3k_lognorm.h5ad')`` -> Path or skip."""
    return shared_path


@pytest.fixture(scope="session")
def pbmc68k():
    """scanpy's pbmc68k_reduced (ships inside the scanpy wheel; no download)."""
    import scanpy as sc

    return sc.datasets.pbmc68k_reduced()
