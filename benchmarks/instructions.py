"""The billing run's instructions an account, counted by callgrind: a figure that does not
move with the machine's load.

Usage, from the repository root (valgrind installed)::

    python benchmarks/instructions.py               # 500 and 1,500 accounts
    python benchmarks/instructions.py --keep DIR    # keep callgrind's files in DIR

It seeds two SQLite databases of N and M accounts (``common.seed_sql``, outside any count),
then runs, under ``valgrind --tool=callgrind`` with ``PYTHONHASHSEED=0``, a process that
bills each through the service as ``bench_billing.service_run`` does (after its 50-account
warm-up on a database of its own), and prints (total at M - total at N) / (M - N): what
an account costs, start-up and warm-up cancelled. Two runs of the same tree differ by
about 1,500 instructions an account (the collector's timing); a change within that is
noise. ``callgrind_annotate`` on the kept files shows where the instructions go.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_billing import service_run
from benchmarks.common import seed_sql
from resell_core.adapters.sql import SqlStorage

_SIZES = (500, 1500)
_WARM_UP = 50  # accounts, as bench_billing warms each side up


def _each_database(folder: Path, n: int, step: str) -> None:
    """Seed, or bill, the warm-up database and the one of ``n`` accounts in ``folder``."""
    for name, size in (("warm.db", _WARM_UP), ("bench.db", n)):
        storage = SqlStorage(f"sqlite:///{folder / name}")
        try:
            if step == "seed":
                seed_sql(storage, size)
            else:
                service_run(storage, size)
        finally:
            storage.dispose()


def _counted(folder: Path, n: int, out: Path) -> int:
    """Bill ``folder``'s databases under callgrind; return the instructions it counted."""
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        __file__,
        "--bill",
        str(folder),
        str(n),
    ]
    subprocess.run(command, check=True, env=environment, stderr=subprocess.DEVNULL)
    totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    assert totals is not None, f"no total in {out}"
    return int(totals.group(1))


def main() -> None:
    """Print the billing run's instructions an account (or bill, for the counted process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="a folder to keep callgrind's files in")
    parser.add_argument("--bill", nargs=2, metavar=("FOLDER", "N"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bill:
        _each_database(Path(options.bill[0]), int(options.bill[1]), "bill")
        return
    with tempfile.TemporaryDirectory() as scratch:
        kept = options.keep or Path(scratch)
        kept.mkdir(parents=True, exist_ok=True)
        totals = []
        for n in _SIZES:
            folder = Path(scratch) / f"db{n}"
            folder.mkdir()
            _each_database(folder, n, "seed")
            totals.append(_counted(folder, n, kept / f"callgrind.{n}.out"))
    small, large = _SIZES
    each = (totals[1] - totals[0]) / (large - small)
    print(f"instructions: {totals[0]:,} at {small}, {totals[1]:,} at {large}")
    print(f"billing run (SQLite service run): {each:,.0f} instructions an account")


if __name__ == "__main__":
    main()
