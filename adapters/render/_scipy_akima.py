"""scipy's ``Akima1DInterpolator(method="akima")`` rebuilt as numba kernels, bit for bit.

lsst-images renders spline backgrounds with scipy's Akima interpolator, so reproducing its
renders exactly means reproducing scipy's arithmetic, operation for operation (scipy 1.17
and 1.18 share it; read from ``scipy/interpolate/_cubic.py`` and ``_ppoly.pyx``):

* segment slopes ``m`` are padded with two extra slopes at each end, each one built from
  the one before it (``m[-1] = 2 m[0] - m[1]``, then ``m[-2] = 2 m[-1] - m[0]``), which
  rounds differently from GSL's ``3 m[0] - 2 m[1]``;
* the knot tangent is ``m[i-1] + (f2 / f12) (m[i] - m[i-1])``; where ``f12`` is not above
  ``1e-9`` times the largest ``f12`` of the *whole* fit (every knot and, for a 2-D ``y``,
  every column), it is ``(m[i+1] + m[i-2]) / 2`` (written ``0.5 * (...)``), which is the
  textbook ``(m[i-1] + m[i]) / 2`` only where the weights vanish exactly;
* three and four points are Akima too (the padded slopes make n >= 3 work), where afw
  would use a natural cubic spline; two points give a straight line (both tangents the
  chord slope);
* coefficients are those of ``CubicHermiteSpline``; a piece is evaluated in the power
  basis as ``((c3 + c2 s) + c1 s^2) + c0 s^3`` with ``s^2 = s*s`` and ``s^3 = s^2*s``, not
  by Horner's rule;
* with ``extrapolate=True`` the end cubics are continued; without it, positions outside
  ``[x[0], x[-1]]`` give NaN.

Every kernel is compiled without fastmath, so LLVM neither reassociates nor fuses into
FMA, which is what keeps the results identical to scipy's compiled code.

Per fit, the coefficients live in a ``(4, n - 1)`` block: row 0 multiplies ``s^3``,
row 3 is the value at the left knot (scipy's ``PPoly.c`` order).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "BREAK_MULT",
    "evaluate_point",
    "evaluate_range",
    "fit_line",
    "hermite_coefficients",
    "max_weight",
    "slopes_and_weights",
]

BREAK_MULT = 1.0e-9
"""scipy's relative cutoff below which Akima's tangent weights count as degenerate."""


@njit(cache=True)
def slopes_and_weights(x, v, n, m, f12):
    """Padded slopes ``m[0 : n+3]`` and weight sums ``f12[0 : n]`` of n >= 3 points.

    ``m[k]`` is scipy's ``m[k]``: segment slope ``k - 2`` for ``k = 2 .. n``, padded by
    two extrapolated slopes at each end. ``f12[i] = |m[i+3] - m[i+2]| + |m[i+1] - m[i]|``.
    Returns the largest ``f12`` (NaN if any is NaN, as ``numpy.max``).
    """
    for k in range(n - 1):
        m[k + 2] = (v[k + 1] - v[k]) / (x[k + 1] - x[k])
    m[1] = 2.0 * m[2] - m[3]
    m[0] = 2.0 * m[1] - m[2]
    m[n + 1] = 2.0 * m[n] - m[n - 1]
    m[n + 2] = 2.0 * m[n + 1] - m[n]
    top = -np.inf
    for i in range(n):
        f = abs(m[i + 3] - m[i + 2]) + abs(m[i + 1] - m[i])
        f12[i] = f
        if not f <= top:
            # also taken by NaN, which then sticks: numpy.max propagates it
            if top == top:
                top = f
    return top


@njit(cache=True)
def max_weight(a, b):
    """``max`` of two :func:`slopes_and_weights` results with numpy's NaN propagation."""
    if a != a or b != b:
        return np.nan
    return a if a >= b else b


@njit(cache=True)
def hermite_coefficients(x, v, n, m, f12, top, t, c):
    """Akima tangents into ``t[0 : n]`` and the cubic pieces into ``c[:, 0 : n-1]``.

    ``m`` and ``f12`` come from :func:`slopes_and_weights`; ``top`` is the largest
    ``f12`` over the whole fit (scipy takes it over every column of a 2-D ``y``).
    """
    cut = BREAK_MULT * top
    for i in range(n):
        if f12[i] > cut:
            f2 = abs(m[i + 1] - m[i])
            t[i] = m[i + 1] + (f2 / f12[i]) * (m[i + 2] - m[i + 1])
        else:
            t[i] = 0.5 * (m[i + 3] + m[i])
    _hermite(x, v, n, t, c)


@njit(cache=True)
def fit_line(x, v, t, c):
    """Scipy's two-point case: both tangents are the chord slope."""
    slope = (v[1] - v[0]) / (x[1] - x[0])
    t[0] = slope
    t[1] = slope
    _hermite(x, v, 2, t, c)


@njit(cache=True)
def _hermite(x, v, n, t, c):
    """``CubicHermiteSpline`` coefficients from values ``v`` and tangents ``t``."""
    for i in range(n - 1):
        dx = x[i + 1] - x[i]
        slope = (v[i + 1] - v[i]) / dx
        tt = (t[i] + t[i + 1] - 2.0 * slope) / dx
        c[0, i] = tt / dx
        c[1, i] = (slope - t[i]) / dx - tt
        c[2, i] = t[i]
        c[3, i] = v[i]


@njit(cache=True)
def _poly(c0, c1, c2, c3, s):
    """Scipy ``evaluate_poly1``: the power sum, lowest order first."""
    ss = s * s
    return (((0.0 + c3) + c2 * s) + c1 * ss) + c0 * (ss * s)


@njit(cache=True)
def evaluate_range(x, n, c, extrapolate, pos, dst):
    """Evaluate one fit at the consecutive integers ``pos`` (float64) into ``dst``.

    ``dst`` may be float32 or float64 (the float64 value is rounded on store). Interval
    ``i`` owns ``x[i] <= t < x[i+1]``; the first interval also owns everything left of
    ``x[0]`` and the last everything from ``x[n-2]`` on, as in scipy's interval search.
    Without ``extrapolate``, positions outside ``[x[0], x[n-1]]`` are NaN.
    """
    count = dst.shape[0]
    t0 = int(pos[0])
    start = 0
    for i in range(n - 1):
        if i == n - 2:
            stop = count
        else:
            stop = min(max(int(np.ceil(x[i + 1])) - t0, 0), count)
        # Locals, so the loop below neither reloads them nor fears that dst aliases c;
        # slices, so its index is provably >= 0 and numba drops the negative-index
        # wrap-around that otherwise blocks vectorisation (a 5x difference).
        xi, c0, c1, c2, c3 = x[i], c[0, i], c[1, i], c[2, i], c[3, i]
        piece = dst[start:stop]
        at = pos[start:stop]
        for j in range(piece.shape[0]):
            piece[j] = _poly(c0, c1, c2, c3, at[j] - xi)
        start = max(start, stop)
    if not extrapolate:
        left = min(max(int(np.ceil(x[0])) - t0, 0), count)
        right = min(max(int(np.floor(x[n - 1])) + 1 - t0, 0), count)
        for j in range(left):
            dst[j] = np.nan
        for j in range(right, count):
            dst[j] = np.nan


@njit(cache=True)
def evaluate_point(x, n, c, extrapolate, p):
    """One fit at an arbitrary position ``p`` (same interval rules as :func:`evaluate_range`)."""
    if p != p:
        return np.nan
    if not extrapolate and (p < x[0] or p > x[n - 1]):
        return np.nan
    i = 0
    while i < n - 2 and p >= x[i + 1]:
        i += 1
    return _poly(c[0, i], c[1, i], c[2, i], c[3, i], p - x[i])
