"""The notebook's histogram (``np.histogram`` of the float64 pixels), without the float64 copy."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import flat_and_mask

__all__ = ["histogram"]


def _finite_range(flat: np.ndarray, m: np.ndarray | None, kernels: Any) -> tuple | None:
    """Finite min and max of the considered values as scalars of ``flat``'s type, or None."""
    if m is None and flat.size:
        lo, hi = np.min(flat), np.max(flat)
        if np.isfinite(lo) and np.isfinite(hi):
            return lo, hi
    _, _, n_finite, lo, hi = kernels.count_select(flat, m)
    if n_finite == 0:
        return None
    return flat.dtype.type(lo), flat.dtype.type(hi)


def histogram(
    array: Any, bins: int = 1000, range: tuple[float, float] | None = None, mask: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of the finite (and masked-in) pixels, exactly as the notebook computes it.

    The notebook histograms its float64 copy of the pixels with ``range=(nanmin, nanmax)``;
    counts and edges here equal ``np.histogram(values.astype(float), bins, range)`` for
    ``values`` the finite considered pixels, without that copy: bins are half open except the
    last, which includes its upper edge; values outside ``range`` are ignored; the default
    range is the finite min and max.  numpy's type rules for the bin arithmetic (which depend
    on the types of ``range``) are reproduced, so values on or next to an edge land in the
    same bin as numpy puts them.

    Parameters
    ----------
    array
        The image.
    bins
        Number of equal-width bins.
    range
        ``(lower, upper)``; default: finite min and max of the considered pixels.
    mask
        Optional boolean array, ``True`` where a pixel is used.

    Returns
    -------
    counts : numpy.ndarray
        int64, ``bins`` long.
    edges : numpy.ndarray
        float64, ``bins + 1`` long (numpy's edges, exactly).
    """
    from . import _kernels  # numba loads on first use, not with the plugin

    n_bins = int(bins)
    if n_bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    flat, m = flat_and_mask(array, mask)
    if range is not None:
        first_edge, last_edge = range
        if first_edge > last_edge:
            raise ValueError(f"histogram range must be increasing; got {range!r}")
        if not (np.isfinite(first_edge) and np.isfinite(last_edge)):
            raise ValueError(f"histogram range must be finite; got {range!r}")
    else:
        found = _finite_range(flat, m, _kernels)
        first_edge, last_edge = (0, 1) if found is None else (np.float64(v) for v in found)
    if first_edge == last_edge:
        first_edge = first_edge - 0.5
        last_edge = last_edge + 0.5
    # numpy decides every dtype below from these operands (NEP 50 rules), so ask numpy;
    # ``copy`` stands for the notebook's float64 copy of the pixels.
    copy = np.zeros(1, dtype=np.float64)
    bin_type = np.result_type(first_edge, last_edge, copy)
    edges = np.linspace(first_edge, last_edge, n_bins + 1, endpoint=True, dtype=bin_type)
    if np.any(edges[:-1] >= edges[1:]):
        raise ValueError(
            f"too many bins ({n_bins}) for the range [{first_edge}, {last_edge}]: "
            "the bins would have zero width"
        )
    # numpy's operand types for "((x - first) / denom) * bins" and for its range test
    sub_type = np.result_type(np.zeros(1, dtype=bin_type), first_edge)
    denom = np.subtract(last_edge, first_edge, dtype=np.result_type(last_edge, first_edge))
    div_type = np.result_type(np.zeros(1, dtype=sub_type), denom)
    # How far numpy's index can be from the exact (x - first) / width, in bins: its four
    # roundings (subtract, denominator, divide, multiply) give < 4u * bins; linspace's edges
    # are off by < 3u * bins + u * |edge| / width; casting a Python-float range to float32
    # adds u * |edge| / width.  Twice that bound: a value whose index is farther from an
    # integer cannot need numpy's one-bin correction (the kernel checks the edges for every
    # other value).  u is the unit roundoff of the coarsest type numpy computes in.
    types = (bin_type, sub_type, denom.dtype, div_type)
    u = max(np.finfo(t).eps for t in types if np.issubdtype(t, np.floating)) / 2
    width = (float(last_edge) - float(first_edge)) / n_bins
    tol = 16 * u * n_bins + 8 * u * (abs(float(first_edge)) + abs(float(last_edge))) / width
    # int32 counters are faster to bump; each of the 4 rows sees at most a quarter of the pixels
    counts = np.zeros((4, n_bins + 1), dtype=np.int32 if flat.size < 2**33 else np.int64)
    _kernels.histogram_counts(
        flat,
        m,
        np.result_type(copy, first_edge).type(first_edge),
        np.result_type(copy, last_edge).type(last_edge),
        bin_type.type(0),
        sub_type.type(first_edge),
        div_type.type(denom),
        div_type.type(n_bins),
        div_type.type(tol if tol < 0.5 else 1.0),  # 1.0 checks every value
        edges,
        counts,
    )
    counts = counts[:, :n_bins].sum(axis=0, dtype=np.int64)
    return counts, edges.astype(np.float64)
