"""Names on the internet: account names (site addresses), host names, email addresses (A2, A3, A5).

Uniqueness of account names is the storage's job; :func:`check_account_name` says only
whether a name is well-formed. Every check matches the whole text (a trailing newline is
not the end of a name) and refuses what the text rule refuses (E1,
:mod:`resell_core.lifecycle.text`).
"""

from __future__ import annotations

import re

import attrs

from resell_core.errors import quoted
from resell_core.lifecycle.text import text_problem

__all__ = [
    "RESERVED_NAMES",
    "NameCheck",
    "check_account_name",
    "custom_domain_problem",
    "email_problem",
    "host_name_problem",
]

RESERVED_NAMES: frozenset[str] = frozenset(
    {
        "admin", "api", "app", "apps", "assets", "billing", "blog", "cdn", "dashboard", "dev",
        "docs", "ftp", "help", "imap", "localhost", "login", "mail", "mx", "ns1", "ns2", "pop",
        "portal", "root", "smtp", "sso", "staging", "static", "status", "support", "test",
        "webmail", "www",
    }
)  # fmt: skip
"""Names that address the vendor's own services and so can never be an account's site."""

_MAX_LABEL = 63
_MAX_HOST = 253
_LABEL_CHARS = re.compile(r"[a-z0-9-]+")


@attrs.frozen
class NameCheck:
    """Whether an account name is well-formed (A2); ``name`` is its normalised form."""

    name: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Tell whether the name may be used (if no other account holds it)."""
        return not self.problems


def _label_problems(label: str) -> list[str]:
    problems: list[str] = []
    if not 1 <= len(label) <= _MAX_LABEL:
        problems.append(f"use 1 to {_MAX_LABEL} characters (got {len(label)})")
    if label and not _LABEL_CHARS.fullmatch(label):
        problems.append("use only the letters a-z, the digits 0-9 and hyphens")
    if label.startswith("-") or label.endswith("-"):
        problems.append("do not start or end with a hyphen")
    return problems


def check_account_name(name: str) -> NameCheck:
    """Say whether ``name`` can be an account's site address (a DNS label, not reserved).

    Args:
        name: The wished name; surrounding blanks and upper case are normalised away.

    Returns:
        The normalised name and every problem found (none when it is well-formed).

    Example:
        >>> check_account_name(" North-Bakery ").ok
        True
        >>> check_account_name("www").problems
        ('www is reserved for the vendor: choose another name',)
    """
    if problem := text_problem(name):
        return NameCheck(name.strip().lower(), (problem,))
    normalised = name.strip().lower()
    problems = _label_problems(normalised)
    if normalised in RESERVED_NAMES:
        problems.append(f"{normalised} is reserved for the vendor: choose another name")
    return NameCheck(normalised, tuple(problems))


def host_name_problem(host: str) -> str | None:
    """Return what is wrong with a host name (``mail.north-bakery.test``), or None."""
    if problem := text_problem(host):
        return problem
    host = host.lower().rstrip(".")
    if not host or len(host) > _MAX_HOST:
        return f"a host name has 1 to {_MAX_HOST} characters"
    labels = host.split(".")
    if len(labels) < 2:
        return f"{quoted(host)} needs a dot and a top-level domain (e.g. mail.example.com)"
    for label in labels:
        problems = _label_problems(label)
        if problems:
            return f"the part {quoted(label)} of {quoted(host)} is not valid: {problems[0]}"
    if labels[-1].isdigit():
        return f"{quoted(host)} ends in a number, not a top-level domain"
    return None


def email_problem(email: str) -> str | None:
    """Return what is wrong with an email address, or None."""
    if problem := text_problem(email):
        return problem
    local, at, domain = email.rpartition("@")
    if not at or not local or len(local) > 64 or any(c.isspace() or c == "@" for c in local):
        return f"{quoted(email)} is not an email address (name@domain.tld)"
    problem = host_name_problem(domain)
    return None if problem is None else f"{quoted(email)} has a bad domain: {problem}"


def custom_domain_problem(domain: str, *, hosting_domain: str) -> str | None:
    """Return what is wrong with an account's custom domain, or None (A3).

    A custom domain is a host name outside the vendor's hosting domain: every name under
    it is an account's site address (``south-bakery.hosted.example``), so a custom domain
    there would take over another account's site.

    Args:
        domain: The custom domain, as given.
        hosting_domain: The vendor's domain that account sites are under.

    Example:
        >>> hosting = "hosted.example"
        >>> custom_domain_problem("mail.north-bakery.test", hosting_domain=hosting)
        >>> custom_domain_problem("south.hosted.example", hosting_domain=hosting)[:46]
        "'south.hosted.example' is under hosted.example"
    """
    if problem := host_name_problem(domain):
        return problem
    host = domain.strip().lower().rstrip(".")
    hosting = hosting_domain.lower().rstrip(".")
    if host == hosting or host.endswith("." + hosting):
        return (
            f"{quoted(host)} is under {hosting}, where the accounts' sites are: "
            "use a domain of the agency or the client"
        )
    return None
