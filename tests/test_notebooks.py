"""Execute every notebook in ``notebooks/``; a cell that raises fails the test.

Marked ``notebooks`` and left out of the default run: CI executes every
notebook once, in the documentation build (``docs/build.sh``; mkdocs-jupyter
with ``allow_errors: false`` fails on a cell that raises).  Run them here
with ``pytest -m notebooks``.

The executed copies go to pytest's temporary directory, never back into the
repository, whose notebooks are stored without outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install .[test])")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install .[test])")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install .[test])")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 300


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell raised an error:\n{exc}")
    finally:
        nbformat.write(nb, tmp_path / path.name)
    errors = [
        cell
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{path.name}: {len(errors)} cell(s) produced an error output"


def test_notebooks_saved_without_outputs() -> None:
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        dirty = [
            i
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
        ]
        assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before committing"
