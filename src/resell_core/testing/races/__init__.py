"""Race suites: one action started at once from many threads or processes, its effects counted.

Every "exactly once" of the library (a charge, a login count, a token, an idempotency
key) is proved by racing it: :func:`race_threads` starts the action in ``n`` threads
released together by a barrier, :func:`race_processes` in ``n`` processes (spawned, so
each has its own interpreter and its own database connections). Both return one
:class:`Outcome` a contender, in the contenders' order, whatever each raised: a suite
then counts the effects that went through and asserts that no more than one did.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from resell_core.errors import ResellError

__all__ = ["Outcome", "race_processes", "race_threads", "tally"]

A = TypeVar("A")


@attrs.frozen
class Outcome:
    """What one contender got: a value, or the error it raised.

    Attributes:
        value: The action's return value (None when it raised).
        error: The :class:`~resell_core.errors.ResellError`'s code, or the type name of
            any other exception; None when the action returned.
        message: The error's message ("" when it returned).
    """

    value: Any = None
    error: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when the action returned."""
        return self.error is None

    @classmethod
    def of(cls, action: Callable[[], object]) -> Outcome:
        """Run ``action`` and record what it returned or raised."""
        try:
            return cls(value=action())
        except ResellError as error:
            return cls(error=error.code, message=error.message)
        except Exception as error:  # a race suite reports every failure, coded or not
            return cls(error=type(error).__name__, message=str(error))


def tally(outcomes: Iterable[Outcome]) -> Counter[str]:
    """Count the outcomes by error code, with ``"ok"`` for the contenders that returned."""
    return Counter(outcome.error or "ok" for outcome in outcomes)


def race_threads(
    n: int, action: Callable[[int], object], *, timeout: float = 60.0
) -> list[Outcome]:
    """Run ``action(i)`` for i in 0..n-1 in ``n`` threads released at the same moment.

    Args:
        n: How many contenders.
        action: What each does, given its index.
        timeout: Seconds to wait for every thread.

    Returns:
        One outcome a contender, in index order.
    """
    barrier = threading.Barrier(n)
    outcomes: list[Outcome | None] = [None] * n

    def contender(index: int) -> None:
        barrier.wait(timeout)
        outcomes[index] = Outcome.of(lambda: action(index))

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(outcome is None for outcome in outcomes):
        raise TimeoutError(f"a contender did not finish within {timeout} s")
    return [outcome for outcome in outcomes if outcome is not None]


def _process_contender(
    action: Callable[[int, Any], object],
    index: int,
    argument: object,
    gate: tuple[Any, Any, float],
) -> None:
    barrier, results, timeout = gate
    barrier.wait(timeout)
    outcome = Outcome.of(lambda: action(index, argument))
    results.put((index, outcome.value, outcome.error, outcome.message))


def race_processes(
    n: int,
    action: Callable[[int, A], object],
    argument: A,
    *,
    timeout: float = 120.0,
) -> list[Outcome]:
    """Run ``action(i, argument)`` in ``n`` spawned processes released at the same moment.

    ``action`` must be a module-level function (it is imported by name in each process),
    and ``argument`` and every return value must pickle: pass a database URL and the
    figures a process needs, return plain values.

    Args:
        n: How many contenders.
        action: What each process does, given its index and ``argument``.
        argument: The one value every process receives (e.g. a database URL).
        timeout: Seconds to wait for every process.

    Returns:
        One outcome a contender, in index order.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(n)
    results = context.Queue()
    processes = [
        context.Process(
            target=_process_contender, args=(action, i, argument, (barrier, results, timeout))
        )
        for i in range(n)
    ]
    for process in processes:
        process.start()
    gathered: dict[int, Outcome] = {}
    try:
        for _ in range(n):
            index, value, error, message = results.get(timeout=timeout)
            gathered[index] = Outcome(value=value, error=error, message=message)
    finally:
        for process in processes:
            process.join(timeout)
            if process.is_alive():
                process.kill()
    return [gathered[i] for i in range(n)]
