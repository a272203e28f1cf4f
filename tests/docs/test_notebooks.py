"""The notebooks in docs/notebooks run from top to bottom and show the figures they
should (N1). They need the ``notebook`` extra (nbclient, nbformat, ipykernel)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "docs" / "notebooks"

EXPECTED = {
    "quote": ("text/html", ("Package details", "USD 96.00")),
    "overview": ("text/html", ("Accounts 3 of 3", "north-bakery", "harbour-books", "city-florist")),
    "upgrade": ("text/html", ("Invoice 19 · paid · issued 2024-06-16", "-$48.00", "$119.60",
                              "$71.60", "- paid by card")),
    "explain": ("stream", ("Total", "USD 71.60", "Open (")),
    "report": ("text/html", ("Billing run until 2024-12-01", "$431.20")),
    "runs": ("text/html", ("charged_to_cards_USD", "431.20")),
    "totals": ("text/plain", ("1152.00", "2082.80")),
    "last_invoice": ("text/html", ("Invoice 37 · paid · issued 2024-12-01", "$120.00", "$96.00")),
    "balance": ("text/html", ("Prepaid credit", "$200.00")),
    "history": ("text/html", ("Credit movements · 1", "prepaid")),
    "spend": ("image/png", ()),
    "lifecycle": ("text/markdown", ("```mermaid", "stateDiagram-v2")),
}  # fmt: skip
"""For each tagged cell of agency-year.ipynb: the output it must have, and what that
output must contain."""


def _outputs(cell: Any, kind: str) -> list[str]:
    if kind == "stream":
        return [o["text"] for o in cell["outputs"] if o["output_type"] == "stream"]
    return [o["data"][kind] for o in cell["outputs"] if kind in o.get("data", {})]


def _run(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    nbclient = pytest.importorskip(
        "nbclient", reason="the notebook extra (nbclient, nbformat, ipykernel) is not installed"
    )
    nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed")
    pytest.importorskip("ipykernel", reason="the notebook extra is not installed")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's new paths, no warning
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}
    )
    client.execute()
    return notebook


def test_N1_the_agency_year_notebook_runs_and_shows_its_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every cell runs without error; each tagged cell shows the figures of Acme's year:
    the quote, the overview, the upgrade's invoice, the runs, the totals, the credit,
    the spend plot and the lifecycle diagram."""
    notebook = _run(NOTEBOOKS / "agency-year.ipynb", monkeypatch)

    tagged = {
        tag: cell
        for cell in notebook.cells
        if cell.cell_type == "code"
        for tag in cell.metadata.get("tags", [])
    }
    assert sorted(tagged) == sorted(EXPECTED)
    for tag, (kind, figures) in EXPECTED.items():
        shown = _outputs(tagged[tag], kind)
        assert shown, f"cell {tag!r} shows no {kind}"
        for figure in figures:
            assert any(figure in text for text in shown), f"cell {tag!r} lacks {figure!r}"
