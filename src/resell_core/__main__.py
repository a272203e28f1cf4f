"""The command line: ``python -m resell_core demo`` (also installed as ``resell-core``).

The demo replays months of a sample agency on the embedded portal (or on a SQL database
with ``--db``) and prints the overview, the invoices per month, the totals, the credit
balances, the commission statement and what happened (see docs/demo.md). Standard output
depends only on the arguments; progress and timing go to standard error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date

from resell_core import __version__
from resell_core.demo import DEFAULT_START, MAX_ACCOUNTS, MAX_MONTHS, render, run_demo
from resell_core.errors import (
    ConfigurationError,
    InvalidInput,
    ResellError,
    StorageUnavailable,
)
from resell_core.ports import Storage
from resell_core.service.billing import BillingProgress

__all__ = ["main"]

PROGRESS_FROM = 500
"""Long runs (this many generated accounts or more) show progress unless ``--quiet``."""

_USAGE_ERROR = 2
_DB_SCHEMES = ("sqlite:", "postgresql:", "postgresql+")


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"give {low} to {high:,}, not {value:,}")
        return value

    return parse


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: use YYYY-MM-DD") from None


def _db_url(text: str) -> str:
    if not text.startswith(_DB_SCHEMES):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a database URL: use sqlite:///agency.db or "
            "postgresql+psycopg://user@host/db"
        )
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resell-core", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="replay months of a sample agency (ACME-DIGITAL)",
        description="Replay months of a sample agency, ACME-DIGITAL, on the embedded portal "
        "(in-memory storage, simulated gateways, a manual clock) and print what happened.",
    )
    demo.add_argument(
        "--accounts",
        type=_whole(0, MAX_ACCOUNTS),
        default=0,
        metavar="N",
        help="add N generated accounts, drawn from --seed (default 0)",
    )
    demo.add_argument(
        "--months",
        type=_whole(1, MAX_MONTHS),
        default=12,
        metavar="M",
        help="how many months to replay (default 12)",
    )
    demo.add_argument(
        "--seed",
        type=_whole(0, 2**63 - 1),
        default=0,
        metavar="S",
        help="seed of the generated accounts and passwords (default 0)",
    )
    demo.add_argument(
        "--start",
        type=_day,
        default=DEFAULT_START,
        metavar="YYYY-MM-DD",
        help=f"the first replayed day (default {DEFAULT_START})",
    )
    demo.add_argument(
        "--db",
        type=_db_url,
        default=None,
        metavar="URL",
        help="keep the state in an empty SQL database (sqlite:///agency.db, "
        "postgresql+psycopg://...) instead of memory; needs the sql extra",
    )
    progress = demo.add_mutually_exclusive_group()
    progress.add_argument(
        "--quiet", action="store_true", help="no progress or timing on standard error"
    )
    progress.add_argument(
        "--progress",
        action="store_true",
        help=f"a progress line per month on standard error (on by default from "
        f"{PROGRESS_FROM} accounts)",
    )
    progress.add_argument(
        "--billing-progress",
        action="store_true",
        help="also a line per page each billing run bills, on standard error",
    )
    return parser


def _missing_extra() -> SystemExit:
    print(
        "resell-core demo: --db needs SQLAlchemy and the database's driver: pip install "
        "'resell-core[sql]' (or 'resell-core[postgres]' for PostgreSQL)",
        file=sys.stderr,
    )
    return SystemExit(_USAGE_ERROR)


def _open(url: str) -> Storage:
    """Open the SQL storage of ``--db``.

    Raises:
        SystemExit: SQLAlchemy or the URL's database driver is not installed.
        InvalidInput: The database cannot be opened (a bad URL, a server out of reach, a
            SQLite file in a folder that does not exist), with the driver's reason.
    """
    try:
        from resell_core.adapters.sql import SqlStorage  # noqa: PLC0415 - optional extra
    except ImportError:
        raise _missing_extra() from None
    try:
        return SqlStorage(url)
    except (ConfigurationError, StorageUnavailable) as error:
        cause = error.__cause__
        if isinstance(cause, ImportError):  # the URL's database driver (psycopg…)
            raise _missing_extra() from error
        # The storage's own error names the driver's reason; --db is what to correct.
        reason = str(cause).splitlines()[0] if cause is not None and str(cause) else error.code
        raise InvalidInput.one(
            "demo",
            "--db",
            f"cannot open the database ({reason}): check the URL, that the server is "
            "reachable and that the folder of a SQLite file exists",
        ) from error


def _demo(args: argparse.Namespace) -> int:
    show = not args.quiet and (
        args.progress or args.billing_progress or args.accounts >= PROGRESS_FROM
    )

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def billing_page(done: BillingProgress) -> None:
        progress(
            f"  billing until {done.until} · {done.stage} page {done.pages} · "
            f"{done.accounts_billed:,} accounts billed · {done.invoices_created:,} invoices · "
            f"{done.errors:,} errors"
        )

    began = time.perf_counter()
    storage = _open(args.db) if args.db else None
    result = run_demo(
        months=args.months,
        accounts=args.accounts,
        seed=args.seed,
        start=args.start,
        storage=storage,
        progress=progress if show else None,
        billing_progress=billing_page if args.billing_progress else None,
    )
    sys.stdout.write(render(result))
    if not args.quiet:
        progress(f"replayed in {time.perf_counter() - began:.2f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Args:
        argv: The arguments after the program's name (``sys.argv[1:]`` when None).

    Returns:
        0 when the command ran; 2 for bad arguments (argparse's convention), with a
        message on standard error.
    """
    args = _parser().parse_args(argv)
    try:
        return _demo(args)
    except ResellError as error:
        print(f"resell-core demo: {error}", file=sys.stderr)
        return _USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
