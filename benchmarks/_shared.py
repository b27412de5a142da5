"""Where the benchmarks find the real data: ../shared/data beside the checkout, or $TAMCLASS_SHARED_DATA
(the same rule as tests/conftest.py)."""

import os
from pathlib import Path

SHARED_DATA = Path(os.environ.get("TAMCLASS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
