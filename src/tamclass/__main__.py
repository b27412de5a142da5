"""``python -m tamclass`` runs the ``tamclass`` command line (see :mod:`tamclass.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
