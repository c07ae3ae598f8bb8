"""The messaging tests share a throwaway service (ledger_service.py), imported by its module name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
