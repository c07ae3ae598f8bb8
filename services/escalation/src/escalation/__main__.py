"""`python -m escalation [serve|migrate]`."""

from caseflow_common.cli import main as _main
from escalation.bootstrap import build
from escalation.settings import Settings


def main() -> None:
    _main(settings_factory=Settings, build=build)


if __name__ == "__main__":
    main()
