"""The lifecycle's configurable settings (docs/rules.md, part 2: decisions, not constants)."""

from __future__ import annotations

from datetime import date

import attrs

__all__ = ["LifecyclePolicy"]


@attrs.frozen
class LifecyclePolicy:
    """Settings of renewals, archives and trials.

    Attributes:
        renewal_cutoff: Accounts purchased before this day follow the stricter renewal
            rules of R2 (a cancelled and expired one can only change its plan).
        archive_window_months: How long an archived account's data is kept; within it the
            account can be renewed, after it only a new plan can be chosen.
        extra_trial_days: The one extra free trial an archived trial gets when renewed.
        trial_days: Trial length when the catalog does not say otherwise (TR1).
    """

    renewal_cutoff: date = date(2023, 1, 3)
    archive_window_months: int = 12
    extra_trial_days: int = 14
    trial_days: int = 14
