"""`python -m intake [serve|migrate]`."""

from caseflow_common.cli import main as _main
from intake.bootstrap import build
from intake.settings import Settings


def main() -> None:
    _main(settings_factory=Settings, build=build)


if __name__ == "__main__":
    main()
