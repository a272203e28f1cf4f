"""What the portal's commands return, beyond the domain's own values."""

from __future__ import annotations

import attrs

from resell_core.billing.invoices import Invoice
from resell_core.lifecycle.account import Account

__all__ = ["AccountCreated", "AccountEdited"]


@attrs.frozen
class AccountCreated:
    """A new account, being prepared, and its login handed out once (A12, S3).

    Attributes:
        account: The account, in status ``creating`` until provisioning reports ready.
        login_url: Where the account's users log in.
        username: The first user (``admin``).
        password: The generated password, shown here once and never again (the library
            keeps only its scrypt hash; its repr hides it). None when the result is the
            replay of an idempotent request: the password is never stored in the
            idempotency record, so a replay cannot show it; the agency resets it (S4).
    """

    account: Account
    login_url: str
    username: str
    password: str | None = attrs.field(
        default=None, repr=lambda v: "None" if v is None else "'***'"
    )

    def without_password(self) -> AccountCreated:
        """The same result with the password dropped (what an idempotent replay returns)."""
        return attrs.evolve(self, password=None)


@attrs.frozen
class AccountEdited:
    """An account after Edit, and the invoice an immediate plan change opened (if any).

    Attributes:
        account: The account after every change.
        invoice: The proration invoice of an immediate upgrade (credit of the unused part,
            charge of the rest of the period) or the credit of a new term; None when the
            edit billed nothing.
    """

    account: Account
    invoice: Invoice | None = None
