"""Where the benchmarks find the real data: ../shared/data beside the checkout, or $TAMCLASS_SHARED_DATA
(the same rule as tests/conftest.py)."""

import os
import sys
from pathlib import Path

# the generated-data helpers (tests/_generators.py) are test code, not part of the package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

SHARED_DATA = Path(os.environ.get("TAMCLASS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
