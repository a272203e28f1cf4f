"""How a changed account and an event are built: fields read by name, frozen events."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from resell_core.lifecycle import AccountCancelled, AccountStatus
from resell_core.lifecycle import events as lifecycle_events
from resell_core.lifecycle.account import Account, account_values

EVENT_CLASSES = sorted(
    (
        value
        for value in vars(lifecycle_events).values()
        if isinstance(value, type) and issubclass(value, lifecycle_events.AccountEvent)
    ),
    key=lambda cls: cls.__name__,
)
"""Every account event class, the base included."""


def test_account_values_reads_every_field_of_account_in_init_order() -> None:
    """A field added to Account and not to account_values fails here, by name."""
    fields = [field for field in attrs.fields(Account) if field.init]
    marked = Account(**{field.name: f"<{field.name}>" for field in fields})  # type: ignore[arg-type]
    assert account_values(marked) == [f"<{field.name}>" for field in fields]


def test_an_event_refuses_writes() -> None:
    """An event is frozen: a field can be neither set nor deleted."""
    event = AccountCancelled(
        "acc-0000001", date(2024, 3, 20), AccountStatus.ACTIVE, AccountStatus.CANCELLED, "", None
    )
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.reason = "changed"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del event.reason
    assert event.reason == ""


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)
def test_every_event_class_is_frozen(cls: type[lifecycle_events.AccountEvent]) -> None:
    """Each event class refuses attribute writes, as attrs' frozen classes do."""
    assert attrs.has(cls)
    assert cls.__setattr__ is not object.__setattr__
    assert len(EVENT_CLASSES) == len(lifecycle_events.__all__)
