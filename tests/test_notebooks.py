"""Every notebook in notebooks/ runs top to bottom against the public API.

And the figures its prose states (``694.65 mu``, ``91 %``, ``2014Q1``) are figures its code
cells print: a markdown cell may not quote a number the notebook does not compute.
"""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
_PROSE_FIGURE = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?) ?(?:mu|亩|%|万元)|(\d{4}Q[1-4])")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def executed(request) -> nbformat.NotebookNode:
    nb = nbformat.read(request.param, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()
    return nb


def _outputs_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def prose_figures(nb: nbformat.NotebookNode) -> list[str]:
    """The numbers with a unit (mu, 亩, %, 万元) and the quarters the markdown cells state."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = re.sub(r"`[^`]*`", "", cell.source)  # code spans are not figures
            found += [m[1] or m[2] for m in _PROSE_FIGURE.finditer(text)]
    return found


def _computed(figure: str, outputs: str, numbers: list[float]) -> bool:
    if "Q" in figure:
        return figure in outputs
    decimals = len(figure.partition(".")[2])
    value = float(figure.replace(",", ""))
    return any(round(n, decimals) == value for n in numbers)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_notebook_runs(executed):
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    assert any(c.get("outputs") for c in executed.cells if c.cell_type == "code")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_prose_figures_are_computed_by_the_code(executed):
    outputs = _outputs_text(executed)
    numbers = [float(n.replace(",", "")) for n in _NUMBER.findall(outputs)]
    missing = [f for f in prose_figures(executed) if not _computed(f, outputs, numbers)]
    assert not missing, f"stated in prose, printed by no code cell: {missing}"


def test_the_reserve_notebooks_state_their_figures():
    """The prose of the reserve and briefing notebooks does quote figures (so is checked)."""
    stated = {
        path.name: prose_figures(nbformat.read(path, as_version=4))
        for path in NOTEBOOKS
        if path.name.startswith(("03_", "04_"))
    }
    assert {"694.65", "190.0", "40.0", "2014Q1"} <= set(stated["03_land_reserve.ipynb"])
    assert {"400.00", "190.00", "204.65"} <= set(stated["04_briefing.ipynb"])


def test_a_changed_figure_would_be_caught():
    outputs = "reserve_mu  694.653672\nby_quarter 2014Q1"
    numbers = [float(n) for n in _NUMBER.findall(outputs)]
    assert _computed("694.65", outputs, numbers) and _computed("2014Q1", outputs, numbers)
    assert not _computed("694.66", outputs, numbers)
    assert not _computed("2014Q2", outputs, numbers)
