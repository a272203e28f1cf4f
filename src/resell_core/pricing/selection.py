"""What an agency picks for an account: the plan selection (rule A9)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

import attrs

from resell_core.arguments import type_problems
from resell_core.errors import InvalidInput
from resell_core.periods import Frequency

__all__ = ["PlanSelection"]


# The converters leave a value of the wrong shape as given: the type check after them
# reports it with every other bad field.


def _frequency(value: Frequency | str | None) -> Frequency | None:
    return None if value is None else Frequency.parse(value)


def _limits(value: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    given = cast(object, value)
    pairs = given.items() if isinstance(given, Mapping) else given
    if isinstance(pairs, str) or not isinstance(pairs, Iterable):
        return cast(tuple[tuple[str, int], ...], pairs)
    items = list(pairs)
    if not all(isinstance(pair, tuple | list) and len(pair) == 2 for pair in items):
        return cast(tuple[tuple[str, int], ...], tuple(items))
    return tuple(sorted(((str(k), v) for k, v in items), key=lambda pair: pair[0]))


def _addons(value: Iterable[str]) -> tuple[str, ...]:
    given = cast(object, value)
    if isinstance(given, str) or not isinstance(given, Iterable):
        return cast(tuple[str, ...], given)
    return tuple(sorted(set(given))) if all(isinstance(a, str) for a in given) else tuple(given)


@attrs.frozen
class PlanSelection:
    """A plan as chosen in the add-account form: version, product, tier and the rest.

    ``contacts`` and ``frequency`` apply to the catalog's paid plans only (the sample's V3);
    ``limits`` maps an account
    limit (``"users"``…) to the chosen value (one of the catalog's options, or a custom
    value within its bounds); ``addons`` names add-ons. Validation against a catalog is
    :meth:`resell_core.Catalog.validate`.
    """

    version: str
    product: str
    tier: str
    contacts: int | None = None
    frequency: Frequency | None = attrs.field(default=None, converter=_frequency)
    limits: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_limits)
    addons: tuple[str, ...] = attrs.field(default=(), converter=_addons)

    def __attrs_post_init__(self) -> None:
        problems = type_problems(self)
        if problems:
            raise InvalidInput("plan", problems)

    def limit(self, name: str) -> int | None:
        """Return the chosen value of one account limit, or None when it was not chosen."""
        return dict(self.limits).get(name)

    @property
    def is_paid(self) -> bool:
        """Tell whether the plan is billed: it has a billing frequency.

        The catalog decides: it asks a frequency of every plan of a paid version and
        refuses one on a trial or sandbox (A9), so a plan it accepts is paid exactly when
        it has a frequency, whatever the catalog's names. Storage and billing read this
        without the catalog. :meth:`resell_core.Catalog.kind` names the kind of any plan.
        """
        return self.frequency is not None
