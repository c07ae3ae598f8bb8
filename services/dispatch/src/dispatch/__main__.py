"""`python -m dispatch [serve|migrate]`."""

from caseflow_common.cli import main as _main
from dispatch.bootstrap import build
from dispatch.settings import Settings


def main() -> None:
    _main(settings_factory=Settings, build=build)


if __name__ == "__main__":
    main()
