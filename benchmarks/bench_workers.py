"""Several billing workers on one agency: 1, 2 and 4 processes on one PostgreSQL database.

One agency (``agency-acme``) with N monthly accounts due on the same day, all paid by its
one card, whose prepaid pool is shared by every invoice. Each worker is a process of its
own (``python -m benchmarks.bench_workers --worker ...``) running
``PartnerPortal.run_billing``; the clock starts once every worker is wired and waiting,
and stops when the last one is done. Two settings:

- **latency**: the pool pays the first tenth of the invoices, the card the rest, through
  a simulated gateway that sleeps a fixed time a charge (as a real gateway's round trip
  would): the gateway's latency dominates, and workers should overlap it (goal: 2
  workers at least 1.7x one);
- **cpu**: the pool pays every invoice, no card is charged: the work is the run's own
  (and the database's), where workers of one agency share its invoice counter and pool
  (goal: 2 workers never slower than one, 1.0x).

Each row is the median of ``repeat`` rounds (1, 2 and 4 workers in turn, each on a freshly
seeded schema), the ratio paired within a round; the spread column shows the lowest and
highest ratio. After each run the benchmark checks the database: errors the workers
reported, accounts still due ("unbilled"), whether the agency's invoice numbers run
1..N without a gap or a repeat, and that the pool ends at zero.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import create_engine, insert, text

from benchmarks.common import ACME, PROFILE, UNTIL, account_number, seed_sql
from resell_core.adapters.clock import ManualClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import UuidIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import SeededSecrets
from resell_core.adapters.sql import SqlStorage, schema
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url
from resell_core.billing.gateway import ChargeRequest, ChargeResult
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement, profile_wallet
from resell_core.serialization import to_json
from resell_core.service.context import Policies
from resell_core.service.portal import PartnerPortal
from resell_core.testing.contracts.samples import an_account

__all__ = ["LATENCY_MS", "WORKERS", "Row", "print_rows", "run"]

WORKERS = (1, 2, 4)
LATENCY_MS = 3.0
"""The simulated gateway's time a charge in the latency setting."""
PRICE = Decimal("96.00")
"""What each account's period costs (the catalog's plus 2,500 at the agency's 20 %)."""

_ROOT = Path(__file__).resolve().parent.parent
_TIMEOUT = 1800.0
_SETTINGS = {
    # setting: (share of the invoices the pool pays, gateway milliseconds a charge)
    "latency": (Decimal("0.1"), LATENCY_MS),
    "cpu": (Decimal(1), 0.0),
}
_GOALS = {"latency": 1.7, "cpu": 1.0}
"""The least ratio to one worker that 2 workers must reach."""


# -- a worker process ----------------------------------------------------------------------


class SlowGateway(SimulatedGateway):
    """The simulated gateway, answering each charge after a fixed sleep (a round trip)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.waited = 0.0

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Wait the round trip, then charge as the simulated gateway does."""
        if self.seconds:
            start = time.perf_counter()
            time.sleep(self.seconds)
            self.waited += time.perf_counter() - start
        return super().charge(request)


def _worker(url: str, schema_name: str, latency_ms: float) -> None:
    """Wire a portal on the schema, say ``ready``, wait for a line on stdin, bill, and
    print the report's figures as one JSON line."""
    options = f"-csearch_path={schema_name} -csynchronous_commit=off"
    engine = create_engine(url, connect_args={"options": options})
    secrets = SeededSecrets(0)
    gateway = SlowGateway(latency_ms / 1000)
    portal = PartnerPortal(
        storage=SqlStorage(engine, create=False),
        gateway=gateway,
        payouts=SimulatedPayoutGateway(),
        notifier=RecordingNotifier(),
        provisioner=SimulatedProvisioner(),
        clock=ManualClock(datetime(UNTIL.year, UNTIL.month, UNTIL.day, 9, tzinfo=UTC)),
        ids=UuidIds(),  # ids unique across processes (docs/scaling.md)
        secrets=secrets,
        sso_secret=secrets.token_bytes(32),
        policies=Policies.embedded(),
    )
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    report = portal.run_billing(UNTIL)
    figures = {
        "created": report.invoices_created,
        "charges": len(gateway.charges),
        "waited": gateway.waited,
        "errors": [f"[{e.code}] {e.message}" for e in report.errors],
    }
    sys.stdout.write(json.dumps(figures) + "\n")


# -- the scenario --------------------------------------------------------------------------


def _seed(storage: SqlStorage, n: int, pool: Decimal) -> None:
    """The agency, its card with ``pool`` of prepaid credit, N accounts due (raw rows)."""
    seed_sql(storage, 0)
    account = attrs.evolve(an_account(), billing_profile_id=PROFILE)
    template = to_json(account)
    with storage.engine.begin() as connection:
        for start in range(0, n, 10_000):
            rows = []
            for i in range(start, min(n, start + 10_000)):
                one = attrs.evolve(an_account(account_number(i), name=f"shop-{i:07d}"))
                row = schema.account_columns(attrs.evolve(one, billing_profile_id=PROFILE))
                row["data"] = template.replace('"account-north"', f'"{one.id}"').replace(
                    '"north-bakery"', f'"{one.name}"'
                )
                rows.append(row)
            connection.execute(insert(schema.accounts), rows)
    if pool:
        bought = Movement(
            "seed/pool",
            ACME,
            CreditKind.PREPAID,
            pool,
            OUTSIDE,
            profile_wallet(PROFILE),
            UNTIL - timedelta(days=29),
            "prepaid credit bought for the pool",
        )
        with storage.unit_of_work() as uow:
            uow.ledger.append(bought)
            uow.commit()
    with storage.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def _checked(storage: SqlStorage, n: int) -> dict[str, Any]:
    """What the run left: accounts still due, invoices, gapless numbers, the pool."""
    before = UNTIL + timedelta(days=1)
    with storage.engine.connect() as connection:
        unbilled = connection.execute(
            text("SELECT count(*) FROM accounts WHERE next_billing_on < :d"), {"d": before}
        ).scalar_one()
        count, distinct, low, high, accounts = connection.execute(
            text(
                "SELECT count(*), count(DISTINCT number), min(number), max(number), "
                "count(DISTINCT account_id) FROM invoices WHERE agency_id = :a"
            ),
            {"a": ACME},
        ).one()
    with storage.unit_of_work() as uow:
        counter = uow.agencies.get(ACME).next_invoice_number
        pool = uow.ledger.balance(ACME, profile_wallet(PROFILE), CreditKind.PREPAID)
    gapless = (
        count == distinct == high == counter - 1 and (low == 1 or count == 0) and accounts == count
    )
    return {"unbilled": int(unbilled), "invoices": int(count), "gapless": gapless, "pool": pool}


def _one_run(url: str, n: int, setting: str, workers: int) -> dict[str, Any]:
    """Seed a fresh schema, bill it with ``workers`` processes; return the figures."""
    share, latency_ms = _SETTINGS[setting]
    scratch = ScratchSchema(url)
    try:
        storage = scratch.storage()
        _seed(storage, n, (PRICE * n * share).quantize(Decimal("0.01")))
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench_workers",
            "--worker",
            f"--url={url}",
            f"--schema={scratch.name}",
            f"--latency-ms={latency_ms}",
        ]
        processes = [
            subprocess.Popen(
                command,
                cwd=_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            if line.strip() != "ready":
                raise AssertionError(f"a worker did not start: {line!r}")
        start = time.perf_counter()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=_TIMEOUT)[0] for process in processes]
        seconds = time.perf_counter() - start
        if any(process.returncode for process in processes):
            raise AssertionError(f"a worker failed: {outputs}")
        reports = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
        figures = _checked(storage, n)
        storage.dispose()
    finally:
        scratch.drop()
    errors = [e for report in reports for e in report["errors"]]
    return {
        **figures,
        "seconds": seconds,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "charges": sum(report["charges"] for report in reports),
        # The share of the workers' time spent waiting for the gateway.
        "gateway": sum(report["waited"] for report in reports) / (seconds * workers),
    }


@attrs.frozen
class Row:
    """One printed line: a setting at a number of workers, medians of the rounds.

    Attributes:
        setting: ``"latency"`` or ``"cpu"``.
        workers: How many worker processes.
        n: Accounts billed.
        rate: Accounts a second (median).
        ratio: Rate against one worker's in the same round (median).
        spread: The lowest and highest of those ratios.
        errors: Errors the workers reported, worst round.
        unbilled: Accounts left due at the end, worst round.
        gapless: Whether every round's invoice numbers ran 1..N, each account once.
        gateway: The share of the workers' time spent waiting for the gateway (median).
        goal: The least ratio to reach, or None (shown for information).
        first_error: One error message, if any.
    """

    setting: str
    workers: int
    n: int
    rate: float
    ratio: float
    spread: tuple[float, float]
    errors: int
    unbilled: int
    gapless: bool
    gateway: float
    goal: float | None
    first_error: str = ""

    @property
    def verdict(self) -> str:
        """``meets`` / ``misses`` (the ratio, no error, nothing unbilled, gapless), or
        ``-`` without a goal."""
        if self.goal is None:
            return "-"
        clean = self.errors == 0 and self.unbilled == 0 and self.gapless
        return "meets" if clean and self.ratio >= self.goal else "misses"


def run(
    n: int,
    *,
    repeat: int = 3,
    settings: tuple[str, ...] = ("latency", "cpu"),
    counts: tuple[int, ...] = WORKERS,
) -> list[Row]:
    """Bill N accounts of one agency with 1, 2 and 4 workers (``counts``, one first) per
    setting; [] without PostgreSQL."""
    url = postgres_url()
    if url is None:
        return []
    rows: list[Row] = []
    for setting in settings:
        runs: dict[int, list[dict[str, Any]]] = {w: [] for w in counts}
        for _ in range(repeat):
            for workers in counts:
                runs[workers].append(_one_run(url, n, setting, workers))
        for workers in counts:
            mine = runs[workers]
            ratios = [
                runs[1][i]["seconds"] / mine[i]["seconds"] for i in range(repeat)
            ]  # paired within a round
            rows.append(
                Row(
                    setting,
                    workers,
                    n,
                    statistics.median(n / r["seconds"] for r in mine),
                    statistics.median(ratios),
                    (min(ratios), max(ratios)),
                    max(r["errors"] for r in mine),
                    max(r["unbilled"] for r in mine),
                    all(r["gapless"] and r["pool"] == 0 for r in mine),
                    statistics.median(r["gateway"] for r in mine),
                    _GOALS[setting] if workers == 2 else None,
                    next((r["first_error"] for r in mine if r["first_error"]), ""),
                )
            )
    return rows


def print_rows(rows: list[Row]) -> None:
    """Print the rows as a table (a note when PostgreSQL is not configured)."""
    latency = _SETTINGS["latency"][1]
    print(
        f"\nWorkers on one agency (PostgreSQL; latency: {latency:g} ms a charge, the pool pays "
        "a tenth; cpu: the pool pays all, no gateway)"
    )
    if not rows:
        print("  skipped: set RESELL_CORE_POSTGRES_URL")
        return
    print(
        f"  {'setting':<8} {'workers':>7} {'N':>7} {'accounts/s':>11} {'vs 1':>6} "
        f"{'spread':<11} {'errors':>6} {'unbilled':>8} {'gapless':>7} {'gateway':>7}  goal"
    )
    for r in rows:
        goal = "-" if r.goal is None else f">={r.goal:g}x {r.verdict}"
        spread = f"{r.spread[0]:.2f}-{r.spread[1]:.2f}x"
        print(
            f"  {r.setting:<8} {r.workers:>7} {r.n:>7} {r.rate:>11,.0f} {r.ratio:>5.2f}x "
            f"{spread:<11} {r.errors:>6} {r.unbilled:>8} {'yes' if r.gapless else 'NO':>7} "
            f"{r.gateway:>7.0%}  {goal}"
        )
        if r.first_error:
            print(f"           e.g. {r.first_error[:100]}")


def main(argv: list[str] | None = None) -> None:
    """A worker process (``--worker``), or the benchmark on its own."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--url")
    parser.add_argument("--schema")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--setting", action="append", choices=tuple(_SETTINGS))
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.url, args.schema, args.latency_ms)
        return
    settings = tuple(args.setting or _SETTINGS)
    print_rows(run(args.size, repeat=args.repeat, settings=settings))


if __name__ == "__main__":
    main()
