"""`python -m intake [serve|migrate|republish|dlq-replay|redact-backfill]`."""

from caseflow_common.cli import ServiceCommand
from caseflow_common.cli import main as _main
from intake import backfill
from intake.bootstrap import build
from intake.settings import Settings

COMMANDS = {
    "redact-backfill": ServiceCommand(
        help="redact descriptions and visit comments stored as given (before migrations 0003/0004), "
        "mark whistleblower cases; idempotent",
        run=backfill.run,
        arguments=backfill.arguments,
    ),
}


def main(argv: list[str] | None = None) -> None:
    _main(settings_factory=Settings, build=build, argv=argv, commands=COMMANDS)


if __name__ == "__main__":
    main()
