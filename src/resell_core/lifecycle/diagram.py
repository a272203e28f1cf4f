"""The lifecycle's state diagram, generated from the transition table (docs/lifecycle.md)."""

from __future__ import annotations

from collections import defaultdict

from resell_core.display import Mermaid
from resell_core.lifecycle.account import AccountStatus
from resell_core.lifecycle.moves import TRANSITIONS

__all__ = ["lifecycle_diagram"]


def lifecycle_diagram() -> Mermaid:
    """Return the Mermaid ``stateDiagram-v2`` of the table: one arrow per (from, to) pair.

    Actions that keep the status (edits, plan changes) label the status's own loop. The
    text is a ``str`` that a notebook draws as the diagram (N1).

    Example:
        >>> print(lifecycle_diagram().splitlines()[1])
            [*] --> creating
    """
    labels: dict[tuple[AccountStatus, AccountStatus], list[str]] = defaultdict(list)
    for (status, action), move in TRANSITIONS.items():
        labels[status, move.target].append(action)
    order = list(AccountStatus)
    lines = ["stateDiagram-v2", "    [*] --> creating"]
    for source, target in sorted(labels, key=lambda k: (order.index(k[0]), order.index(k[1]))):
        actions = ", ".join(sorted(labels[source, target]))
        lines.append(f"    {source.value} --> {target.value}: {actions}")
    return Mermaid("\n".join(lines) + "\n")
