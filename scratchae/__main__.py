"""``python -m scratchae`` runs the command-line interface (same as the ``scratchae`` command)."""

import sys

from .cli import main

sys.exit(main())
