"""A billing run's memory does not follow the number of accounts it bills: nothing it
keeps between pages (a cache, a unit of work left for the garbage collector) grows with
the pages; only what the accounts share (statements, classes, plans, periods) is kept."""

from __future__ import annotations

import functools
import gc
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks.common import portal_on, seed_sql, sql_storage

from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql import compiled as compiled_statements
from resell_core.adapters.sql.testing import postgres_url, skip_reason
from resell_core.testing.contracts.samples import an_agency

PAGE = 10
"""Accounts a page in these runs: 2 pages against 20 shows what grows a page."""

_BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(postgres_url() is None, reason=skip_reason()),
    ),
]


def _bill(backend: str, folder: Path, pages: int, during: Callable[[], object] = list) -> Any:
    """Bill ``pages`` pages of seeded accounts on a new database; return ``during()``'s
    answer, asked right after the run (the storage still open)."""
    folder.mkdir()
    with sql_storage(backend, folder / "billing.db") as storage:
        seed_sql(storage, pages * PAGE)
        report = portal_on(storage).run_billing(page_size=PAGE)
        assert report.invoices_created == pages * PAGE
        return during()


@contextmanager
def _collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_OURS = ("resell_core.", "sqlalchemy.")
"""The modules whose objects :func:`_garbage` counts: the library's and the SQL toolkit's.
A driver's own are left out: psycopg 3.1 (the lowest release allowed) leaves its
dumpers and loaders in reference cycles at each query, which its later releases do not."""


def _garbage() -> int:
    """Collect; return how many of the library's and SQLAlchemy's objects only the garbage
    collector could free (a unit of work left in a cycle would be among them)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return sum(type(found).__module__.startswith(_OURS) for found in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_a_sql_unit_of_work_is_freed_as_soon_as_it_is_let_go(tmp_path: Path) -> None:
    """No reference cycle: a unit of work that read and wrote is freed by its last
    reference, without a pass of the garbage collector."""
    storage = SqlStorage(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        with _collector_off():
            with storage.unit_of_work() as uow:
                uow.agencies.add(an_agency())
                uow.commit()
                assert uow.agencies.get("agency-acme").id == "agency-acme"
                assert uow.accounts.due(date(2024, 3, 1)) == []
                gone = weakref.ref(uow)
            del uow

            assert gone() is None
    finally:
        storage.dispose()


@pytest.mark.parametrize("backend", _BACKENDS)
def test_billing_leaves_nothing_a_page_for_the_garbage_collector(
    backend: str, tmp_path: Path
) -> None:
    """Twenty pages leave no more cyclic garbage than two (each page's unit of work, its
    journals and repositories, is freed when the page is done)."""
    _bill(backend, tmp_path / "warm", 1)  # what a first run builds once (hooks, statements)
    left = {}
    for pages in (2, 20):
        with _collector_off():
            _bill(backend, tmp_path / f"run-{pages}", pages)
            left[pages] = _garbage()

    assert left[20] <= left[2], left


_CACHED = type(functools.lru_cache(lambda: None))
"""The type of a function wrapped by ``functools.cache`` or ``functools.lru_cache``."""


def _cache_sizes() -> dict[str, int]:
    """Every cache the library keeps between runs, by name, with its number of entries:
    its functions' ``functools`` caches, its modules' containers and those of the objects
    its modules hold (a codec's tables), and the date answers of compiled statements."""
    sizes: dict[str, int] = {}
    containers = (dict, list, set, weakref.WeakKeyDictionary, weakref.WeakValueDictionary)

    def note(name: str, value: object) -> None:
        if isinstance(value, _CACHED):
            sizes[name] = value.cache_info().currsize
        elif isinstance(value, containers):
            sizes[name] = len(value)

    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("resell_core"):
            continue
        for name, value in list(vars(module).items()):
            if name.startswith("__"):
                continue
            note(f"{module_name}.{name}", value)
            # A class's attributes, and those of an object of the library (a codec).
            owned = getattr(type(value), "__module__", "").startswith("resell_core")
            if isinstance(value, type) or (owned and hasattr(value, "__dict__")):
                for attribute, inner in list(vars(value).items()):
                    note(f"{module_name}.{name}.{attribute}", inner)
    for forms in list(compiled_statements._cache.values()):
        for shape, form in forms.items():
            for parameter, process in (form.processors if form else {}).items():
                for cell in getattr(process, "__closure__", None) or ():
                    if isinstance(cell.cell_contents, dict):
                        sizes[f"compiled {shape} {parameter}"] = len(cell.cell_contents)
    return sizes


@pytest.mark.parametrize("backend", _BACKENDS)
def test_no_cache_of_the_library_grows_with_the_pages_billed(backend: str, tmp_path: Path) -> None:
    """After twenty pages every cache holds what it held after two: statements, classes,
    plans and periods were the same; nothing is kept per account, page or invoice."""
    _bill(backend, tmp_path / "warm", 1)
    after_two = _bill(backend, tmp_path / "two", 2, _cache_sizes)
    after_twenty = _bill(backend, tmp_path / "twenty", 20, _cache_sizes)

    grew = {
        name: (after_two.get(name), size)
        for name, size in after_twenty.items()
        if size > after_two.get(name, 0)
    }
    assert len(after_two) > 50  # the walk found the library's caches
    assert grew == {}
