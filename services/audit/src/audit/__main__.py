"""`python -m audit [serve|migrate|verify]`."""

import sys

from audit.bootstrap import build
from audit.settings import Settings
from caseflow_common.cli import main as _main


def main(argv: list[str] | None = None) -> None:
    """Run `verify` here; `serve` and `migrate` are the shared service commands."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["verify"]:
        from audit.verify_cli import main as verify

        raise SystemExit(verify(args[1:]))
    _main(settings_factory=Settings, build=build, argv=args)


if __name__ == "__main__":
    main()
