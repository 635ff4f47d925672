"""The seed notebook's own statistics and difference code, run on given pixels: the reference.

The cells are copied from docs/seed-notebook.md (bar how the array is obtained) and run with
``exec``, so the tests compare what glue-skybkg prints with what the notebook itself prints.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

COUNTS_CELL = """
print('Number of pixels:', len(bkgd_array))
tx = np.where( np.isnan(bkgd_array) )[0]
print('Number of NaN pixels: ', len(tx))
del tx
"""
VALUES_CELL = """
print('Minimum pixel value: ', np.min(bkgd_array))
print('Maximum pixel value: ', np.max(bkgd_array))
print('Mean pixel value: ', np.mean(bkgd_array))
print('Median pixel value: ', np.median(bkgd_array))
print('Standard deviation in pixel values: ', np.std(bkgd_array))
"""
DIFFERENCE_CELL = """
temp1 = np.asarray(coadd, dtype='float')
temp2 = np.asarray(coadd_calexp, dtype='float')
array = temp1.flatten() - temp2.flatten()
"""


def _run(code: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"np": np, **namespace})
    return out.getvalue()


def statistics_block(values, include_counts: bool = True, unit: str | None = None) -> str:
    """What the notebook prints for these pixels (``temp = np.asarray(..., dtype='float')``).

    With ``unit``, the line glue-skybkg adds after the notebook's block: ``Unit: <unit>``.
    """
    bkgd_array = np.asarray(values, dtype="float").flatten()
    code = (COUNTS_CELL if include_counts else "") + VALUES_CELL
    block = _run(code, {"bkgd_array": bkgd_array}).rstrip("\n")
    return block if unit is None else f"{block}\nUnit: {unit}"


def difference_block(coadd, coadd_calexp, unit: str | None = None) -> str:
    """The notebook's last cell: deepCoadd - deepCoadd_calexp in float64, its five lines."""
    namespace: dict = {"coadd": coadd, "coadd_calexp": coadd_calexp}
    exec(DIFFERENCE_CELL, {"np": np}, namespace)
    return statistics_block(namespace["array"], include_counts=False, unit=unit)


def histogram(values) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's ``plt.hist(bkgd_array, bins=1000, range=(nanmin, nanmax))`` counts."""
    bkgd_array = np.asarray(values, dtype="float").flatten()
    return np.histogram(bkgd_array, bins=1000, range=(np.nanmin(bkgd_array), np.nanmax(bkgd_array)))
