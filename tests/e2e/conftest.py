"""End-to-end tests; their shared helpers (e2e_support.py) are importable from the tests of this folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
