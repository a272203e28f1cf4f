"""A notifier that keeps what it was asked to send, for tests, demos and notebooks.

Example:
    >>> from resell_core.billing.notices import Notice, NoticeKind
    >>> notifier = RecordingNotifier()
    >>> notifier.send(Notice(NoticeKind.PAYMENT_FAILED, "ops@acme.test", "Card declined",
    ...                      "Update the card", "ag-1"))
    >>> [n.subject for n in notifier.to("ops@acme.test")]
    ['Card declined']
"""

from __future__ import annotations

from resell_core.billing.notices import Notice, NoticeKind

__all__ = ["RecordingNotifier"]


class RecordingNotifier:
    """Keeps every notice sent, in order, in :attr:`sent`."""

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def send(self, notice: Notice) -> None:
        """Record the notice."""
        self.sent.append(notice)

    def to(self, address: str) -> list[Notice]:
        """Return the notices sent to ``address`` (case-insensitive), in order."""
        wanted = address.casefold()
        return [n for n in self.sent if n.to.casefold() == wanted]

    def of_kind(self, kind: NoticeKind | str) -> list[Notice]:
        """Return the notices of ``kind``, in order."""
        return [n for n in self.sent if n.kind == kind]

    def clear(self) -> None:
        """Forget every notice sent so far."""
        self.sent.clear()
