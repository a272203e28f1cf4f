"""Adding accounts through the portal: name check, package details, credentials once,
provisioning, snapshots (A1, A2, A10, A12, S3, R3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.ports import Storage

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
SANDBOX = rc.PlanSelection("V1", "EM", "sandbox")

Form = Callable[..., rc.NewAccount]


def test_A2_a_name_is_unique_across_agencies(
    portal: rc.PartnerPortal,
    globex: rc.Agency,
    add_active: Callable[..., rc.Account],
    form: Form,
    state: Callable[..., Any],
) -> None:
    """Once Acme holds north-bakery, Globex can neither check it free nor take it."""
    acme_id = add_active("north-bakery").agency_id
    before = state(acme_id, globex.id)

    check = portal.check_account_name("North-Bakery")
    with pytest.raises(rc.DuplicateName):
        portal.add_account(globex.id, form("north-bakery", rc.PlanSelection("V1", "EM", "trial")))

    assert not check.ok
    assert state(acme_id, globex.id) == before


def test_A2_the_name_check_reports_badly_formed_and_reserved_names(
    portal: rc.PartnerPortal,
) -> None:
    """A reserved or malformed name is refused before any lookup; a free one is fine."""
    assert not portal.check_account_name("www").ok
    assert not portal.check_account_name("-bakery-").ok
    assert portal.check_account_name("south-bakery").ok


def test_A10_the_quote_applies_the_agencys_reseller_discount(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """Acme's 20 % comes off the list value of the plus plan."""
    details = portal.quote(acme.id, PLUS)

    assert details.reseller_rate == Decimal("0.2")
    assert details.recurring == details.list_value - details.list_value.scaled(Decimal("0.2"))


def test_A12_the_password_is_handed_out_once_and_stored_only_hashed(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, form: Form
) -> None:
    """The result carries the password (hidden in its repr); storage holds a scrypt hash."""
    created = portal.add_account(acme.id, form("north-bakery", PLUS, card.id))

    assert created.password is not None
    assert created.password not in repr(created)
    assert created.username == "admin"
    with portal.storage.unit_of_work() as uow:
        stored = uow.tokens.get("credentials", "north-bakery")
    assert stored is not None
    assert stored.data.startswith("scrypt$")
    assert created.password not in stored.data


def test_A12_an_idempotent_replay_returns_the_account_without_the_password(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, form: Form
) -> None:
    """Replaying add_account with its key gives the same account and no password again."""
    first = portal.add_account(acme.id, form("north-bakery", PLUS, card.id), idempotency_key="a1")

    replay = portal.add_account(acme.id, form("north-bakery", PLUS, card.id), idempotency_key="a1")

    assert replay.account.id == first.account.id
    assert replay.password is None
    with portal.storage.unit_of_work() as uow:
        stored = uow.idempotency.get(acme.id, "a1")
    assert stored is not None
    assert first.password is not None
    assert first.password not in stored.result


def test_A12_the_account_is_creating_until_provisioning_reports_ready(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    form: Form,
    notifier: RecordingNotifier,
) -> None:
    """A paid account starts creating; when ready it is active, its term anchored that day."""
    created = portal.add_account(acme.id, form("north-bakery", PLUS, card.id))
    assert created.account.status is rc.AccountStatus.CREATING
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=2)

    portal.process_provisioning()

    ready = portal.account(acme.id, created.account.id)
    assert ready.status is rc.AccountStatus.ACTIVE
    assert (ready.anchor, ready.next_period) == (date(2024, 4, 13), 0)
    assert [n.kind for n in notifier.to("ops@acme.test")] == [rc.NoticeKind.ACCOUNT_READY]


def test_A12_a_failed_provisioning_charges_nothing_and_tells_the_agency(
    acme: rc.Agency, form: Form, fresh_storage: Callable[[], Storage]
) -> None:
    """A failed account expires, is never due for billing, and the agency hears why."""
    failing = rc.PartnerPortal(
        storage=fresh_storage(),
        gateway=rc.SimulatedGateway(),
        payouts=rc.SimulatedPayoutGateway(),
        notifier=rc.RecordingNotifier(),
        provisioner=rc.SimulatedProvisioner(failing_names={"broken-shop"}),
        clock=rc.ManualClock(rc.PartnerPortal.embedded().clock.now()),
        ids=rc.SequentialIds(),
        secrets=rc.SeededSecrets(1),
        sso_secret=b"s" * 32,
        policies=rc.Policies.embedded(),
    )
    agency = failing.register_agency("Acme Digital", "ops@acme.test", "USD")
    card = failing.add_billing_profile(
        agency.id,
        label="Main Visa",
        card_token="tok_ok",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
    )
    created = failing.add_account(agency.id, form("broken-shop", PLUS, card.id))

    failing.process_provisioning()

    account = failing.account(agency.id, created.account.id)
    assert account.status is rc.AccountStatus.EXPIRED
    with failing.storage.unit_of_work() as uow:
        assert uow.accounts.due(date(2030, 1, 1)) == []
        assert uow.invoices.list(agency.id) == []
    sent = failing.notifier
    assert isinstance(sent, rc.RecordingNotifier)
    assert [n.kind for n in sent.sent] == [rc.NoticeKind.PROVISIONING_FAILED]


def test_a_bad_form_reports_every_field_and_changes_nothing(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    form: Form,
    state: Callable[..., Any],
    notifier: RecordingNotifier,
) -> None:
    """A bad name, email and country are reported together; nothing is stored or started."""
    before = state(acme.id)

    with pytest.raises(rc.InvalidInput) as raised:
        portal.add_account(acme.id, form("www", notification_email="nope", country="XX"))

    assert {"name", "notification_email", "country"} <= {p.field for p in raised.value.problems}
    assert state(acme.id) == before
    assert portal.process_provisioning() == []
    assert notifier.sent == []


def test_a_paid_plan_needs_the_agencys_own_profile(
    portal: rc.PartnerPortal,
    globex: rc.Agency,
    card: rc.BillingProfile,
    form: Form,
    state: Callable[..., Any],
) -> None:
    """Globex cannot pay for a new account with Acme's card: NotFound, nothing stored."""
    before = state(card.agency_id, globex.id)

    with pytest.raises(rc.NotFound):
        portal.add_account(globex.id, form("globex-shop", PLUS, card.id))

    assert state(card.agency_id, globex.id) == before


def test_A1_an_account_is_created_from_the_agencys_snapshot(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: Callable[..., rc.Account],
    form: Form,
) -> None:
    """A snapshot of north-bakery seeds south-bakery, and the provisioner is told so."""
    source = add_active("north-bakery")
    snapshot = portal.create_snapshot(acme.id, source.id, "Bakery template")

    created = portal.add_account(
        acme.id, form("south-bakery", PLUS, card.id, snapshot_id=snapshot.id)
    )

    assert created.account.snapshot_id == snapshot.id
    provisioner = portal.provisioner
    assert isinstance(provisioner, rc.SimulatedProvisioner)
    assert provisioner.started[-1] == (created.account.id, "south-bakery", snapshot.id)


def test_A1_another_agencys_snapshot_is_not_found(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    globex: rc.Agency,
    add_active: Callable[..., rc.Account],
    form: Form,
) -> None:
    """Globex cannot create an account from Acme's snapshot."""
    source = add_active("north-bakery")
    snapshot = portal.create_snapshot(acme.id, source.id, "Bakery template")

    with pytest.raises(rc.NotFound):
        portal.add_account(
            globex.id,
            form("globex-shop", rc.PlanSelection("V1", "EM", "trial"), snapshot_id=snapshot.id),
        )


def test_another_agencys_account_is_not_found(
    portal: rc.PartnerPortal,
    globex: rc.Agency,
    add_active: Callable[..., rc.Account],
) -> None:
    """Globex reading, cancelling or signing into Acme's account gets NotFound."""
    bakery = add_active("north-bakery")

    with pytest.raises(rc.NotFound):
        portal.account(globex.id, bakery.id)
    with pytest.raises(rc.NotFound):
        portal.cancel_account(globex.id, bakery.id)
    with pytest.raises(rc.NotFound):
        portal.login_as(globex.id, bakery.id)


def test_R3_a_sandbox_never_takes_a_paid_plan(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: Callable[..., rc.Account],
    state: Callable[..., Any],
) -> None:
    """Edit with a paid plan on a sandbox raises SandboxNotConvertible; nothing changes."""
    sandbox = add_active("bakery-lab", SANDBOX)
    before = state(acme.id)

    with pytest.raises(rc.InvalidTransition):
        portal.edit_account(acme.id, sandbox.id, plan=PLUS, billing_profile_id=card.id)

    assert state(acme.id) == before
