"""The lsst-images anchor rows: its own ``SplineField.render``, timed in its own interpreter.

lsst-images needs Python >= 3.12 and is not a dependency. When a second interpreter with it
is found (``$SKYBKG_LSST_IMAGES_PYTHON``, else a pyenv 3.12+ that imports ``lsst.images``),
the same 32 x 32 grid is rendered there, float64 and float32, each timed alternately with
the floor in that process, as our rows are; otherwise the rows show the issue's quoted
figures only.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from .cases import dp2_spline

__all__ = ["LSST_IMAGES_KEYS", "find_lsst_images_python", "run_lsst_images_cases"]

LSST_IMAGES_KEYS = {"render_lsst_images": "float64", "render_lsst_images_f32": "float32"}
"""The anchor rows and the dtype each renders."""

_ENV = "SKYBKG_LSST_IMAGES_PYTHON"

# Runs in the other interpreter: only numpy and lsst-images there, none of our code.
_SCRIPT = """
import json, sys, time
import numpy as np
from lsst.images import Box
from lsst.images.fields import SplineField

grid = np.load(sys.argv[1])
repeats = int(sys.argv[2])
x0, y0, width, height = (int(v) for v in grid["bounds"])
field = SplineField(
    Box.factory[y0 : y0 + height, x0 : x0 + width], grid["values"], y=grid["y"], x=grid["x"]
)
result = {}
for name in sys.argv[3:]:
    dtype = np.dtype(name)
    field.render(dtype=dtype)
    np.empty((height, width), np.float32).fill(1.0)
    times, floors = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        np.empty((height, width), np.float32).fill(1.0)
        floors.append(time.perf_counter() - start)
        start = time.perf_counter()
        field.render(dtype=dtype)
        times.append(time.perf_counter() - start)
    result[name] = {"times": times, "floor_times": floors}
print(json.dumps(result))
"""


def _imports_lsst_images(python: str) -> bool:
    try:
        out = subprocess.run(
            [python, "-c", "import sys, lsst.images; print(sys.version_info >= (3, 12))"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == "True"


def find_lsst_images_python() -> str | None:
    """A Python >= 3.12 interpreter that imports lsst-images, or None.

    ``$SKYBKG_LSST_IMAGES_PYTHON`` when set (it must work), else pyenv's 3.12+ versions.
    """
    chosen = os.environ.get(_ENV)
    if chosen:
        return chosen if _imports_lsst_images(chosen) else None
    pyenv = shutil.which("pyenv")
    root = os.environ.get("PYENV_ROOT") or (
        subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        if pyenv
        else ""
    )
    if root:
        for python in sorted(
            glob.glob(os.path.join(root, "versions", "3.1[2-9]*", "bin", "python"))
        ):
            if _imports_lsst_images(python):
                return python
    return None


def run_lsst_images_cases(
    keys: list[str], shape: tuple[int, int], repeats: int, folder: Path
) -> dict[str, dict]:
    """The rows ``keys`` (of :data:`LSST_IMAGES_KEYS`), measured live or marked quoted."""
    python = find_lsst_images_python()
    if python is None:
        note = f"quoted: no Python >= 3.12 with lsst-images (set ${_ENV})"
        return {key: {"error": note} for key in keys}
    field = dp2_spline(shape)
    grid = folder / "dp2_grid.npz"
    np.savez(grid, values=field.values, x=field.x, y=field.y, bounds=np.array(field.bounds))
    dtypes = [LSST_IMAGES_KEYS[key] for key in keys]
    out = subprocess.run(
        [python, "-c", _SCRIPT, str(grid), str(repeats), *dtypes],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {key: {"error": f"lsst-images failed ({python}): {last}"} for key in keys}
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        key: {**measured[LSST_IMAGES_KEYS[key]], "note": f"measured live with {python}"}
        for key in keys
    }
