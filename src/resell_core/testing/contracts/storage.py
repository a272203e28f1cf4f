# ruff: noqa: N802 - test names carry rule ids (docs/rules.md) in upper case
"""The storage contract (:mod:`resell_core.ports`): every storage adapter passes it.

Subclass :class:`StorageContract` and supply a ``storage`` fixture returning a fresh,
empty storage; every test then runs against it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import partial

import attrs
import pytest

from resell_core.agency import PortalUser
from resell_core.audit import AuditEvent
from resell_core.billing.bounds import CreditBounds
from resell_core.billing.invoices import Invoice, InvoiceStatus, TaxLine
from resell_core.billing.ledger import CreditKind, Movement
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import (
    AlreadyExists,
    Conflict,
    DuplicateName,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidInput,
    NotFound,
    VersionConflict,
)
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.lifecycle.account_query import COUNT_LIMIT, AccountQuery, SavedView, run_query
from resell_core.money import Money
from resell_core.periods import Frequency
from resell_core.ports import (
    LEDGER_RANGE,
    AccessRecord,
    IdempotencyRecord,
    Record,
    Storage,
    UnitOfWork,
)
from resell_core.testing.contracts.feed import EventFeedContract
from resell_core.testing.contracts.samples import (
    ACME,
    GLOBEX,
    a_movement,
    a_profile,
    a_user,
    an_account,
    an_agency,
    an_invoice,
)
from resell_core.testing.races import race_threads, tally

__all__ = ["StorageContract"]

NOON = datetime(2024, 2, 1, 12, tzinfo=UTC)
POOL = "profile:profile-visa"
PREPAID = CreditKind.PREPAID


def _committed(uow: UnitOfWork, step: Callable[[], object]) -> None:
    """Run ``step`` in ``uow``, then commit (a refusal by either is the caller's to see)."""
    step()
    uow.commit()


def _refused_by_commit(storage: Storage, invoices: Sequence[Invoice]) -> AlreadyExists:
    """Add ``invoices`` as a batch and commit; return the AlreadyExists raised by either."""
    with storage.unit_of_work() as uow, pytest.raises(AlreadyExists) as refused:
        _committed(uow, lambda: uow.invoices.add_many(invoices))
    return refused.value


def _seeded(
    storage: Storage,
    *,
    accounts: Sequence[Account] = (),
    users: Sequence[PortalUser] = (),
    profiles: Sequence[BillingProfile] = (),
    invoices: Sequence[Invoice] = (),
    movements: Sequence[Movement] = (),
) -> Storage:
    """Commit the agencies ACME and GLOBEX, then (in a second unit of work) what is given."""
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.agencies.add(an_agency(GLOBEX))
        uow.commit()
    if accounts or users or profiles or invoices or movements:
        with storage.unit_of_work() as uow:
            for account in accounts:
                uow.accounts.add(account)
            for user in users:
                uow.users.add(user)
            for profile in profiles:
                uow.profiles.add(profile)
            for invoice in invoices:
                uow.invoices.add(invoice)
            for movement in movements:
                uow.ledger.append(movement)
            uow.commit()
    return storage


class UnitOfWorkContract:
    """Atomic units of work: all or nothing, invisible until committed."""

    def test_uncommitted_writes_are_discarded(self, storage: Storage) -> None:
        """Leaving a unit of work without commit stores nothing."""
        with storage.unit_of_work() as uow:
            uow.agencies.add(an_agency())
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.agencies.get(ACME)

    def test_exception_inside_a_unit_of_work_writes_nothing(self, storage: Storage) -> None:
        """A command that fails half-way leaves no trace of its first writes."""
        _seeded(storage)

        def add_two_accounts_of_one_name() -> None:
            with storage.unit_of_work() as uow:
                uow.accounts.add(an_account("account-north", name="north-bakery"))
                uow.events.append(AuditEvent(NOON, ACME, "user-ada", "account_added", "north"))
                uow.ledger.append(a_movement())
                uow.accounts.add(an_account("account-south", name="NORTH-bakery"))
                uow.commit()

        with pytest.raises(DuplicateName):
            add_two_accounts_of_one_name()
        with storage.unit_of_work() as uow:
            assert uow.accounts.find("account-north") is None
            assert uow.events.list(ACME) == []
            assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == 0

    def test_writes_are_invisible_to_others_until_commit(self, storage: Storage) -> None:
        """Another unit of work sees a write only once it is committed."""
        _seeded(storage)
        with storage.unit_of_work() as writer, storage.unit_of_work() as reader:
            writer.accounts.add(an_account())
            assert writer.accounts.find("account-north") is not None
            assert reader.accounts.find("account-north") is None
            writer.commit()
            assert reader.accounts.find("account-north") is not None

    def test_rollback_discards_and_the_unit_can_go_on(self, storage: Storage) -> None:
        """After rollback() the unit of work starts afresh and can still commit."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.accounts.add(an_account("account-north"))
            uow.rollback()
            uow.accounts.add(an_account("account-south"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.find("account-north") is None
            assert uow.accounts.find("account-south") is not None

    def test_returned_aggregates_are_copies(self, storage: Storage) -> None:
        """Changing an object read from storage changes nothing stored without update()."""
        _seeded(storage, accounts=[an_account()])
        with storage.unit_of_work() as uow:
            uow.accounts.get(ACME, "account-north").client_name = "Someone Else"
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get(ACME, "account-north").client_name == "North Bakery Ltd"


class AgenciesContract:
    """Agencies and portal users."""

    def test_agency_is_stored_and_read_back(self, storage: Storage) -> None:
        """An added agency reads back equal, field for field."""
        with storage.unit_of_work() as uow:
            uow.agencies.add(an_agency())
            uow.commit()
        with storage.unit_of_work() as uow:
            assert attrs.asdict(uow.agencies.get(ACME)) == attrs.asdict(an_agency())

    def test_missing_agency_is_not_found(self, storage: Storage) -> None:
        """get() raises NotFound for an unknown agency."""
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.agencies.get("agency-nobody")

    def test_agency_id_and_referral_code_are_unique(self, storage: Storage) -> None:
        """A taken id is AlreadyExists, a taken referral code DuplicateName."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            with pytest.raises(AlreadyExists):
                uow.agencies.add(an_agency(ACME, referral_code="FRESH"))
            with pytest.raises(DuplicateName):
                uow.agencies.add(an_agency("agency-initech", referral_code=GLOBEX.upper()))
            found = uow.agencies.by_referral_code(ACME.upper())
            assert found is not None
            assert found.id == ACME
            assert uow.agencies.by_referral_code("NOPE") is None

    def test_invoice_counter_update_increments_the_version(self, storage: Storage) -> None:
        """update() stores the change and returns the copy at version + 1."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            _, moved = uow.agencies.get(ACME).numbered()
            stored = uow.agencies.update(moved)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert (stored.version, uow.agencies.get(ACME).next_invoice_number) == (1, 2)

    def test_B7_lock_returns_the_agencies_as_last_committed_by_id(self, storage: Storage) -> None:
        """lock() reads the agencies again, whatever this unit of work read before: the
        counter another unit of work committed meanwhile, so that numbering from it
        commits; unknown ids are left out, each agency comes once, by id."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            assert uow.agencies.get(ACME).next_invoice_number == 1
            with storage.unit_of_work() as other:
                _, moved = other.agencies.get(ACME).numbered()
                other.agencies.update(moved)
                other.commit()
            locked = uow.agencies.lock([GLOBEX, ACME, "agency-nobody", ACME])
            assert [(a.id, a.next_invoice_number) for a in locked] == [(ACME, 2), (GLOBEX, 1)]
            number, moved = locked[0].numbered()
            uow.agencies.update(moved)
            uow.commit()
        assert number == 2
        with storage.unit_of_work() as uow:
            assert uow.agencies.get(ACME).next_invoice_number == 3
            assert uow.agencies.lock([]) == []

    def test_B7_get_many_reads_the_agencies_as_last_committed_holding_nothing(
        self, storage: Storage
    ) -> None:
        """get_many() reads the agencies again, by id, each once, unknown ids left out, as
        this unit of work changed them; another unit of work may lock and change them
        meanwhile (nothing is held), and lock() then reads what it committed."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            _, moved = uow.agencies.get(GLOBEX).numbered()
            uow.agencies.update(moved)
            read = uow.agencies.get_many([GLOBEX, ACME, "agency-nobody", ACME])
            assert [(a.id, a.next_invoice_number) for a in read] == [(ACME, 1), (GLOBEX, 2)]
            with storage.unit_of_work() as other:
                [agency] = other.agencies.lock([ACME])
                other.agencies.update(agency.numbered()[1])
                other.commit()
            assert [a.next_invoice_number for a in uow.agencies.lock([ACME])] == [2]
            assert uow.agencies.get_many([]) == []

    def test_B7_lock_returns_this_units_own_change(self, storage: Storage) -> None:
        """An agency this unit of work changed (or added) is locked as it changed it."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            _, moved = uow.agencies.get(ACME).numbered()
            uow.agencies.update(moved)
            uow.agencies.add(an_agency("agency-initech"))
            locked = uow.agencies.lock([ACME, "agency-initech"])
            assert [(a.id, a.next_invoice_number, a.version) for a in locked] == [
                (ACME, 2, 1),
                ("agency-initech", 1, 0),
            ]
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.agencies.get(ACME).next_invoice_number == 2

    def test_B7_numbers_taken_under_the_lock_are_never_skipped_or_repeated(
        self, storage: Storage
    ) -> None:
        """Eight units of work at once each lock the agency, take its next invoice number
        and store an invoice under it (a unit that loses a race runs again): the numbers
        are 1..8, each once, and the counter stands at 9."""
        _seeded(storage)

        def take_a_number(i: int) -> int:
            for _ in range(50):
                try:
                    with storage.unit_of_work() as uow:
                        [agency] = uow.agencies.lock([ACME])
                        number, moved = agency.numbered()
                        uow.agencies.update(moved)
                        uow.invoices.add(an_invoice(f"invoice-{i}", number=number, period_key=None))
                        uow.commit()
                        return number
                except (VersionConflict, AlreadyExists, Conflict):
                    continue
            raise AssertionError("no number after 50 tries")

        outcomes = race_threads(8, take_a_number)
        assert tally(outcomes) == {"ok": 8}
        assert sorted(o.value for o in outcomes) == list(range(1, 9))
        with storage.unit_of_work() as uow:
            assert uow.agencies.get(ACME).next_invoice_number == 9
            assert [i.number for i in uow.invoices.list(ACME)] == list(range(1, 9))

    def test_agencies_come_in_pages_by_id(self, storage: Storage) -> None:
        """page() walks every agency once, ordered by id."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            first = uow.agencies.page(limit=1)
            second = uow.agencies.page(after_id=first[-1].id, limit=1)
            rest = uow.agencies.page(after_id=second[-1].id, limit=1)
        assert [a.id for a in first + second + rest] == [ACME, GLOBEX]

    def test_user_email_is_unique_across_the_platform(self, storage: Storage) -> None:
        """Two portal users never share an email, whatever the case or the agency."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.users.add(a_user("user-ada", ACME, "ada@acme.test"))
            with pytest.raises(DuplicateName):
                uow.users.add(a_user("user-bob", GLOBEX, "ADA@acme.test"))
            found = uow.users.by_email("Ada@Acme.test")
            assert found is not None
            assert found.id == "user-ada"

    def test_users_are_scoped_to_their_agency(self, storage: Storage) -> None:
        """Another agency's user is not found and not listed."""
        _seeded(storage, users=[a_user("user-ada", ACME), a_user("user-zed", ACME)])
        with storage.unit_of_work() as uow:
            assert [u.id for u in uow.users.list(ACME)] == ["user-ada", "user-zed"]
            assert uow.users.list(GLOBEX) == []
            with pytest.raises(NotFound):
                uow.users.get(GLOBEX, "user-ada")


class AccountsContract:
    """Accounts: unique names, versions, tenancy, pages of due accounts, the overview."""

    def test_A2_account_name_is_unique_across_the_platform(self, storage: Storage) -> None:
        """A name taken by any agency's account cannot be taken again, whatever the case."""
        _seeded(storage, accounts=[an_account("account-north", ACME, "north-bakery")])
        with storage.unit_of_work() as uow:
            assert uow.accounts.name_taken("North-Bakery")
            assert not uow.accounts.name_taken("south-bakery")
            with pytest.raises(DuplicateName) as raised:
                uow.accounts.add(an_account("account-other", GLOBEX, "NORTH-BAKERY"))
        assert raised.value.code == "duplicate_name"

    def test_A2_concurrent_adds_of_one_name_store_one(self, storage: Storage) -> None:
        """Of two units of work adding the same name, the second to commit fails."""
        _seeded(storage)
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.accounts.add(an_account("account-north", ACME, "north-bakery"))
            second.accounts.add(an_account("account-other", GLOBEX, "north-bakery"))
            first.commit()
            with pytest.raises(DuplicateName):
                second.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.find("account-other") is None

    def test_tenancy_another_agencys_account_is_not_found(self, storage: Storage) -> None:
        """Reading or updating an account through another agency is NotFound."""
        _seeded(storage, accounts=[an_account("account-north", ACME, "north-bakery")])
        with storage.unit_of_work() as uow:
            account = uow.accounts.get(ACME, "account-north")
            with pytest.raises(NotFound):
                uow.accounts.get(GLOBEX, "account-north")
            with pytest.raises(NotFound):
                uow.accounts.get_by_name(GLOBEX, "north-bakery")
            with pytest.raises(NotFound):
                uow.accounts.update(attrs.evolve(account, agency_id=GLOBEX))
            assert uow.accounts.get_by_name(ACME, "NORTH-bakery").id == "account-north"
            assert uow.accounts.of_agency(GLOBEX) == []

    def test_update_increments_version_and_refuses_stale_copies(self, storage: Storage) -> None:
        """update() returns version + 1; updating from the old version is a VersionConflict."""
        _seeded(storage, accounts=[an_account()])
        with storage.unit_of_work() as uow:
            read = uow.accounts.get(ACME, "account-north")
            read.client_name = "North Bakery SAS"
            stored = uow.accounts.update(read)
            assert stored.version == read.version + 1
            with pytest.raises(VersionConflict):
                uow.accounts.update(read)
            uow.commit()
        with storage.unit_of_work() as uow:
            again = uow.accounts.get(ACME, "account-north")
            assert (again.client_name, again.version) == ("North Bakery SAS", 1)

    def test_store_keeps_the_change_at_version_plus_one_and_returns_nothing(
        self, storage: Storage
    ) -> None:
        """store() stores as update() does (version + 1, seen by the same unit of work and
        after commit) and hands back nothing; storing the old version again conflicts."""
        _seeded(storage, accounts=[an_account()])
        with storage.unit_of_work() as uow:
            read = uow.accounts.get(ACME, "account-north")
            read.client_name = "North Bakery SAS"
            assert uow.accounts.store(read) is None  # type: ignore[func-returns-value]
            seen = uow.accounts.get(ACME, "account-north")
            assert (seen.client_name, seen.version) == ("North Bakery SAS", read.version + 1)
            with pytest.raises(VersionConflict):
                uow.accounts.store(read)
            uow.commit()
        with storage.unit_of_work() as uow:
            again = uow.accounts.get(ACME, "account-north")
            assert (again.client_name, again.version) == ("North Bakery SAS", 1)

    def test_store_keeps_no_alias_of_the_account_given(self, storage: Storage) -> None:
        """Changing the account after store() changes nothing stored."""
        _seeded(storage, accounts=[an_account()])
        with storage.unit_of_work() as uow:
            read = uow.accounts.get(ACME, "account-north")
            read.client_name = "North Bakery SAS"
            uow.accounts.store(read)
            read.client_name = "Changed After"
            assert uow.accounts.get(ACME, "account-north").client_name == "North Bakery SAS"
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get(ACME, "account-north").client_name == "North Bakery SAS"

    def test_store_refuses_what_update_refuses(self, storage: Storage) -> None:
        """store() raises update()'s errors: NotFound through another agency or for no
        such account, DuplicateName for a taken name; nothing is stored."""
        _seeded(
            storage,
            accounts=[
                an_account("account-north", ACME, "north-bakery"),
                an_account("account-south", ACME, "south-bakery"),
            ],
        )
        with storage.unit_of_work() as uow:
            north = uow.accounts.get(ACME, "account-north")
            with pytest.raises(NotFound):
                uow.accounts.store(attrs.evolve(north, agency_id=GLOBEX))
            with pytest.raises(NotFound):
                uow.accounts.store(attrs.evolve(north, id="account-nowhere"))
            with pytest.raises(DuplicateName):
                uow.accounts.store(attrs.evolve(north, name="SOUTH-bakery"))
            uow.commit()
        with storage.unit_of_work() as uow:
            stored = uow.accounts.get(ACME, "account-north")
            assert (stored.name, stored.version) == ("north-bakery", 0)

    @pytest.mark.parametrize("write", ["update", "store"])
    def test_concurrent_updates_of_one_account_store_one(
        self, storage: Storage, write: str
    ) -> None:
        """Two units of work update (or store) the same version: the second commit is a
        VersionConflict."""
        _seeded(storage, accounts=[an_account()])
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            mine = first.accounts.get(ACME, "account-north")
            theirs = second.accounts.get(ACME, "account-north")
            getattr(first.accounts, write)(attrs.evolve(mine, client_name="First"))
            getattr(second.accounts, write)(attrs.evolve(theirs, client_name="Second"))
            first.commit()
            with pytest.raises(VersionConflict):
                second.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get(ACME, "account-north").client_name == "First"

    def test_B1_due_pages_billable_accounts_by_id(self, storage: Storage) -> None:
        """due() returns every billable account due before the day, once, in pages by id."""
        _seeded(storage)
        due_ids = [f"account-{n:02d}" for n in range(7)]
        with storage.unit_of_work() as uow:
            for number, account_id in enumerate(due_ids):
                uow.accounts.add(
                    an_account(account_id, ACME if number % 2 else GLOBEX, f"shop-{number}")
                )
            uow.commit()
        pages: list[list[str]] = []
        after: str | None = None
        with storage.unit_of_work() as uow:
            while page := uow.accounts.due(date(2024, 3, 1), after_id=after, limit=3):
                pages.append([a.id for a in page])
                after = page[-1].id
        assert pages == [due_ids[0:3], due_ids[3:6], due_ids[6:7]]

    def test_B1_due_means_next_period_starts_before_the_day(self, storage: Storage) -> None:
        """An account whose next period starts on the day itself is not yet due."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.accounts.add(an_account())  # anchor 31 Jan, period 1 starts 29 Feb 2024
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.due(date(2024, 2, 29), limit=10) == []
            assert [a.id for a in uow.accounts.due(date(2024, 3, 1), limit=10)] == ["account-north"]

    def test_B1_a_cancelled_account_is_due_for_a_period_started_before_cancelling(
        self, storage: Storage
    ) -> None:
        """A period missed before the cancellation is still due; one after it never is."""
        _seeded(storage)
        with storage.unit_of_work() as uow:  # period 1 of both starts on 29 Feb 2024
            owing = attrs.evolve(
                an_account("account-1", name="owing-shop", status=AccountStatus.CANCELLED),
                cancelled_on=date(2024, 3, 5),
            )
            settled = attrs.evolve(
                an_account("account-2", name="settled-shop", status=AccountStatus.CANCELLED),
                cancelled_on=date(2024, 2, 29),
            )
            uow.accounts.add(owing)
            uow.accounts.add(settled)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [a.id for a in uow.accounts.due(date(2024, 6, 1), limit=10)] == ["account-1"]

    def test_B1_K3_only_billable_accounts_are_due(self, storage: Storage) -> None:
        """Disabled accounts are billed; trials, cancelled, expired and commission ones are not."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.accounts.add(
                an_account("account-1", name="disabled-shop", status=AccountStatus.DISABLED)
            )
            uow.accounts.add(
                an_account("account-2", name="cancelled-shop", status=AccountStatus.CANCELLED)
            )
            uow.accounts.add(
                an_account("account-3", name="expired-shop", status=AccountStatus.EXPIRED)
            )
            uow.accounts.add(
                an_account("account-4", name="referred-shop", kind=AccountKind.COMMISSION)
            )
            uow.accounts.add(an_account("account-5", name="trial-shop", trial=True))
            uow.accounts.add(
                an_account("account-6", name="annual-shop", frequency=Frequency.ANNUAL)
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [a.id for a in uow.accounts.due(date(2024, 3, 1), limit=50)] == ["account-1"]
            assert [a.id for a in uow.accounts.due(date(2025, 2, 1), limit=50)] == [
                "account-1",
                "account-6",
            ]

    def test_trials_ending_lists_active_trials_before_the_day(self, storage: Storage) -> None:
        """trials_ending() finds active trials whose end is before the day."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            ends = date(2024, 2, 14)
            uow.accounts.add(
                an_account("account-1", name="trial-a", trial=True, trial_ends_on=ends)
            )
            uow.accounts.add(
                an_account("account-2", name="trial-b", trial=True, trial_ends_on=date(2024, 3, 1))
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [a.id for a in uow.accounts.trials_ending(date(2024, 2, 15))] == ["account-1"]
            assert uow.accounts.trials_ending(date(2024, 2, 14)) == []

    def test_O1_query_answers_like_the_reference_evaluator(self, storage: Storage) -> None:
        """query() returns what run_query returns over the agency's own accounts only."""
        _seeded(storage)
        mine = [
            an_account("account-1", ACME, "north-bakery"),
            an_account("account-2", ACME, "acme-shoes", status=AccountStatus.EXPIRED),
            an_account("account-3", ACME, "acme-trial", trial=True),
        ]
        with storage.unit_of_work() as uow:
            for account in mine:
                uow.accounts.add(account)
            uow.accounts.add(an_account("account-9", GLOBEX, "acme-globex"))
            uow.commit()
        query = AccountQuery(search="acme", sort="-name", limit=1)
        with storage.unit_of_work() as uow:
            page = uow.accounts.query(ACME, query, date(2024, 3, 1))
        expected = run_query(mine, query, date(2024, 3, 1))
        assert ([a.id for a in page.rows], page.total) == ([a.id for a in expected.rows], 2)
        assert page.next_cursor == expected.next_cursor

    def test_O5_search_never_matches_across_two_columns(self, storage: Storage) -> None:
        """A search spanning the end of one searched column and the start of the next
        finds nothing; each part alone finds the account."""
        _seeded(storage)
        account = attrs.evolve(
            an_account("account-1", ACME, "north-bakery"), custom_domain="news.example"
        )
        with storage.unit_of_work() as uow:
            uow.accounts.add(account)
            uow.commit()
        with storage.unit_of_work() as uow:
            found = {
                search: uow.accounts.query(ACME, AccountQuery(search=search), date(2024, 3, 1))
                for search in ("bakerynews", "BAKERY", "NEWS.ex", "rynew")
            }
        assert {search: page.total for search, page in found.items()} == {
            "bakerynews": 0,
            "BAKERY": 1,
            "NEWS.ex": 1,
            "rynew": 0,
        }

    def test_O11_count_is_exact_up_to_the_limit_and_more_past_it(self, storage: Storage) -> None:
        """Up to COUNT_LIMIT matches the total is exact; past it ``total_exact`` is False
        and the total, an estimate, is more than COUNT_LIMIT; another agency never counts."""
        _seeded(storage)
        expired = 3
        with storage.unit_of_work() as uow:
            for i in range(COUNT_LIMIT + expired):
                status = AccountStatus.EXPIRED if i < expired else AccountStatus.ACTIVE
                uow.accounts.add(
                    an_account(f"account-{i:04d}", ACME, f"shop-{i:04d}", status=status)
                )
            uow.accounts.add(an_account("account-globex", GLOBEX, "shop-globex"))
            uow.commit()
        today = date(2024, 3, 1)
        with storage.unit_of_work() as uow:
            everyone = uow.accounts.query(ACME, AccountQuery(limit=10), today)
            active = uow.accounts.query(ACME, AccountQuery(status="active", limit=10), today)
            hundred = uow.accounts.query(ACME, AccountQuery(search="shop-00", limit=10), today)
            few = uow.accounts.query(ACME, AccountQuery(status="expired", limit=10), today)
        assert (everyone.total_exact, everyone.total > COUNT_LIMIT) == (False, True)
        assert (active.total_exact, active.total) == (True, COUNT_LIMIT)
        assert (hundred.total_exact, hundred.total) == (True, 100)
        assert (few.total_exact, few.total, len(few.rows)) == (True, expired, expired)
        assert (len(everyone.rows), everyone.next_cursor is None) == (10, False)


class BillingProfilesContract:
    """Billing profiles (B5)."""

    def test_B5_profile_label_is_unique_within_an_agency(self, storage: Storage) -> None:
        """An agency cannot have two profiles of one label; another agency can."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.profiles.add(a_profile("profile-1", ACME, "Main Visa"))
            with pytest.raises(DuplicateName):
                uow.profiles.add(a_profile("profile-2", ACME, "main visa"))
            uow.profiles.add(a_profile("profile-3", GLOBEX, "Main Visa"))
            assert [p.id for p in uow.profiles.list(ACME)] == ["profile-1"]

    def test_B5_profiles_are_updated_and_removed(self, storage: Storage) -> None:
        """A profile is updated with a version check and removed for good."""
        _seeded(storage, profiles=[a_profile()])
        with storage.unit_of_work() as uow:
            profile = uow.profiles.get(ACME, "profile-visa")
            assert uow.profiles.update(attrs.evolve(profile, exp_year=2031)).version == 1
            with pytest.raises(NotFound):
                uow.profiles.remove(GLOBEX, "profile-visa")
            uow.profiles.remove(ACME, "profile-visa")
            uow.commit()
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.profiles.get(ACME, "profile-visa")


class InvoicesContract:
    """Invoices: one recurring invoice per account period, numbers unique per agency."""

    def test_B1_one_recurring_invoice_per_account_period(self, storage: Storage) -> None:
        """A second invoice with the same period key is AlreadyExists."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.invoices.add(an_invoice("invoice-1", number=1))
            with pytest.raises(AlreadyExists):
                uow.invoices.add(an_invoice("invoice-2", number=2))
            found = uow.invoices.by_period_key("account-north/2024-02-29")
            assert found is not None
            assert found.id == "invoice-1"

    def test_B1_concurrent_runs_invoice_a_period_once(self, storage: Storage) -> None:
        """Two billing runs invoicing one period: the second commit fails, nothing doubles."""
        _seeded(storage)
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.invoices.add(an_invoice("invoice-1", number=1))
            second.invoices.add(an_invoice("invoice-2", number=2))
            first.commit()
            with pytest.raises(AlreadyExists):
                second.commit()
        with storage.unit_of_work() as uow:
            assert [i.id for i in uow.invoices.list(ACME)] == ["invoice-1"]

    def test_invoice_numbers_are_unique_per_agency(self, storage: Storage) -> None:
        """An agency's invoice number cannot be used twice; another agency has its own."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.invoices.add(an_invoice("invoice-1", ACME, 1, period_key=None))
            with pytest.raises(AlreadyExists):
                uow.invoices.add(an_invoice("invoice-2", ACME, 1, period_key=None))
            uow.invoices.add(an_invoice("invoice-3", GLOBEX, 1, period_key=None))

    def test_B1_add_many_refuses_a_period_billed_before_or_twice_in_the_batch(
        self, storage: Storage
    ) -> None:
        """add_many refuses a period key taken earlier in the same batch at once, and a
        stored one by the commit at the latest, which then writes nothing."""
        _seeded(storage, invoices=[an_invoice("invoice-1", number=1)])
        with storage.unit_of_work() as uow, pytest.raises(AlreadyExists) as twice:
            uow.invoices.add_many(
                [
                    an_invoice("invoice-3", number=3, period_key="account-north/2024-03-29"),
                    an_invoice("invoice-4", number=4, period_key="account-north/2024-03-29"),
                ]
            )
        stored = _refused_by_commit(storage, [an_invoice("invoice-2", number=2)])
        assert twice.value.kind == "recurring invoice"
        assert stored.kind == "recurring invoice"
        with storage.unit_of_work() as uow:
            assert [i.id for i in uow.invoices.list(ACME)] == ["invoice-1"]

    def test_add_many_stores_each_invoice_as_add_does(self, storage: Storage) -> None:
        """Invoices added as a batch are stored; a number or id taken in this unit of work
        is AlreadyExists at once, one stored is AlreadyExists by the commit, which then
        writes nothing of the batch."""
        _seeded(storage, invoices=[an_invoice("invoice-1", ACME, 1, period_key=None)])
        with storage.unit_of_work() as uow:
            uow.invoices.add_many(
                [
                    an_invoice("invoice-2", ACME, 2, period_key="account-north/2024-03-29"),
                    an_invoice("invoice-3", GLOBEX, 1, period_key=None),
                ]
            )
            with pytest.raises(AlreadyExists) as number_here:
                uow.invoices.add_many([an_invoice("invoice-4", ACME, 2, period_key=None)])
            with pytest.raises(AlreadyExists) as id_here:
                uow.invoices.add_many([an_invoice("invoice-3", ACME, 9, period_key=None)])
            uow.commit()
        number = _refused_by_commit(
            storage,
            [
                an_invoice("invoice-5", ACME, 3, period_key=None),
                an_invoice("invoice-6", ACME, 1, period_key=None),
            ],
        )
        same_id = _refused_by_commit(storage, [an_invoice("invoice-1", ACME, 9, period_key=None)])
        with storage.unit_of_work() as uow:
            assert [i.id for i in uow.invoices.list(ACME)] == ["invoice-1", "invoice-2"]
            assert [i.id for i in uow.invoices.list(GLOBEX)] == ["invoice-3"]
        assert number_here.value.kind == "invoice number"
        assert id_here.value.kind == "invoice"
        assert number.kind == "invoice number"
        assert same_id.kind == "invoice"

    def test_add_many_matches_an_agency_and_its_number_together(self, storage: Storage) -> None:
        """A batch's invoice numbers clash only with the same agency's: the one stored for
        the same agency is refused among other numbers of the batch, and a number stored
        for another agency is free."""
        _seeded(
            storage,
            invoices=[
                an_invoice("invoice-1", ACME, 1, period_key=None),
                an_invoice("invoice-2", GLOBEX, 2, period_key=None),
            ],
        )
        clash = _refused_by_commit(
            storage,
            [
                an_invoice("invoice-3", ACME, 2, period_key=None),
                an_invoice("invoice-4", ACME, 3, period_key=None),
                an_invoice("invoice-5", GLOBEX, 2, period_key=None),
            ],
        )
        assert clash.kind == "invoice number"
        with storage.unit_of_work() as uow:
            uow.invoices.add_many(
                [
                    an_invoice("invoice-3", ACME, 2, period_key=None),
                    an_invoice("invoice-5", GLOBEX, 1, period_key=None),
                ]
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [i.number for i in uow.invoices.list(ACME)] == [1, 2]
            assert [i.number for i in uow.invoices.list(GLOBEX)] == [1, 2]

    def test_B7_invoices_are_listed_by_number_and_filtered_by_account(
        self, storage: Storage
    ) -> None:
        """list() gives the agency's invoices by number, one account's when asked."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.invoices.add(
                an_invoice("invoice-b", number=2, account_id="account-south", period_key=None)
            )
            uow.invoices.add(an_invoice("invoice-a", number=1))
            uow.invoices.add(an_invoice("invoice-z", GLOBEX, 1, period_key=None))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [i.id for i in uow.invoices.list(ACME)] == ["invoice-a", "invoice-b"]
            assert [i.id for i in uow.invoices.list(ACME, "account-south")] == ["invoice-b"]
            with pytest.raises(NotFound):
                uow.invoices.get(GLOBEX, "invoice-a")

    def test_open_for_retry_lists_unpaid_invoices_due_for_a_retry(self, storage: Storage) -> None:
        """open_for_retry() skips paid invoices and retries not yet due."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.invoices.add(
                an_invoice("invoice-1", number=1, period_key=None, next_retry_on=date(2024, 3, 1))
            )
            uow.invoices.add(
                an_invoice("invoice-2", number=2, period_key=None, next_retry_on=date(2024, 3, 5))
            )
            paid = an_invoice(
                "invoice-3", number=3, period_key=None, next_retry_on=date(2024, 3, 1)
            )
            paid.status = InvoiceStatus.PAID
            uow.invoices.add(paid)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [i.id for i in uow.invoices.open_for_retry(date(2024, 3, 2))] == ["invoice-1"]

    def test_TX1_an_invoice_keeps_its_tax_lines_and_an_agency_its_tax_details(
        self, storage: Storage
    ) -> None:
        """Tax lines come back with their invoice (added, updated, listed), reverse charge
        and all; an agency's country and tax id come back too."""
        _seeded(storage)
        base = Money("40.00", "USD")
        taxes = (
            TaxLine(0, "VAT", "DE", Decimal("0.19"), base, Money("7.60", "USD")),
            TaxLine(0, "VAT", "FR", Decimal("0.20"), base, Money("0", "USD"), reverse_charge=True),
        )
        taxed = attrs.evolve(an_invoice(), taxes=taxes)
        with storage.unit_of_work() as uow:
            uow.invoices.add(taxed)
            uow.invoices.add(an_invoice("invoice-2", number=2, period_key=None))
            agency = uow.agencies.get(ACME)
            uow.agencies.update(attrs.evolve(agency, country="DE", tax_id="DE123456789"))
            uow.commit()
        with storage.unit_of_work() as uow:
            stored = uow.invoices.get(ACME, "invoice-1")
            assert stored.taxes == taxes
            assert stored.total == Money("47.60", "USD")
            assert uow.invoices.get(ACME, "invoice-2").taxes == ()
            paid = uow.invoices.update(attrs.evolve(stored, status=InvoiceStatus.PAID))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [i.taxes for i in uow.invoices.list(ACME)] == [taxes, ()]
            assert uow.invoices.get(ACME, "invoice-1").version == paid.version
            agency = uow.agencies.get(ACME)
            assert (agency.country, agency.tax_id) == ("DE", "DE123456789")


class LedgerContract:
    """The credit ledger: idempotent by movement id, balances never negative."""

    def test_C4_balance_is_what_moved_in_minus_what_moved_out(self, storage: Storage) -> None:
        """Buying 100 and spending 30 leaves 70 in the pool."""
        _seeded(
            storage,
            movements=[
                a_movement("m-1", quantity="100.00"),
                a_movement("m-2", quantity="30.00", source=POOL, destination="spent"),
            ],
        )
        with storage.unit_of_work() as uow:
            assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == Decimal("70.00")
            assert uow.ledger.balance(GLOBEX, POOL, CreditKind.PREPAID) == 0
            assert uow.ledger.balance(ACME, POOL, CreditKind.SMS) == 0

    def test_C2_a_movement_never_overdraws_a_wallet(self, storage: Storage) -> None:
        """Spending more than the balance is InsufficientCredit and records nothing."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            uow.ledger.append(a_movement("m-1", quantity="10.00"))
            with pytest.raises(InsufficientCredit):
                uow.ledger.append(
                    a_movement("m-2", quantity="10.01", source=POOL, destination="spent")
                )
            assert [m.id for m in uow.ledger.movements(ACME)] == ["m-1"]

    def test_C2_concurrent_spending_never_overdraws(self, storage: Storage) -> None:
        """Two units of work each spending 60 of 100: the second commit fails."""
        _seeded(storage, movements=[a_movement("m-1", quantity="100")])
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.ledger.append(a_movement("m-2", quantity="60", source=POOL, destination="spent"))
            second.ledger.append(a_movement("m-3", quantity="60", source=POOL, destination="spent"))
            first.commit()
            with pytest.raises(InsufficientCredit):
                second.commit()
        with storage.unit_of_work() as uow:
            assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == 40

    def test_a_retried_movement_is_recorded_once(self, storage: Storage) -> None:
        """The same movement appended twice counts once; other content under its id conflicts."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            assert uow.ledger.append(a_movement("m-1", quantity="100"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert not uow.ledger.append(a_movement("m-1", quantity="100"))
            with pytest.raises(IdempotencyConflict):
                uow.ledger.append(a_movement("m-1", quantity="999"))
            assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == 100

    def test_C2_append_many_records_in_order_and_never_overdraws(self, storage: Storage) -> None:
        """append_many records a batch in order; an overdraft stops the batch there, those
        before it staying recorded."""
        _seeded(storage, movements=[a_movement("m-1", quantity="100")])
        spend = a_movement("m-3", quantity="60", source=POOL, destination="spent")
        with storage.unit_of_work() as uow:
            uow.ledger.append_many([a_movement("m-2", quantity="10"), spend])
            with pytest.raises(InsufficientCredit):
                uow.ledger.append_many(
                    [
                        a_movement("m-4", quantity="50", source=POOL, destination="spent"),
                        a_movement("m-5", quantity="1", source=POOL, destination="spent"),
                    ]
                )
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [m.id for m in uow.ledger.movements(ACME)] == ["m-1", "m-2", "m-3", "m-4"]
            assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == 0

    def test_C2_append_many_refuses_an_id_recorded_before_even_with_its_content(
        self, storage: Storage
    ) -> None:
        """A batch of new movements is no retry: an id twice in it, or appended earlier in
        the unit of work, is IdempotencyConflict at once; a stored one, even with the same
        content, by the commit at the latest, which then writes nothing of it."""
        _seeded(storage, movements=[a_movement("m-1", quantity="100")])
        with storage.unit_of_work() as uow:
            uow.ledger.append(a_movement("m-2", quantity="10"))
            with pytest.raises(IdempotencyConflict):
                uow.ledger.append_many([a_movement("m-2", quantity="10")])
            with pytest.raises(IdempotencyConflict):
                uow.ledger.append_many([a_movement("m-3", quantity="5")] * 2)
        for quantity in ("100", "999"):
            batch = [a_movement("m-4", quantity="1"), a_movement("m-1", quantity=quantity)]
            with storage.unit_of_work() as uow, pytest.raises(IdempotencyConflict):
                _committed(uow, partial(uow.ledger.append_many, batch))
        with storage.unit_of_work() as uow:
            assert [m.id for m in uow.ledger.movements(ACME)] == ["m-1"]
            assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == 100

    def test_C4_balances_reads_many_wallets_as_balance_does(self, storage: Storage) -> None:
        """balances() gives every wallet asked for, stored and moved in this unit of work."""
        _seeded(storage)
        north, south = "account:account-north", "account:account-south"
        with storage.unit_of_work() as uow:
            uow.ledger.append(a_movement("m-1", quantity="100"))
            uow.ledger.append(a_movement("m-2", quantity="30", source=POOL, destination=north))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.ledger.append(a_movement("m-3", quantity="5", source=POOL, destination=south))
            found = uow.ledger.balances(ACME, [POOL, north, south, "account:none"], PREPAID)
            elsewhere = uow.ledger.balances(GLOBEX, [POOL], PREPAID)
        assert found == {
            POOL: Decimal(65),
            north: Decimal(30),
            south: Decimal(5),
            "account:none": Decimal(0),
        }
        assert elsewhere == {POOL: Decimal(0)}

    def test_C2_balances_read_again_count_what_was_committed_since(self, storage: Storage) -> None:
        """balances(again=True) reads the stored balances again: a movement another unit
        of work committed since the first read counts, with this unit's own moves."""
        _seeded(storage)
        south = "account:account-south"
        with storage.unit_of_work() as uow:
            uow.ledger.append(a_movement("m-1", quantity="100"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.ledger.balances(ACME, [POOL], PREPAID) == {POOL: Decimal(100)}
            with storage.unit_of_work() as other:
                other.ledger.append(
                    a_movement("m-2", quantity="40", source=POOL, destination="spent")
                )
                other.commit()
            uow.ledger.append(a_movement("m-3", quantity="5", source=POOL, destination=south))
            again = uow.ledger.balances(ACME, [POOL, south], PREPAID, again=True)
        assert again == {POOL: Decimal(55), south: Decimal(5)}

    def test_movements_come_back_exactly_as_recorded(self, storage: Storage) -> None:
        """A movement with quotes, accents and an exponent quantity reads back equal."""
        _seeded(storage)
        odd = attrs.evolve(
            a_movement('m-"1"', quantity="1E+2", destination='account:caf\u00e9 "north"'),
            reason="bought\nby ops",
            invoice_id="invoice-\\7",
        )
        with storage.unit_of_work() as uow:
            uow.ledger.append(odd)
            uow.commit()
        with storage.unit_of_work() as uow:
            found = uow.ledger.movements(ACME)
        assert [(m, m.reason, m.invoice_id, m.quantity) for m in found] == [
            (odd, odd.reason, odd.invoice_id, odd.quantity)
        ]

    def test_quantity_must_be_positive(self, storage: Storage) -> None:
        """A zero or negative movement is InvalidInput."""
        _seeded(storage)
        with storage.unit_of_work() as uow, pytest.raises(InvalidInput):
            uow.ledger.append(a_movement("m-1", quantity="0"))

    def test_M1_quantities_and_balances_within_the_range_are_exact(self, storage: Storage) -> None:
        """Purchases up to the billing policy's largest balance, to the millionth, read back
        exactly in the wallet, in ``outside`` and in ``spent``; the policy fits the range."""
        bounds = CreditBounds()
        assert bounds.largest_balance + 100 * bounds.largest_quantity < LEDGER_RANGE
        _seeded(storage)
        whole = bounds.largest_balance - bounds.largest_quantity
        fraction = bounds.largest_quantity - Decimal("0.000001")
        with storage.unit_of_work() as uow:
            uow.ledger.append(a_movement("m-1", quantity=str(whole)))
            uow.ledger.append(a_movement("m-2", quantity=str(fraction)))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.ledger.append(
                a_movement("m-3", quantity=str(whole), source=POOL, destination="spent")
            )
            uow.commit()
        held = whole + fraction
        with storage.unit_of_work() as uow:
            assert uow.ledger.balance(ACME, POOL, PREPAID) == fraction
            assert uow.ledger.balance(ACME, "outside", PREPAID) == -held
            assert uow.ledger.balance(ACME, "spent", PREPAID) == whole
            assert [m.quantity for m in uow.ledger.movements(ACME)] == [whole, fraction, whole]

    @pytest.mark.parametrize("quantity", [str(LEDGER_RANGE), "1E+13", "1E+100", "0.0000001"])
    def test_M1_a_quantity_beyond_the_range_is_refused(
        self, storage: Storage, quantity: str
    ) -> None:
        """A quantity not below the range (or finer than a millionth) is InvalidInput on
        every adapter, and nothing is recorded."""
        _seeded(storage)
        with storage.unit_of_work() as uow:
            with pytest.raises(InvalidInput):
                uow.ledger.append(a_movement("m-1", quantity=quantity))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.ledger.movements(ACME) == []
            assert uow.ledger.balance(ACME, POOL, PREPAID) == 0

    def test_C6_history_is_filtered_by_wallet_and_kind(self, storage: Storage) -> None:
        """movements() lists one wallet's and one kind's moves in the order recorded."""
        _seeded(storage)
        account = "account:account-north"
        with storage.unit_of_work() as uow:
            uow.ledger.append(
                a_movement(
                    "m-1",
                    quantity="5",
                    destination="agency:agency-acme",
                    kind=CreditKind.INBOX_PREVIEW,
                )
            )
            uow.ledger.append(
                a_movement(
                    "m-2",
                    quantity="3",
                    source="agency:agency-acme",
                    destination=account,
                    kind=CreditKind.INBOX_PREVIEW,
                )
            )
            uow.ledger.append(a_movement("m-3", quantity="50"))
            uow.commit()
        with storage.unit_of_work() as uow:
            history = uow.ledger.movements(ACME, wallet=account, kind=CreditKind.INBOX_PREVIEW)
            assert [m.id for m in history] == ["m-2"]
            assert [m.id for m in uow.ledger.movements(ACME, kind=CreditKind.INBOX_PREVIEW)] == [
                "m-1",
                "m-2",
            ]
            assert uow.ledger.movements(GLOBEX) == []


class IdempotencyContract:
    """The store of first results under callers' keys."""

    def test_same_key_same_request_keeps_the_first_result(self, storage: Storage) -> None:
        """put() again with the same fingerprint is harmless; get() returns the first."""
        with storage.unit_of_work() as uow:
            uow.idempotency.put(IdempotencyRecord(ACME, "key-1", "fp-a", '{"n": 1}', NOON))
            uow.idempotency.put(IdempotencyRecord(ACME, "key-1", "fp-a", '{"n": 2}', NOON))
            uow.commit()
        with storage.unit_of_work() as uow:
            record = uow.idempotency.get(ACME, "key-1")
            assert record is not None
            assert record.result == '{"n": 1}'
            assert uow.idempotency.get(GLOBEX, "key-1") is None

    def test_same_key_other_request_is_a_conflict(self, storage: Storage) -> None:
        """put() with another fingerprint raises IdempotencyConflict, also across units."""
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.idempotency.put(IdempotencyRecord(ACME, "key-1", "fp-a", "{}", NOON))
            with pytest.raises(IdempotencyConflict):
                first.idempotency.put(IdempotencyRecord(ACME, "key-1", "fp-b", "{}", NOON))
            second.idempotency.put(IdempotencyRecord(ACME, "key-1", "fp-a", "{}", NOON))
            first.commit()
            with pytest.raises(IdempotencyConflict):
                second.commit()

    def test_I1_a_key_committed_meanwhile_is_not_stored_again(self, storage: Storage) -> None:
        """put() of a key another unit committed, even with its fingerprint, is refused."""
        with storage.unit_of_work() as late:
            assert late.idempotency.get(ACME, "key-1") is None
            with storage.unit_of_work() as first:
                first.idempotency.put(IdempotencyRecord(ACME, "key-1", "fp-a", '{"n": 1}', NOON))
                first.commit()
            with pytest.raises(AlreadyExists):
                late.idempotency.put(IdempotencyRecord(ACME, "key-1", "fp-a", '{"n": 2}', NOON))
            with pytest.raises(IdempotencyConflict):
                late.idempotency.put(IdempotencyRecord(ACME, "key-1", "fp-b", '{"n": 3}', NOON))
        with storage.unit_of_work() as uow:
            record = uow.idempotency.get(ACME, "key-1")
            assert record is not None
            assert record.result == '{"n": 1}'

    def test_keys_are_purged_only_when_old(self, storage: Storage) -> None:
        """purge() deletes records stored before the limit and keeps the others."""
        with storage.unit_of_work() as uow:
            uow.idempotency.put(IdempotencyRecord(ACME, "old", "fp", "{}", NOON))
            uow.idempotency.put(
                IdempotencyRecord(ACME, "new", "fp", "{}", NOON + timedelta(days=1))
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.idempotency.purge(NOON + timedelta(hours=1)) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.idempotency.get(ACME, "old") is None
            assert uow.idempotency.get(ACME, "new") is not None


class EventsViewsTokensRecordsContract:
    """The audit log, saved views, access records and serialised records."""

    def test_events_are_listed_per_agency_in_order(self, storage: Storage) -> None:
        """list() returns an agency's events in the order appended, by subject when asked."""
        with storage.unit_of_work() as uow:
            for action, subject in (("added", "a-1"), ("cancelled", "a-2"), ("renewed", "a-1")):
                uow.events.append(AuditEvent(NOON, ACME, "user-ada", action, subject, None, "x"))
            uow.events.append(AuditEvent(NOON, GLOBEX, "api", "added", "a-9"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [e.action for e in uow.events.list(ACME)] == ["added", "cancelled", "renewed"]
            assert [e.action for e in uow.events.list(ACME, subject="a-1")] == ["added", "renewed"]
            assert len(uow.events.list(ACME, limit=2)) == 2

    def test_events_come_back_exactly_as_appended(self, storage: Storage) -> None:
        """An entry with quotes, line breaks, accents and an offset time reads back equal."""
        odd = AuditEvent(
            datetime(2024, 3, 1, 9, 30, 15, 123, tzinfo=timezone(timedelta(hours=-5))),
            ACME,
            'user "ada"',
            "invoice_issued",
            "invoice-\\1",
            "line one\nline two\t\u00e9\u2028",
            None,
        )
        with storage.unit_of_work() as uow:
            uow.events.append(odd)
            uow.events.append(AuditEvent(NOON, ACME, "billing", "invoice_paid", "i-2", None, "$1"))
            uow.commit()
        with storage.unit_of_work() as uow:
            found = uow.events.list(ACME)
        assert found == [odd, AuditEvent(NOON, ACME, "billing", "invoice_paid", "i-2", None, "$1")]
        assert found[0].at.utcoffset() == timedelta(hours=-5)

    def test_O6_saved_views_are_private_to_their_user(self, storage: Storage) -> None:
        """A user's views are listed by name; another user finds none of them."""
        expired = AccountQuery(status="expired")
        with storage.unit_of_work() as uow:
            uow.views.save(SavedView("view-1", ACME, "user-ada", "Expired", expired))
            uow.views.save(SavedView("view-2", ACME, "user-ada", "All", AccountQuery()))
            uow.views.save(
                SavedView("view-3", ACME, "user-ada", "Expired", AccountQuery(plan="trial"))
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [v.name for v in uow.views.list(ACME, "user-ada")] == ["All", "Expired"]
            assert uow.views.get(ACME, "user-ada", "Expired").query.plan == "trial"
            assert uow.views.list(ACME, "user-bob") == []
            with pytest.raises(NotFound):
                uow.views.get(ACME, "user-bob", "Expired")
            uow.views.remove(ACME, "user-ada", "All")
            with pytest.raises(NotFound):
                uow.views.remove(ACME, "user-ada", "All")

    def test_access_records_are_single_use_when_taken(self, storage: Storage) -> None:
        """take() hands a record out once; add() refuses a used nonce."""
        token = AccessRecord("reset", "digest-1", ACME, "account-north", "", NOON)
        with storage.unit_of_work() as uow:
            uow.tokens.put(token)
            uow.tokens.add(AccessRecord("sso_nonce", "n-1", ACME, "account-north", ""))
            with pytest.raises(AlreadyExists):
                uow.tokens.add(AccessRecord("sso_nonce", "n-1", ACME, "account-north", ""))
            uow.commit()
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            assert first.tokens.take("reset", "digest-1") == token
            assert first.tokens.take("reset", "digest-1") is None
            assert second.tokens.take("reset", "digest-1") == token
            first.commit()
            with pytest.raises(Conflict):
                second.commit()

    def test_S6_increment_counts_at_once_outside_the_unit_of_work(self, storage: Storage) -> None:
        """increment() answers 1, 2, 3 across units of work, seen before any commit."""
        counter = AccessRecord("login_failures", "north-bakery", ACME, "account-north", "")
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            counts = [
                first.tokens.increment(counter, at=NOON),
                second.tokens.increment(counter, at=NOON),
            ]
            first.rollback()
            counts.append(first.tokens.increment(counter, at=NOON))
        with storage.unit_of_work() as uow:
            stored = uow.tokens.get("login_failures", "north-bakery")

        assert counts == [1, 2, 3]
        assert stored == attrs.evolve(counter, data="3")

    def test_S6_increment_starts_again_after_expiry_or_a_put(self, storage: Storage) -> None:
        """An expired count, or one put back to "0", counts from 1 again."""
        counter = AccessRecord("login_failures", "north-bakery", ACME, "account-north", "")
        lasting = attrs.evolve(counter, expires_at=NOON + timedelta(minutes=5))
        with storage.unit_of_work() as uow:
            counts = [uow.tokens.increment(lasting, at=NOON) for _ in range(2)]
            counts.append(uow.tokens.increment(lasting, at=NOON + timedelta(minutes=5)))
            uow.tokens.put(attrs.evolve(counter, data="0"))
            uow.commit()
        with storage.unit_of_work() as uow:
            counts.append(uow.tokens.increment(counter, at=NOON))
            uow.tokens.put(attrs.evolve(counter, data="a password hash"))
            uow.commit()
        with storage.unit_of_work() as uow:
            counts.append(uow.tokens.increment(counter, at=NOON))

        assert counts == [1, 2, 1, 1, 1]

    def test_S6_concurrent_increments_each_get_their_own_count(self, storage: Storage) -> None:
        """Twenty threads incrementing one count get 1..20, each once."""
        counter = AccessRecord("login_failures", "north-bakery", ACME, "account-north", "")

        def increment(_index: int) -> int:
            with storage.unit_of_work() as uow:
                return uow.tokens.increment(counter, at=NOON)

        outcomes = race_threads(20, increment)

        assert sorted(o.value for o in outcomes) == list(range(1, 21)), tally(outcomes)

    def test_expired_access_records_are_purged(self, storage: Storage) -> None:
        """purge() removes records expired before the limit, never those without expiry."""
        with storage.unit_of_work() as uow:
            uow.tokens.put(AccessRecord("reset", "old", ACME, "a", "", NOON))
            uow.tokens.put(AccessRecord("credentials", "a", ACME, "a", "hash"))
            assert uow.tokens.purge(NOON + timedelta(hours=2)) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.tokens.get("reset", "old") is None
            assert uow.tokens.get("credentials", "a") is not None

    def test_records_keep_their_natural_key_unique(self, storage: Storage) -> None:
        """A payout month is stored once; records update with a version check."""
        payout = Record("payout-1", ACME, "2024-05", "sent", "{}", key="agency-acme/2024-05")
        with storage.unit_of_work() as uow:
            uow.payouts.add(payout)
            with pytest.raises(AlreadyExists):
                uow.payouts.add(attrs.evolve(payout, id="payout-2"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.payouts.by_key("agency-acme/2024-05") == payout
            stored = uow.payouts.update(attrs.evolve(payout, status="paid"))
            with pytest.raises(VersionConflict):
                uow.payouts.update(payout)
            assert [r.status for r in uow.payouts.list(ACME, subject="2024-05")] == ["paid"]
            assert stored.version == 1
            with pytest.raises(NotFound):
                uow.payouts.get(GLOBEX, "payout-1")
            assert uow.transfers.list(ACME) == []

    def test_credit_notes_are_records_of_their_own_with_unique_numbers(
        self, storage: Storage
    ) -> None:
        """Credit notes are a kind of record apart: a number's key is taken once, at once
        or by a unit of work that committed first, and other kinds never list them."""
        note = Record("credit-note-1", ACME, "invoice-1", "credited", "{}", key=f"{ACME}/CN-1")
        with storage.unit_of_work() as uow:
            uow.credit_notes.add(note)
            with pytest.raises(AlreadyExists):
                uow.credit_notes.add(attrs.evolve(note, id="credit-note-2"))
            uow.commit()
        first, second = storage.unit_of_work(), storage.unit_of_work()
        with first, second:
            first.credit_notes.add(attrs.evolve(note, id="credit-note-3", key=f"{ACME}/CN-2"))
            second.credit_notes.add(attrs.evolve(note, id="credit-note-4", key=f"{ACME}/CN-2"))
            first.commit()
            with pytest.raises(AlreadyExists):
                second.commit()
        with storage.unit_of_work() as uow:
            listed = uow.credit_notes.list(ACME, subject="invoice-1")
            assert [r.id for r in listed] == ["credit-note-1", "credit-note-3"]
            assert uow.credit_notes.by_key(f"{ACME}/CN-1") == note
            assert uow.payouts.list(ACME) == uow.transfers.list(ACME) == []
            with pytest.raises(NotFound):
                uow.credit_notes.get(GLOBEX, "credit-note-1")

    def test_F2_a_profiles_top_up_of_a_month_is_stored_once(self, storage: Storage) -> None:
        """Top-up records are a kind of their own: a month's key is stored once, and
        policies are listed by status."""
        key = "top-up:card-main:2024-05"
        month = Record(key, ACME, "card-main", "planned", "{}", key=key)
        policy = Record("policy:card-main", ACME, "card-main", "on", "{}")
        with storage.unit_of_work() as uow:
            uow.top_ups.add(month)
            uow.top_ups.add(policy)
            with pytest.raises(AlreadyExists):
                uow.top_ups.add(attrs.evolve(month, id="again"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.top_ups.by_key(key) == month
            assert uow.top_ups.list(ACME, status="on") == [policy]
            assert uow.payouts.by_key(key) is None
            assert uow.top_ups.list(GLOBEX) == []


class StorageContract(
    UnitOfWorkContract,
    AgenciesContract,
    AccountsContract,
    BillingProfilesContract,
    InvoicesContract,
    LedgerContract,
    IdempotencyContract,
    EventsViewsTokensRecordsContract,
    EventFeedContract,
):
    """Every storage contract at once; needs a ``storage`` fixture (a fresh storage)."""
