"""The portal half of the hostile-input suite: every public command of
:class:`~resell_core.service.portal.PartnerPortal`, every field, every hostile value (E1).

For each command, a fresh portal on the host's storage is filled with a small agency
(:func:`build_world`: ACME-DIGITAL, its card, a portal user with a saved view, a paid and a
trial account, a paid invoice, a transfer request, a single sign-on ticket and a reset
token). The command's good arguments (:data:`COMMANDS`) are then changed one field at a
time to each hostile value of the field's intended type, read from its annotation
(:data:`~resell_core.testing.hostile.HOSTILE`, then values drawn from
:func:`~resell_core.testing.strategies.hostile_values`); fields of the library's input
classes (``new.name``, ``query.limit``, ``branding.mode``) one by one too. Every call must
be refused with a coded :class:`~resell_core.errors.ResellError` and change nothing
(:func:`~resell_core.testing.hostile.run_cases`). Last, the good arguments themselves are
called once, and must be accepted: proof that the refusals were the hostile values' doing.

A host runs it on its own storage::

    report = run_portal_suite(lambda: MyStorage(...))
    assert not report.failures, report.details()

With ``scoped=True`` the agency's commands go through a handle on the agency instead
(:meth:`~resell_core.service.portal.PartnerPortal.for_agency`), which takes the hostile
agency ids and actors; each case must end as it does on the portal.

Values a field legitimately takes (None where the annotation allows it, an empty reason,
text that only looks like SQL in a free-text field) are not hostile there and are left
out, each with its reason in :data:`COMMANDS`. Cases known to fail for a reason outside
the portal are marked with it (:data:`KNOWN`), reported apart and never silently
skipped.
"""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, settings

from resell_core.adapters.notifier import RecordingNotifier
from resell_core.billing.credit_notes import CreditLine
from resell_core.billing.notices import NoticeKind
from resell_core.billing.top_ups import TopUpPolicy
from resell_core.errors import ResellError
from resell_core.lifecycle.account_query import AccountQuery
from resell_core.lifecycle.branding import Branding
from resell_core.lifecycle.lockout import LoginOutcome, LoginResult
from resell_core.lifecycle.names import NameCheck
from resell_core.lifecycle.reset import RESET_ANSWER
from resell_core.lifecycle.validation import NewAccount
from resell_core.money import Money
from resell_core.ports import Storage
from resell_core.pricing.price_book import MigrationDiscount
from resell_core.pricing.selection import PlanSelection
from resell_core.service.portal import AgencyPortal, PartnerPortal
from resell_core.testing.hostile import (
    HOSTILE,
    CaseResult,
    Hostile,
    HostileCase,
    HostileReport,
    Intended,
    hostile,
    run_case,
    snapshot,
)
from resell_core.testing.portal import SAMPLE_START
from resell_core.testing.strategies import hostile_values

__all__ = [
    "COMMANDS",
    "KNOWN",
    "Build",
    "CommandSpec",
    "World",
    "build_world",
    "run_command_suite",
    "run_portal_suite",
    "untested_commands",
]


@attrs.frozen
class World:
    """A portal holding one small agency, and the ids its commands' good arguments use."""

    portal: PartnerPortal
    agency_id: str
    referral_code: str
    card_id: str
    user_id: str
    view_name: str
    account_id: str
    account_name: str
    password: str
    trial_id: str
    disabled_id: str
    cancelled_id: str
    downgrading_id: str
    spare_card_id: str
    invoice_id: str
    request_id: str
    ticket: str
    reset_token: str
    credit_note_id: str = ""


PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
STARTER = PlanSelection("V3", "marketing", "starter", 500, "monthly")
TRIAL = PlanSelection("V1", "EM", "trial")
BRANDING = Branding("https://cdn.acme.test/logo.png", "#0A3D62", "#F8C291", "Acme Mail")


def _form(name: str, plan: PlanSelection, profile_id: str | None) -> NewAccount:
    return NewAccount(
        name=name,
        client_name="North Bakery",
        notification_email="bakery@acme.test",
        country="DE",
        language="de",
        timezone="Europe/Berlin",
        plan=plan,
        billing_profile_id=profile_id,
    )


def build_world(storage: Storage) -> World:
    """Fill a portal on ``storage`` (given empty) with ACME-DIGITAL and what its commands
    act on."""
    portal = PartnerPortal.embedded(start=SAMPLE_START, storage=storage)
    acme = portal.register_agency(
        "Acme Digital", "ops@acme.test", "USD", reseller_rate="0.2", referral_code="ACME-DIGITAL"
    )
    card, spare = (
        portal.add_billing_profile(
            acme.id,
            label=label,
            card_token=token,
            brand="visa",
            last4=last4,
            exp_month=month,
            exp_year=year,
        )
        for label, token, last4, month, year in (
            ("Main Visa", "tok_ok", "4242", 12, 2030),
            ("Spare Visa", "tok_ok_spare", "1881", 11, 2031),
        )
    )
    user = portal.add_portal_user(acme.id, "ada@acme.test", "Ada Lovelace")
    portal.save_view(acme.id, user.id, "Paid", AccountQuery(plan="plus"))
    bakery = portal.add_account(acme.id, _form("north-bakery", PLUS, card.id))
    trial = portal.add_account(acme.id, _form("rose-florist", TRIAL, None))
    disabled = portal.add_account(acme.id, _form("yoga-loft", PLUS, card.id))
    cancelled = portal.add_account(acme.id, _form("hill-gym", PLUS, card.id))
    downgrading = portal.add_account(acme.id, _form("fast-garage", PLUS, card.id))
    portal.process_provisioning()
    portal.disable_account(acme.id, disabled.account.id, "Unpaid invoice: call ACME")
    portal.cancel_account(acme.id, cancelled.account.id, "closed the gym")
    portal.edit_account(acme.id, downgrading.account.id, plan=STARTER)
    purchase = portal.buy_credits(acme.id, "prepaid", "50.00", card.id)
    portal.buy_credits(acme.id, "sms", 100, card.id)
    note = portal.credit_invoice(
        acme.id,
        purchase.invoice.id,
        (CreditLine(0, amount=Money("10.00", "USD")),),
        reason="ordered twice",
    )
    portal.assign_credits(acme.id, bakery.account.id, "sms", 20)  # for the usage reports (C7)
    request = portal.request_transfer(acme.id, "old-print-shop", "owner@old-print-shop.test")
    ticket = portal.login_as(acme.id, bakery.account.id)
    portal.agency_reset_password(acme.id, trial.account.id)
    notifier = portal.notifier
    assert isinstance(notifier, RecordingNotifier)
    [reset] = notifier.of_kind(NoticeKind.PASSWORD_RESET)
    token = reset.body.split("token=", 1)[1].split()[0]
    assert bakery.password is not None
    return World(
        portal=portal,
        agency_id=acme.id,
        referral_code="ACME-DIGITAL",
        card_id=card.id,
        user_id=user.id,
        view_name="Paid",
        account_id=bakery.account.id,
        account_name=bakery.account.name,
        password=bakery.password,
        trial_id=trial.account.id,
        disabled_id=disabled.account.id,
        cancelled_id=cancelled.account.id,
        downgrading_id=downgrading.account.id,
        spare_card_id=spare.id,
        invoice_id=purchase.invoice.id,
        request_id=request.id,
        ticket=ticket,
        reset_token=token,
        credit_note_id=note.id,
    )


@attrs.frozen
class Build:
    """An input-class argument, built from keyword arguments at call time (so that its
    fields get hostile values one at a time)."""

    cls: type
    kwargs: Mapping[str, object]

    def make(self) -> object:
        """Build the instance (its own checks may refuse a hostile field)."""
        return self.cls(
            **{k: v.make() if isinstance(v, Build) else v for k, v in self.kwargs.items()}
        )


def _plan(selection: PlanSelection) -> Build:
    return Build(
        PlanSelection,
        {
            "version": selection.version,
            "product": selection.product,
            "tier": selection.tier,
            "contacts": selection.contacts,
            "frequency": selection.frequency,
            "limits": dict(selection.limits),
            "addons": list(selection.addons),
        },
    )


def _new(name: str, plan: PlanSelection, profile_id: str | None) -> Build:
    form = _form(name, plan, profile_id)
    fields = {f.name: getattr(form, f.name) for f in attrs.fields(NewAccount)}
    return Build(NewAccount, {**fields, "plan": _plan(plan)})


_BRANDING = Build(
    Branding,
    {
        "logo_url": BRANDING.logo_url,
        "primary_colour": BRANDING.primary_colour,
        "accent_colour": BRANDING.accent_colour,
        "product_name": BRANDING.product_name,
        "mode": "branded",
    },
)


def _query(**changes: object) -> Build:
    return Build(AccountQuery, {"plan": "plus", "search": "bakery", "limit": 10, **changes})


Valid = Callable[[object], bool]
"""Tells whether a hostile value is a value the field legitimately takes."""


def _free_text(value: object) -> bool:
    """Text that only looks hostile: SQL-looking words or a percent sign are plain text in
    a free-text field (stored as given, never run)."""
    return value in ("'; DROP TABLE accounts; --", "%", "_", "\\", "' OR '1'='1", '""')


def _blank(value: object) -> bool:
    """An empty or blank text, which the field takes as "none given"."""
    return isinstance(value, str) and not value.strip() and value.isprintable()


def _either(*valid: Valid) -> Valid:
    return lambda value: any(v(value) for v in valid)


@attrs.frozen
class CommandSpec:
    """One public command: its good arguments and what its fields legitimately take.

    Attributes:
        name: The method of :class:`PartnerPortal`.
        args: The good keyword arguments, from the world.
        valid: Per field (dotted for input classes' fields), the hostile values that are
            good values there (the predicate's docstring says why). A command that
            changes state is not called with them; one that ``reads`` is, and may answer.
        reads: True for a command that changes nothing even when it accepts.
        good_refusal: The code the good arguments are refused with, for a command that
            needs a state no account of the world is in (None: they are accepted).
    """

    name: str
    args: Callable[[World], Mapping[str, object]]
    valid: Mapping[str, Valid] = attrs.field(factory=dict)
    reads: bool = False
    good_refusal: str | None = None


def _empty(value: object) -> bool:
    """An empty list or mapping, where none chosen is a good choice (no limits, no add-ons,
    no filters)."""
    return isinstance(value, list | dict) and not value


def _nothing(value: object) -> bool:
    """The empty text, which the field reads as "none given" (like None)."""
    return value == ""


def _ignored(value: object) -> bool:
    """Any text: the command sets the field itself (a referred account never has a
    billing profile of the agency, K3)."""
    return isinstance(value, str)


def _a_day_before_the_world(value: object) -> bool:
    """A day before the sample's start: a run until then has nothing left to bill, and
    catching up on past days is what a run is for."""
    return type(value) is date and value <= SAMPLE_START


def _within_ten_years(value: object) -> bool:
    """A day from the sample's start to ten years on: what billing runs until then issue
    is an answer."""
    return type(value) is date and SAMPLE_START <= value < date(2034, 4, 11)


def _forecast_months(value: object) -> bool:
    """A forecast of 1 to 120 months is an answer."""
    return type(value) is int and 1 <= value <= 120


def _usage_days(value: object) -> bool:
    """A rate of unit-credit use over 1 to 366 days is an answer."""
    return type(value) is int and 1 <= value <= 366


def _any_text(value: object) -> bool:
    """Any text, for a read that filters by it: an answer is right (and nothing changes)."""
    return isinstance(value, str)


def _the_start(value: object) -> bool:
    """Zero, the feed's start: a cursor before every event."""
    return type(value) is int and value == 0


_A = "agency_id"
_WRITE: Mapping[str, Valid] = {"actor": _free_text, "idempotency_key": _free_text}
_WHY = _either(_free_text, _blank)
_PLAN = {"limits": _empty, "addons": _empty}


def _nested(prefix: str, valid: Mapping[str, Valid]) -> dict[str, Valid]:
    return {f"{prefix}.{name}": check for name, check in valid.items()}


def _on(
    account: Callable[[World], str], **more: Callable[[World], object]
) -> Callable[[World], Mapping[str, object]]:
    def args(w: World) -> Mapping[str, object]:
        return {_A: w.agency_id, "account_id": account(w), **{k: f(w) for k, f in more.items()}}

    return args


def _bakery(w: World) -> str:
    return w.account_id


def _r(name: str, args: Callable[[World], Mapping[str, object]], **valid: Valid) -> CommandSpec:
    """A command that only reads."""
    return CommandSpec(name, args, valid, reads=True)


def _w(
    name: str,
    args: Callable[[World], Mapping[str, object]],
    valid: Mapping[str, Valid] | None = None,
    good_refusal: str | None = None,
) -> CommandSpec:
    """A command that changes state."""
    return CommandSpec(name, args, {**_WRITE, **(valid or {})}, good_refusal=good_refusal)


COMMANDS: tuple[CommandSpec, ...] = (
    # A handle names an agency and reads nothing: any text is one, its calls judge it.
    _r(
        "for_agency",
        lambda w: {_A: w.agency_id, "actor": "user-ada"},
        agency_id=_any_text,
        actor=_any_text,
    ),
    _w(
        "register_agency",
        lambda w: {
            "name": "Globex",
            "email": "ops@globex.test",
            "currency": "USD",
            "reseller_rate": "0.1",
            "referral_code": "GLOBEX",
            "paypal_email": "pay@globex.test",
        },
        {"name": _free_text, "reseller_rate": lambda v: v == 0, "referral_code": _nothing},
    ),
    _r("agency", lambda w: {_A: w.agency_id}),
    _w(
        "add_portal_user",
        lambda w: {_A: w.agency_id, "email": "grace@acme.test", "name": "Grace Hopper"},
        {"name": _free_text},
    ),
    _r("portal_users", lambda w: {_A: w.agency_id}),
    _w(
        "update_commission_settings",
        lambda w: {_A: w.agency_id, "paypal_email": "payouts@acme.test"},
        {"paypal_email": _nothing},
    ),
    _w(
        "update_tax_details",
        lambda w: {_A: w.agency_id, "country": "DE", "tax_id": "DE123456789"},
    ),
    _w(
        "add_billing_profile",
        lambda w: {
            _A: w.agency_id,
            "label": "Office Amex",
            "card_token": "tok_ok_office",
            "brand": "amex",
            "last4": "0005",
            "exp_month": 11,
            "exp_year": 2031,
        },
        {"label": _free_text},
    ),
    _w(
        "update_billing_profile",
        lambda w: {_A: w.agency_id, "profile_id": w.card_id, "label": "Office Visa"},
        {"label": _free_text},
    ),
    _r("billing_profiles", lambda w: {_A: w.agency_id}),
    _w("delete_billing_profile", lambda w: {_A: w.agency_id, "profile_id": w.spare_card_id}),
    _r(
        "quote",
        lambda w: {
            _A: w.agency_id,
            "selection": _plan(PLUS),
            "migration": Build(MigrationDiscount, {"rate": Decimal("0.5"), "cycles": 2}),
        },
        **_nested("selection", _PLAN),
        **{"migration.rate": lambda v: v == 0},
    ),
    _r("check_account_name", lambda w: {"name": "lake-cafe"}),
    _w(
        "add_account",
        lambda w: {_A: w.agency_id, "new": _new("lake-cafe", PLUS, w.card_id)},
        {
            "new.client_name": _free_text,
            "new.custom_domain": _nothing,
            **_nested("new.plan", _PLAN),
        },
    ),
    _w("process_provisioning", lambda w: {}),
    _r("account", _on(_bakery)),
    _w(
        "edit_account",
        _on(_bakery, notification_email=lambda w: "billing@acme.test"),
        {"custom_domain": _nothing, **_nested("plan", _PLAN)},
    ),
    _r(
        "preview_change",
        _on(
            _bakery,
            plan=lambda w: _plan(STARTER),
            billing_profile_id=lambda w: w.spare_card_id,
            on=lambda w: SAMPLE_START,
        ),
        **_nested("plan", _PLAN),
    ),
    _w("withdraw_pending_change", _on(lambda w: w.downgrading_id)),
    _w(
        "change_plan",
        _on(
            lambda w: w.trial_id, plan=lambda w: _plan(PLUS), billing_profile_id=lambda w: w.card_id
        ),
        _nested("plan", _PLAN),
    ),
    _w("cancel_account", _on(_bakery, reason=lambda w: "closed the shop"), {"reason": _WHY}),
    _w("disable_account", _on(_bakery, message=lambda w: "Please call ACME"), {"message": _WHY}),
    _w("enable_account", _on(lambda w: w.disabled_id)),
    _w("archive_account", _on(lambda w: w.cancelled_id)),
    _w("renew_account", _on(lambda w: w.cancelled_id, billing_profile_id=lambda w: w.card_id)),
    _w(
        "set_branding",
        _on(_bakery, branding=lambda w: _BRANDING),
        {"branding.product_name": _free_text},
    ),
    _w("remove_branding", _on(_bakery)),
    _w("create_snapshot", _on(_bakery, label=lambda w: "Spring template"), {"label": _free_text}),
    _w("share_template", _on(_bakery, share_link=lambda w: "https://share.acme.test/t/spring")),
    _w(
        "request_transfer",
        lambda w: {
            _A: w.agency_id,
            "hosted_account": "lake-cafe",
            "admin_email": "owner@lake-cafe.test",
            "agency_email": "ops@acme.test",
        },
        {"agency_email": _nothing},
    ),
    _r("transfer_request", lambda w: {_A: w.agency_id, "request_id": w.request_id}),
    _w(
        "confirm_transfer",
        lambda w: {
            _A: w.agency_id,
            "request_id": w.request_id,
            "account": _new("old-print-shop", PLUS, w.card_id),
            "starts_on": SAMPLE_START + timedelta(days=9),
        },
        {
            "account.client_name": _free_text,
            "account.custom_domain": _nothing,
            **_nested("account.plan", _PLAN),
        },
    ),
    _w("reject_transfer", lambda w: {_A: w.agency_id, "request_id": w.request_id}),
    _w("request_removal", _on(_bakery, client_email=lambda w: "owner@north-bakery.test")),
    _w("login_as", _on(_bakery, valid_for=lambda w: timedelta(seconds=30))),
    _w("verify_sso_ticket", _on(_bakery, ticket=lambda w: w.ticket)),
    _w(
        "login",
        lambda w: {"account_name": w.account_name, "password": w.password},
        {"password": _any_text},
    ),
    _w(
        "request_password_reset",
        lambda w: {"account_name": w.account_name, "email": "bakery@acme.test"},
    ),
    _w("agency_reset_password", _on(_bakery)),
    _w(
        "complete_password_reset",
        lambda w: {"token": w.reset_token, "new_password": "a long new secret"},
        {"new_password": _free_text},
    ),
    _r(
        "accounts",
        lambda w: {_A: w.agency_id, "query": _query()},
        **{"query.filters": _empty, "query.search": _WHY},
    ),
    _w(
        "save_view",
        lambda w: {
            _A: w.agency_id,
            "user_id": w.user_id,
            "name": "Trials",
            "query": _query(plan="trial"),
        },
        {"name": _free_text, "query.search": _WHY, "query.filters": _empty},
    ),
    _r("views", lambda w: {_A: w.agency_id, "user_id": w.user_id}),
    _r("open_view", lambda w: {_A: w.agency_id, "user_id": w.user_id, "name": w.view_name}),
    _w("delete_view", lambda w: {_A: w.agency_id, "user_id": w.user_id, "name": w.view_name}),
    _r(
        "events",
        lambda w: {_A: w.agency_id, "subject": w.account_id, "limit": 5},
        subject=_any_text,
    ),
    _r(
        "feed",
        lambda w: {_A: w.agency_id, "after": 1, "limit": 5},
        after=_the_start,
    ),
    _r(
        "acknowledged",
        lambda w: {_A: w.agency_id, "consumer": "webhooks"},
        consumer=_free_text,
    ),
    _w(
        "acknowledge",
        lambda w: {_A: w.agency_id, "consumer": "webhooks", "cursor": 1},
        {"consumer": _free_text, "cursor": _the_start},
    ),
    _w("purge_expired", lambda w: {}),
    _w(
        "run_billing",
        lambda w: {"until": SAMPLE_START, "page_size": 50},
        {"until": _a_day_before_the_world},
    ),
    _r(
        "invoices",
        lambda w: {_A: w.agency_id, "account_id": w.account_id, "status": "paid"},
        account_id=_any_text,
    ),
    _r("invoice", lambda w: {_A: w.agency_id, "invoice_id": w.invoice_id}),
    _w("pay_invoice", lambda w: {_A: w.agency_id, "invoice_id": w.invoice_id}),
    # The world's invoices are paid: none has a charge in flight to confirm.
    _w(
        "confirm_payment",
        lambda w: {_A: w.agency_id, "invoice_id": w.invoice_id},
        good_refusal="invalid_input",
    ),
    _w(
        "buy_credits",
        lambda w: {
            _A: w.agency_id,
            "kind": "sms",
            "quantity": 100,
            "billing_profile_id": w.card_id,
            "account_id": w.account_id,
        },
    ),
    _w(
        "assign_credits",
        lambda w: {_A: w.agency_id, "account_id": w.account_id, "kind": "sms", "quantity": 10},
    ),
    _w(
        "record_usage",
        lambda w: {
            _A: w.agency_id,
            "account_id": w.account_id,
            "kind": "sms",
            "count": 5,
            "usage_id": "sms-2024-04-11-0001",
        },
        {"usage_id": _free_text},
    ),
    _r("balances", lambda w: {_A: w.agency_id, "account_id": w.account_id}),
    _r(
        "credit_history",
        lambda w: {_A: w.agency_id, "kind": "prepaid", "account_id": w.account_id},
        account_id=_any_text,
    ),
    _w(
        "credit_invoice",
        lambda w: {
            _A: w.agency_id,
            "invoice_id": w.invoice_id,
            "reason": "the client left",
            "to": "card",
        },
        {"reason": _free_text},
    ),
    _r("credit_note", lambda w: {_A: w.agency_id, "credit_note_id": w.credit_note_id}),
    _r("credit_notes", lambda w: {_A: w.agency_id, "invoice_id": w.invoice_id}),
    _w("reconcile_refund", lambda w: {_A: w.agency_id, "credit_note_id": w.credit_note_id}),
    _r("billing_history", lambda w: {_A: w.agency_id, "account_id": w.account_id}),
    _w(
        "refer_account",
        lambda w: {"referral_code": w.referral_code, "new": _new("lake-cafe", PLUS, None)},
        {
            "new.client_name": _free_text,
            "new.custom_domain": _nothing,
            "new.billing_profile_id": _ignored,
            **_nested("new.plan", _PLAN),
        },
    ),
    _r("commission_statement", lambda w: {_A: w.agency_id, "month": SAMPLE_START}),
    _w("pay_commissions", lambda w: {"month": SAMPLE_START}),
    _r(
        "upcoming",
        lambda w: {_A: w.agency_id, "until": SAMPLE_START + timedelta(days=40)},
        until=_within_ten_years,
    ),
    _r(
        "forecast",
        lambda w: {_A: w.agency_id, "months": 3, "usage_days": 30},
        months=_forecast_months,
        usage_days=_usage_days,
    ),
    _w(
        "set_top_up_policy",
        lambda w: {
            _A: w.agency_id,
            "billing_profile_id": w.card_id,
            "policy": Build(TopUpPolicy, {"day": 5}),
        },
    ),
    _r("top_up_policy", lambda w: {_A: w.agency_id, "billing_profile_id": w.card_id}),
    _w("run_top_ups", lambda w: {"on": SAMPLE_START}, {"on": _a_day_before_the_world}),
)
"""Every public command of the portal with good arguments on a :func:`build_world`."""


KNOWN: Mapping[tuple[str, str], tuple[Valid, str]] = {}
"""Cases known to fail for a reason outside the portal's own checks: per (command, field),
which values, and why. They are run and reported apart, never skipped, and a known case
that passes is a failure, so that a mark never outlives its reason. None today."""


def untested_commands() -> list[str]:
    """Return the public commands of :class:`PartnerPortal` that :data:`COMMANDS` lacks."""
    named = {spec.name for spec in COMMANDS}
    return [
        name
        for name, member in vars(PartnerPortal).items()
        if not name.startswith("_") and inspect.isfunction(member) and name not in named
    ]


# -- fields and their intended types ----------------------------------------------------


def _init_hints(cls: type) -> dict[str, Any]:
    init = vars(cls).get("__init__")
    if init is not None and not getattr(init, "__qualname__", "").startswith("__create_fn__"):
        try:
            return typing.get_type_hints(init)
        except NameError:
            pass
    return typing.get_type_hints(cls)


def _members(hint: object) -> tuple[object, ...]:
    if typing.get_origin(hint) in (typing.Union, __import__("types").UnionType):
        return typing.get_args(hint)
    return (hint,)


_INTENDED_BY_TYPE: tuple[tuple[type, Intended], ...] = (
    (datetime, Intended.DATETIME),
    (date, Intended.DATE),
    (timedelta, Intended.DURATION),
    (bool, Intended.FLAG),
    (int, Intended.QUANTITY),
    (str, Intended.TEXT),
)
"""What a parameter of one of these types (in the order tried) is meant to be."""


def _intended(hint: object) -> Intended:
    members = _members(hint)
    if any(m in (Decimal, Money) for m in members):
        return Intended.AMOUNT
    if any(isinstance(m, type) and issubclass(m, enum.Enum) for m in members):
        return Intended.CHOICE
    for kind, intended in _INTENDED_BY_TYPE:
        if kind in members:
            return intended
    return Intended.OBJECT


def _takes_none(hint: object) -> bool:
    return type(None) in _members(hint) or hint is None


@attrs.frozen
class _Field:
    path: str
    hint: object


def _fields(
    args: Mapping[str, object], hints: Mapping[str, object], prefix: str
) -> Iterator[_Field]:
    for name, hint in hints.items():
        if name == "return":
            continue
        yield _Field(prefix + name, hint)
        value = args.get(name)
        if isinstance(value, Build):
            yield from _fields(value.kwargs, _init_hints(value.cls), f"{prefix}{name}.")


def _replaced(args: Mapping[str, object], path: str, value: object) -> dict[str, object]:
    head, _, rest = path.partition(".")
    changed = dict(args)
    if rest:
        inner = args[head]
        assert isinstance(inner, Build)
        changed[head] = Build(inner.cls, _replaced(inner.kwargs, rest, value))
    else:
        changed[head] = value
    return changed


def _call(world: World, name: str, args: Mapping[str, object], scoped: bool = False) -> object:
    built = {k: v.make() if isinstance(v, Build) else v for k, v in args.items()}
    if scoped:
        for_agency: Callable[..., object] = world.portal.for_agency  # takes hostile values
        actor = {"actor": built.pop("actor")} if "actor" in built else {}
        return getattr(for_agency(built.pop(_A), **actor), name)(**built)
    return getattr(world.portal, name)(**built)


def _has_handle(spec: CommandSpec) -> bool:
    """True for a command of one agency, which a handle on the agency offers too."""
    return hasattr(AgencyPortal, spec.name)


def _refusal(answer: object) -> str | None:
    """The answers that are a command's own coded refusal: a login not accepted,
    a name check listing problems, and the reset request's one answer (S4: it never tells
    whether anything was sent, so that, with nothing changed, is a refusal)."""
    outcome = answer.outcome if isinstance(answer, LoginResult) else answer
    if isinstance(outcome, LoginOutcome) and outcome is not LoginOutcome.ACCEPTED:
        return f"login_{outcome.value}"
    if isinstance(answer, NameCheck) and not answer.ok:
        return "name_not_ok"
    if answer == RESET_ANSWER:
        return "reset_answer"
    return None


def _known(command: str, field: str, value: object) -> str | None:
    entry = KNOWN.get((command, field))
    return entry[1] if entry is not None and entry[0](value) else None


class _Run:
    """One command's run: its world (rebuilt when a case changed it), and the results."""

    def __init__(
        self, spec: CommandSpec, storage: Callable[[], Storage], scoped: bool = False
    ) -> None:
        self.spec = spec
        self.storage = storage
        self.scoped = scoped
        self.world = build_world(storage())
        self.args = spec.args(self.world)
        hints = typing.get_type_hints(getattr(PartnerPortal, spec.name))
        self.fields = list(_fields(self.args, hints, ""))
        self.state = snapshot(self.world.portal)
        self.results: list[CaseResult] = []

    def case(self, field: _Field, value: Hostile, known: str | None) -> HostileCase:
        changed = _replaced(self.args, field.path, value.value)
        return HostileCase(
            self.spec.name,
            field.path,
            value,
            lambda: _call(self.world, self.spec.name, changed, self.scoped),
            known,
            accepts=self.spec.reads and self.spec.valid.get(field.path, _never)(value.value),
        )

    def run(self, case: HostileCase) -> None:
        result, self.state = run_case(
            case, self.state, lambda: snapshot(self.world.portal), refusal=_refusal
        )
        self.results.append(result)
        if result.changed:
            # A case that changed the state is reported; the next ones start afresh, so
            # that it cannot make them fail (or pass) for its reason.
            self.world = build_world(self.storage())
            self.args = self.spec.args(self.world)
            self.state = snapshot(self.world.portal)

    def skips(self, field: _Field, value: object) -> bool:
        if value is None and _takes_none(field.hint):
            return True
        return not self.spec.reads and self.spec.valid.get(field.path, _never)(value)

    def table(self) -> None:
        for field in self.fields:
            for value in HOSTILE[_intended(field.hint)]:
                if not self.skips(field, value.value):
                    self.run(
                        self.case(field, value, _known(self.spec.name, field.path, value.value))
                    )

    def generated(self, examples: int) -> None:
        for field in self.fields:
            self._draw(field, examples)

    def _draw(self, field: _Field, examples: int) -> None:
        """Run ``examples`` cases of ``field`` with values Hypothesis draws (the same ones
        every run: derandomized, no example database)."""
        strategy = hostile_values(_intended(field.hint)).filter(lambda v: not self.skips(field, v))

        @settings(
            max_examples=examples,
            database=None,
            derandomize=True,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def draw(value: object) -> None:
            label = f"generated {hostile(value).label}"
            known = _known(self.spec.name, field.path, value)
            self.run(self.case(field, Hostile(label, value), known))

        draw()

    def good_call(self) -> CaseResult | None:
        """Call the good arguments on a fresh world: they must be accepted (or refused with
        the code the spec names, for a command no world account can take)."""
        world = build_world(self.storage())
        case = HostileCase(self.spec.name, "(good arguments)", hostile("good"), lambda: None)
        try:
            _call(world, self.spec.name, self.spec.args(world), self.scoped)
        except ResellError as error:
            if error.code == self.spec.good_refusal:
                return None
            return CaseResult(case, "coded", f"the good call was refused: {error}", ())
        except Exception as error:
            return CaseResult(case, "raw", f"the good call raised {error!r}", ())
        if self.spec.good_refusal is not None:
            return CaseResult(case, "accepted", "the good call was accepted", ())
        return None

    def report(self) -> HostileReport:
        known = tuple(r for r in self.results if r.case.known is not None)
        # A known case that passes has outlived its mark: it fails, until the mark goes.
        failures = tuple(r for r in self.results if (r.case.known is None) != r.passed)
        good = self.good_call()
        return HostileReport(
            len(self.results),
            sum(r.outcome == "coded" for r in self.results),
            sum(not r.changed for r in self.results),
            failures + ((good,) if good is not None else ()),
            known,
        )


def _never(_value: object) -> bool:
    return False


def run_command_suite(
    spec: CommandSpec, storage: Callable[[], Storage], *, examples: int = 3, scoped: bool = False
) -> HostileReport:
    """Run one command's cases on a world on ``storage()`` (an empty storage each call).

    The table's cases, then ``examples`` values drawn per field by Hypothesis, then the
    good arguments once on a fresh world (they must be accepted). With ``scoped``, through
    a handle on the agency (the command must be one of an agency).
    """
    run = _Run(spec, storage, scoped)
    run.table()
    if examples:
        run.generated(examples)
    return run.report()


def run_portal_suite(
    storage: Callable[[], Storage],
    *,
    examples: int = 3,
    commands: tuple[CommandSpec, ...] = COMMANDS,
    scoped: bool = False,
) -> HostileReport:
    """Run every command's cases, each on worlds of its own on new ``storage()``.

    Args:
        storage: Returns an empty storage each time it is called.
        examples: Values drawn by Hypothesis per field, besides the table's.
        commands: The commands to run (all by default).
        scoped: Run the commands of one agency through a handle on it
            (:meth:`~resell_core.service.portal.PartnerPortal.for_agency`), the hostile
            agency id and actor given to the handle; the others are left out.

    Returns:
        The counts of every case, the failures, and the known cases' results.
    """
    report = HostileReport()
    for spec in commands:
        if not scoped or _has_handle(spec):
            report += run_command_suite(spec, storage, examples=examples, scoped=scoped)
    return report
