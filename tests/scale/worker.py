"""One billing worker: a process that runs the billing run against a shared database.

Run as ``python -m scale.worker --url URL --schema NAME --until 2024-04-01 --name w1``
(with ``tests`` on the path). It wires a portal on the PostgreSQL schema and the shared
:class:`~scale.sql_gateway.SqlGateway`, runs ``portal.run_billing(until)`` and prints
one JSON line with its report's figures. With ``--stall-after N`` it charges N cards,
then stalls right after the gateway made its Nth charge and before the result is
recorded, printing ``stalled <key>``: the test kills it there, as a machine dies. With
``--stall-in-commit N`` it stalls in the Nth commit that stores invoices, once every
write of it was sent and before its COMMIT (the page's invoice numbers taken, the
agency locked), printing ``stalled commit``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, create_engine

import resell_core as rc
from resell_core.adapters.clock import ManualClock
from resell_core.adapters.ids import UuidIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import OsSecrets
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.unit_of_work import SqlUnitOfWork
from resell_core.billing.gateway import ChargeRequest, ChargeResult
from resell_core.errors import ResellError
from resell_core.service import billing

from .sql_gateway import SqlGateway

_FOREVER = 3600.0


class StallingGateway(SqlGateway):
    """The shared gateway, but the process hangs after its Nth charge reached the gateway."""

    def __init__(self, engine: Engine, *, worker: str, stall_after: int) -> None:
        super().__init__(engine, worker=worker)
        self.left = stall_after

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge; on the Nth charge, say so and hang before answering."""
        result = super().charge(request)
        self.left -= 1
        if self.left == 0:
            sys.stdout.write(f"stalled {request.idempotency_key}\n")
            sys.stdout.flush()
            time.sleep(_FOREVER)
        return result


def stall_in_commit(nth: int) -> None:
    """Make the Nth commit that stores invoices hang once its writes were sent, before
    its COMMIT (so that the process can be killed there)."""
    real = SqlUnitOfWork._write
    left = [nth]

    def writing(uow: SqlUnitOfWork, connection: Any, *, batched: bool) -> None:
        storing = bool(uow._invoices.changes)
        real(uow, connection, batched=batched)
        if storing:
            left[0] -= 1
            if left[0] == 0:
                sys.stdout.write("stalled commit\n")
                sys.stdout.flush()
                time.sleep(_FOREVER)

    SqlUnitOfWork._write = writing  # type: ignore[method-assign,assignment]


def count_refused_pages() -> list[int]:
    """Count the pages whose unit of work was refused (by a race lost, most often), which
    the run then runs again or bills account by account; returns the one-item counter."""
    refused = [0]
    real = billing._store_page

    def storing(*args: Any, **kwargs: Any) -> Any:
        try:
            return real(*args, **kwargs)
        except ResellError:
            refused[0] += 1
            raise

    billing._store_page = storing
    return refused


def portal_for(url: str, schema: str, until: date, name: str, stall_after: int) -> rc.PartnerPortal:
    """Wire a worker's portal on the schema, with the shared gateway."""
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    gateway = (
        StallingGateway(engine, worker=name, stall_after=stall_after)
        if stall_after
        else SqlGateway(engine, worker=name)
    )
    return rc.PartnerPortal(
        storage=SqlStorage(engine, create=False),
        gateway=gateway,
        payouts=SimulatedPayoutGateway(),
        notifier=RecordingNotifier(),
        provisioner=SimulatedProvisioner(),
        clock=ManualClock(datetime.combine(until, datetime.min.time(), UTC)),
        ids=UuidIds(),
        secrets=OsSecrets(),
        sso_secret=b"scale-workers-share-this-32-byte-key!",
        policies=rc.Policies.embedded(),
    )


def main(argv: list[str] | None = None) -> None:
    """Run the billing run once and print its figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--until", required=True, type=date.fromisoformat)
    parser.add_argument("--name", required=True)
    parser.add_argument("--stall-after", type=int, default=0)
    parser.add_argument("--stall-in-commit", type=int, default=0)
    args = parser.parse_args(argv)
    if args.stall_in_commit:
        stall_in_commit(args.stall_in_commit)
    refused = count_refused_pages()
    portal = portal_for(args.url, args.schema, args.until, args.name, args.stall_after)
    report = portal.run_billing(args.until)
    figures = {
        "worker": args.name,
        "created": report.invoices_created,
        "paid": report.invoices_paid,
        "pending": report.invoices_pending,
        "refused_pages": refused[0],
        "errors": [f"{e.subject}: [{e.code}] {e.message}" for e in report.errors],
    }
    sys.stdout.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
