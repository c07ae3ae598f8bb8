"""Security tests: the authorization matrix and the schemathesis run; their helpers (security_policy.py, the policy
table, and security_stack.py, the seeded stack) are importable from the tests of this folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
