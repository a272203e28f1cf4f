"""Branding of a resold account and its custom domain (rules BR1, A3).

A :class:`Branding` cannot hold a bad colour or logo address: building one checks every
field and reports all problems at once.
"""

from __future__ import annotations

import enum
import re

import attrs

from resell_core.arguments import type_problems
from resell_core.errors import FieldProblem, InvalidInput, quoted
from resell_core.lifecycle.names import host_name_problem
from resell_core.lifecycle.text import text_problem

__all__ = ["Branding", "BrandingMode", "CnameRecord", "cname_record"]

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_MAX_PRODUCT_NAME = 60


class BrandingMode(enum.StrEnum):
    """Branded shows the agency's brand; private hides every brand from the client (TR1)."""

    BRANDED = "branded"
    PRIVATE = "private"


def _mode(value: BrandingMode | str) -> BrandingMode:
    """Read a mode by name; an unknown one is left as given, for the check to report."""
    known = isinstance(value, str) and value in _MODES
    return BrandingMode(value) if known else value  # type: ignore[return-value]


_MODES = frozenset(BrandingMode)


def _https_problem(url: str) -> str | None:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() != "https":
        return "the logo must be served over https (https://…)"
    host = rest.split("/", 1)[0].split(":", 1)[0]
    problem = host_name_problem(host)
    return None if problem is None else f"the logo address has a bad host: {problem}"


@attrs.frozen
class Branding:
    """How a resold account looks to its client (BR1).

    Args:
        logo_url: An https address of the logo image.
        primary_colour: ``#RRGGBB``.
        accent_colour: ``#RRGGBB``.
        product_name: The product's name as the client sees it.
        mode: Branded or private.

    Raises:
        InvalidInput: Listing every bad field.

    Example:
        >>> Branding("https://cdn.acme.test/logo.png", "#0A3D62", "#F8C291", "Acme Mail").mode
        <BrandingMode.BRANDED: 'branded'>
    """

    logo_url: str
    primary_colour: str
    accent_colour: str
    product_name: str
    mode: BrandingMode = attrs.field(default=BrandingMode.BRANDED, converter=_mode)

    def __attrs_post_init__(self) -> None:
        problems = [
            FieldProblem("mode", f"{quoted(self.mode)} is not a branding mode", tuple(BrandingMode))
            if problem.field == "mode"
            else problem
            for problem in type_problems(self)
        ]
        wrong = {problem.field for problem in problems}
        url_problem = None if "logo_url" in wrong else _https_problem(self.logo_url)
        if url_problem:
            problems.append(FieldProblem("logo_url", url_problem))
        for name in ("primary_colour", "accent_colour"):
            if name not in wrong and not _COLOUR.fullmatch(getattr(self, name)):
                problems.append(
                    FieldProblem(
                        name, f"{quoted(getattr(self, name))} is not a colour", ("#RRGGBB",)
                    )
                )
        unsafe = None if "product_name" in wrong else text_problem(self.product_name)
        name_ok = "product_name" in wrong or (
            self.product_name.strip() and len(self.product_name) <= _MAX_PRODUCT_NAME
        )
        if unsafe is not None:
            problems.append(FieldProblem("product_name", unsafe))
        elif not name_ok:
            problems.append(
                FieldProblem("product_name", f"give 1 to {_MAX_PRODUCT_NAME} characters")
            )
        if problems:
            raise InvalidInput("branding", problems)


@attrs.frozen
class CnameRecord:
    """The DNS record the agency configures so a custom domain reaches the account (A3)."""

    host: str
    target: str

    def __str__(self) -> str:
        return f"{self.host}. CNAME {self.target}."


def cname_record(custom_domain: str, account_name: str, hosting_domain: str) -> CnameRecord:
    """Return the CNAME record that points ``custom_domain`` at the account's site.

    Args:
        custom_domain: The agency's domain for the account (``mail.north-bakery.test``).
        account_name: The account name (its site address under the hosting domain).
        hosting_domain: The vendor's hosting domain.

    Example:
        >>> str(cname_record("mail.north-bakery.test", "north-bakery", "hosted.example"))
        'mail.north-bakery.test. CNAME north-bakery.hosted.example.'
    """
    return CnameRecord(custom_domain.lower(), f"{account_name}.{hosting_domain}")
