"""The command line: ``python -m resell_core demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = argparse.ArgumentParser(prog="resell-core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="replay a year of a sample agency")
    parser.parse_args(argv)
    from resell_core.pricing.catalog import Catalog  # noqa: PLC0415 - keep start-up light

    print(Catalog.sample())
    return 0


if __name__ == "__main__":
    sys.exit(main())
