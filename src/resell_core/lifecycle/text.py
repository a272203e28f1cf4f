"""The one rule for every text field the library stores (E1).

Text reaches the library from agencies, their clients and hosts' own callers; it is
stored, shown in the portal and written into notices and audit entries. Whatever the
field and whatever the adapter, the same text is refused, before anything is stored:

- a lone surrogate (U+D800 to U+DFFF, e.g. JSON ``"\\ud800"``): it is not a character and
  cannot be encoded as UTF-8, so no database can store it;
- NUL (U+0000), which PostgreSQL's text cannot hold and C strings end at;
- the other control characters (U+0001 to U+001F, U+007F to U+009F): a terminal escape or a
  line break in a name or an address lets one value pass for another; free text (a
  message, a reason) may still hold line breaks (LF, CR, U+2028, U+2029) and tabs;
- the bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069),
  which make text display in another order than it is stored (a name that reads
  ``north-bakery`` and is not).

Every field that holds text checks it with :func:`text_problem` (through
:func:`text_problems` for a form's fields), so that an adapter never sees text it could
not store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from resell_core.errors import FieldProblem

__all__ = ["text_problem", "text_problems"]

_CONTROLS = "\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_ALWAYS_BAD = "\ud800-\udfff\x00\u202a-\u202e\u2066-\u2069"
_LINE = re.compile(f"[{_ALWAYS_BAD}{_CONTROLS}\t\n\r\u2028\u2029]")
_LINES = re.compile(f"[{_ALWAYS_BAD}{_CONTROLS}]")

_WHY = {
    "surrogate": "is not text: a lone surrogate cannot be encoded; send valid UTF-8",
    "nul": "NUL cannot be stored: remove it",
    "control": "a control character would hide in the text: remove it",
    "line": "a line break has no place in a single line of text: remove it",
    "bidi": "a bidirectional control makes the text display in another order: remove it",
}


def _kind(character: str) -> str:
    code = ord(character)
    if 0xD800 <= code <= 0xDFFF:
        return "surrogate"
    if code == 0:
        return "nul"
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return "control"
    if code in (0x2028, 0x2029):
        return "line"
    return "bidi"


def text_problem(text: str, *, lines: bool = False) -> str | None:
    """Return what is wrong with ``text`` as a stored field, or None when it is fine.

    Args:
        text: The value of a text field.
        lines: Whether it is free text that may hold line breaks and tabs (a message, a
            reason); names, labels, addresses and ids may not.

    Returns:
        A sentence naming the first bad character by its code point (``U+202E``), without
        printing the text itself; None when the text may be stored.

    Example:
        >>> text_problem("North Bakery") is None
        True
        >>> text_problem("north\\u202ebakery")[:26]
        'holds U+202E at position 5'
    """
    found = (_LINES if lines else _LINE).search(text)
    if found is None:
        return None
    character = found.group()
    return f"holds U+{ord(character):04X} at position {found.start()}: {_WHY[_kind(character)]}"


def text_problems(
    fields: Mapping[str, str | None], *, lines: frozenset[str] = frozenset()
) -> list[FieldProblem]:
    """Check several text fields at once; list one problem per bad field.

    Args:
        fields: Each field's name and value (None for a field left out).
        lines: The names of the fields that are free text (line breaks and tabs allowed).

    Returns:
        One :class:`~resell_core.errors.FieldProblem` per bad field, in the given order.
    """
    problems = []
    for name, value in fields.items():
        if value is not None and (problem := text_problem(value, lines=name in lines)):
            problems.append(FieldProblem(name, problem))
    return problems
