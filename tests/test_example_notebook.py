"""example_sessions/sky_backgrounds.ipynb runs top to bottom in a real kernel (nbclient).

It prints what the seed notebook prints on the same pixels.  Nothing is drawn here (no
browser); tests/test_jupyter_browser.py runs it in JupyterLab.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from _seed_notebook import difference_block, statistics_block
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "example_sessions" / "sky_backgrounds.ipynb"


def tagged_stdout(nb, tag: str) -> str:
    """What the cell tagged ``tag`` printed."""
    (cell,) = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


@pytest.fixture(scope="module")
def executed(tmp_path_factory, sample):
    root = tmp_path_factory.mktemp("notebook")
    home = tmp_path_factory.mktemp("home")  # the kernel writes ~/.glue, ~/.ipython, caches
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    nb = nbformat.read(root / NOTEBOOK.name, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        patch.setenv("SKYBKG_SAMPLE_DIR", str(sample.root))
        client = NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(root)}}
        )
        client.execute()
    return nb, root


def test_the_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 10
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "widgets" not in nb.metadata


def test_it_runs_without_an_error(executed):
    nb, _ = executed
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []


def test_it_prints_the_notebooks_statistics(executed, sample):
    from skybkg_adapters.lsst_fits import read_background

    nb, _ = executed
    calexp_background = read_background(sample.calexp_background).render()
    # the notebook's block, then the unit (a DP0.2 calexp's background is in its counts)
    assert tagged_stdout(nb, "calexp-statistics") == (
        statistics_block(calexp_background, unit="ct") + "\n"
    )
    coadd_background = read_background(sample.coadd_background).render()
    coadd_block = tagged_stdout(nb, "coadd-statistics")
    assert coadd_block == statistics_block(coadd_background, unit="nJy") + "\n"
    assert "Standard deviation in pixel values:  0.0\n" in coadd_block  # flat, as the notebook says


def test_it_prints_the_notebooks_coadd_difference(executed, sample):
    from skybkg_adapters.lsst_fits import read_exposure

    nb, _ = executed
    coadd, coadd_calexp = (read_exposure(p).image for p in (sample.coadd, sample.coadd_calexp))
    assert tagged_stdout(nb, "difference") == (
        difference_block(coadd, coadd_calexp, unit="nJy") + "\n"
    )
    residual = tagged_stdout(nb, "compare").splitlines()
    assert [line.split(":")[0] for line in residual] == [
        "Minimum pixel value",
        "Maximum pixel value",
        "Mean pixel value",
        "Median pixel value",
        "Standard deviation in pixel values",
        "Unit",
    ]
    assert residual[-1] == "Unit: nJy"
    assert all(abs(float(line.split()[-1])) < 1e-3 for line in residual[:-1])


def test_it_restores_once_and_saves_a_small_session(executed):
    nb, root = executed
    assert tagged_stdout(nb, "restore") == (
        "WARNING: background has already been added. Did not re-add.\n"
    )
    maximum = tagged_stdout(nb, "maximum")
    before, after = (float(w) for w in maximum.replace(",", "").split() if w.isdigit())
    assert 2800 < after - before < 3000  # the background level was added back, once
    session = root / "sky_backgrounds.glu"
    assert tagged_stdout(nb, "save") == f"Saved the session: {session.stat().st_size} bytes\n"
    text = session.read_text()
    assert session.stat().st_size < 60_000
    assert "k05VTVBZ" not in text  # no embedded array
    assert str(root) not in text  # no path of this machine: products are recorded by source
