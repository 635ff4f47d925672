"""GSL's 1-D interpolants with afw's extrapolation, as numba kernels (lsst-formats.md section 3).

Every interpolant is stored as knots ``kx``/``ky`` with per-interval cubic coefficients
``b, c, d`` (value ``ky[i] + u*(b[i] + u*(c[i] + u*d[i]))``, ``u = t - kx[i]``), which is how
GSL evaluates linear, natural/periodic cubic and (periodic) Akima splines. afw's CONSTANT
style is the same shape with zero slopes on its recentred breakpoints.

Written from the spec and GSL's documented algorithms; nothing here is copied.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..styles import InterpStyle, UndersampleStyle, max_interp_style

__all__ = [
    "MODE_CUBIC",
    "MODE_LINEAR",
    "MODE_STEPS",
    "STATUS_INIT_FAILED",
    "STATUS_OK",
    "STATUS_TOO_FEW",
    "evaluate",
    "fit_with_fallback",
    "work_arrays",
]

STATUS_OK = 0
STATUS_TOO_FEW = 1  # fewer points than the style needs and the undersample style forbids reducing
STATUS_INIT_FAILED = 2  # gsl_interp_init fails (periodic cubic spline on 2 points); afw throws

# How evaluate() reads the pieces. Steps (afw CONSTANT) switch value *at* each breakpoint,
# the last one too; GSL pieces take t == last knot into the last interval. GSL's linear
# type evaluates y_lo + (t - x_lo) / h * (y_hi - y_lo), which we keep for exact zeros.
MODE_STEPS = 0
MODE_CUBIC = 1
MODE_LINEAR = 2

_CONSTANT = int(InterpStyle.CONSTANT)
_LINEAR = int(InterpStyle.LINEAR)
_NATURAL = int(InterpStyle.NATURAL_SPLINE)
_CUBIC = int(InterpStyle.CUBIC_SPLINE)
_CUBIC_PERIODIC = int(InterpStyle.CUBIC_SPLINE_PERIODIC)
_AKIMA = int(InterpStyle.AKIMA_SPLINE)
_AKIMA_PERIODIC = int(InterpStyle.AKIMA_SPLINE_PERIODIC)
_REDUCE = int(UndersampleStyle.REDUCE_INTERP_ORDER)

# gsl_interp_alloc's min_size per type (GSL 2.7), indexed by InterpStyle value; this, not
# afw's lookupMinInterpPoints, decides when one column or row falls back. CONSTANT is afw's own.
_GSL_MIN_POINTS = np.array([1, 2, 3, 3, 2, 5, 5], np.int64)
# afw lookupMaxInterpStyle(n) for n = 1..5 (index 0 unused; n >= 5 gives Akima).
_MAX_STYLE = np.array([-1] + [int(max_interp_style(n)) for n in range(1, 6)], np.int64)


@njit(cache=True)
def work_arrays(n_points):
    """Scratch space for fitting up to ``n_points`` points: ``(xs, ys, kx, ky, b, c, d, work)``."""
    cap = n_points + 4
    return (
        np.empty(cap),
        np.empty(cap),
        np.empty(cap),
        np.empty(cap),
        np.empty(cap),
        np.empty(cap),
        np.empty(cap),
        np.empty((11, cap)),
    )


@njit(cache=True)
def _solve_symm_tridiag(diag, off, rhs, n, out, alpha, gamma, z):
    """Solve a symmetric tridiagonal system by L.D.L^T (as GSL's solve_symm_tridiag)."""
    alpha[0] = diag[0]
    gamma[0] = off[0] / alpha[0]
    for i in range(1, n - 1):
        alpha[i] = diag[i] - off[i - 1] * gamma[i - 1]
        gamma[i] = off[i] / alpha[i]
    alpha[n - 1] = diag[n - 1] - off[n - 2] * gamma[n - 2]
    z[0] = rhs[0]
    for i in range(1, n):
        z[i] = rhs[i] - gamma[i - 1] * z[i - 1]
    out[n - 1] = z[n - 1] / alpha[n - 1]
    for i in range(n - 2, -1, -1):
        out[i] = z[i] / alpha[i] - gamma[i] * out[i + 1]


@njit(cache=True)
def _solve_symm_cyclic(diag, off, rhs, n, out, work):
    """Solve a symmetric cyclic tridiagonal system (corner element ``off[n-1]``), n >= 3.

    Sherman-Morrison on the tridiagonal part; agrees with GSL's cyclic solver to round-off.
    """
    dmod, yv, zv, u = work[3], work[4], work[5], work[6]
    alpha, gamma, tmp = work[7], work[8], work[9]
    corner = off[n - 1]
    shift = -diag[0]
    for i in range(n):
        dmod[i] = diag[i]
        u[i] = 0.0
    dmod[0] = diag[0] - shift
    dmod[n - 1] = diag[n - 1] - corner * corner / shift
    u[0] = shift
    u[n - 1] = corner
    _solve_symm_tridiag(dmod, off, rhs, n, yv, alpha, gamma, tmp)
    _solve_symm_tridiag(dmod, off, u, n, zv, alpha, gamma, tmp)
    vy = yv[0] + corner / shift * yv[n - 1]
    vz = zv[0] + corner / shift * zv[n - 1]
    factor = vy / (1.0 + vz)
    for i in range(n):
        out[i] = yv[i] - factor * zv[i]


@njit(cache=True)
def _cubic_from_curvatures(kx, ky, n, b, c, d):
    """B and d of each interval from the second-derivative halves c (GSL cspline coeff_calc)."""
    for i in range(n - 1):
        dx = kx[i + 1] - kx[i]
        dy = ky[i + 1] - ky[i]
        b[i] = dy / dx - dx * (c[i + 1] + 2.0 * c[i]) / 3.0
        d[i] = (c[i + 1] - c[i]) / (3.0 * dx)


@njit(cache=True)
def _fit_natural(kx, ky, n, b, c, d, work):
    """GSL natural cubic spline (cspline), n >= 3."""
    diag, off, rhs, sol = work[0], work[1], work[2], work[3]
    size = n - 2
    for i in range(size):
        h_i = kx[i + 1] - kx[i]
        h_next = kx[i + 2] - kx[i + 1]
        off[i] = h_next
        diag[i] = 2.0 * (h_next + h_i)
        rise_next = (ky[i + 2] - ky[i + 1]) * (1.0 / h_next)
        rhs[i] = 3.0 * (rise_next - (ky[i + 1] - ky[i]) * (1.0 / h_i))
    c[0] = 0.0
    c[n - 1] = 0.0
    if size == 1:
        c[1] = rhs[0] / diag[0]
    else:
        _solve_symm_tridiag(diag, off, rhs, size, sol, work[4], work[5], work[6])
        for i in range(size):
            c[i + 1] = sol[i]
    _cubic_from_curvatures(kx, ky, n, b, c, d)


@njit(cache=True)
def _fit_periodic_cubic(kx, ky, n, b, c, d, work):
    """GSL periodic cubic spline (cspline_periodic), n >= 3; the wrap uses slope (y1-y0)/h0."""
    size = n - 1
    if size == 2:
        # GSL solves this 2x2 case in closed form; its second equation takes y[0] as y[2]
        h0 = kx[1] - kx[0]
        h1 = kx[2] - kx[1]
        a = 2.0 * (h0 + h1)
        bb = h0 + h1
        g0 = 3.0 * ((ky[2] - ky[1]) / h1 - (ky[1] - ky[0]) / h0)
        g1 = 3.0 * ((ky[1] - ky[2]) / h0 - (ky[2] - ky[1]) / h1)
        det = 3.0 * (h0 + h1) * (h0 + h1)
        c[1] = (a * g0 - bb * g1) / det
        c[2] = (-bb * g0 + a * g1) / det
        c[0] = c[2]
    else:
        diag, off, rhs, sol = work[0], work[1], work[2], work[10]
        for i in range(size):
            h_i = kx[i + 1] - kx[i]
            last = i == size - 1
            h_next = kx[1] - kx[0] if last else kx[i + 2] - kx[i + 1]
            dy_next = ky[1] - ky[0] if last else ky[i + 2] - ky[i + 1]
            off[i] = h_next
            diag[i] = 2.0 * (h_next + h_i)
            rhs[i] = 3.0 * (dy_next * (1.0 / h_next) - (ky[i + 1] - ky[i]) * (1.0 / h_i))
        _solve_symm_cyclic(diag, off, rhs, size, sol, work)
        for i in range(size):
            c[i + 1] = sol[i]
        c[0] = c[n - 1]
    _cubic_from_curvatures(kx, ky, n, b, c, d)


@njit(cache=True)
def _fit_akima(kx, ky, n, b, c, d, periodic, work):
    """GSL Akima spline, n >= 5: exact ``== 0`` weight tests, straight chord when degenerate.

    The periodic type only changes the four extension slopes: they wrap around
    (m[-2] = m[n-3], m[-1] = m[n-2], m[n-1] = m[0], m[n] = m[1]), treating the last point as
    a repeat of the first without checking that y agrees; checked against libgsl 2.7.1.
    """
    m = work[0]  # m[i + 2] holds segment slope i, i = -2 .. n
    for i in range(n - 1):
        m[i + 2] = (ky[i + 1] - ky[i]) / (kx[i + 1] - kx[i])
    if periodic:
        m[0] = m[n - 3 + 2]
        m[1] = m[n - 2 + 2]
        m[n + 1] = m[2]
        m[n + 2] = m[3]
    else:
        m[0] = 3.0 * m[2] - 2.0 * m[3]
        m[1] = 2.0 * m[2] - m[3]
        m[n + 1] = 2.0 * m[n] - m[n - 1]
        m[n + 2] = 3.0 * m[n] - 2.0 * m[n - 1]
    for i in range(n - 1):
        mm2, mm1, m0, mp1, mp2 = m[i], m[i + 1], m[i + 2], m[i + 3], m[i + 4]
        ne = abs(mp1 - m0) + abs(mm1 - mm2)
        if ne == 0.0:
            b[i] = m0
            c[i] = 0.0
            d[i] = 0.0
        else:
            h = kx[i + 1] - kx[i]
            ne_next = abs(mp2 - mp1) + abs(m0 - mm1)
            alpha = abs(mm1 - mm2) / ne
            if ne_next == 0.0:
                t_right = m0
            else:
                alpha_next = abs(m0 - mm1) / ne_next
                t_right = (1.0 - alpha_next) * m0 + alpha_next * mp1
            b[i] = (1.0 - alpha) * mm1 + alpha * m0
            c[i] = (3.0 * m0 - 2.0 * b[i] - t_right) / h
            d[i] = (b[i] + t_right - 2.0 * m0) / (h * h)


@njit(cache=True)
def _fit_constant(xs, ys, n, kx, ky, b, c, d):
    """Afw InterpolateConstant: one point is a constant; n >= 2 points are recentred."""
    if n == 1:
        kx[0] = xs[0]
        ky[0] = ys[0]
        return 1
    kx[0] = xs[0] - (xs[1] - xs[0]) / 2.0
    ky[0] = ys[0]
    for j in range(1, n):
        kx[j] = (xs[j - 1] + xs[j]) / 2.0
        ky[j] = (ys[j - 1] + ys[j]) / 2.0
    kx[n] = xs[n - 1] + (xs[n - 1] - xs[n - 2]) / 2.0
    ky[n] = ys[n - 1]
    for j in range(n):
        b[j] = 0.0
        c[j] = 0.0
        d[j] = 0.0
    return n + 1


@njit(cache=True)
def _fit(xs, ys, n, style, kx, ky, b, c, d, work):
    """Fit ``style`` to n >= min points; returns (knot count, evaluation mode, status)."""
    if style == _CONSTANT:
        return _fit_constant(xs, ys, n, kx, ky, b, c, d), MODE_STEPS, STATUS_OK
    for i in range(n):
        kx[i] = xs[i]
        ky[i] = ys[i]
    if style == _LINEAR:
        for i in range(n - 1):
            b[i] = (ky[i + 1] - ky[i]) / (kx[i + 1] - kx[i])
            c[i] = 0.0
            d[i] = 0.0
        return n, MODE_LINEAR, STATUS_OK
    if style == _NATURAL or style == _CUBIC:
        _fit_natural(kx, ky, n, b, c, d, work)
    elif style == _CUBIC_PERIODIC:
        if n < 3:
            return n, MODE_CUBIC, STATUS_INIT_FAILED
        _fit_periodic_cubic(kx, ky, n, b, c, d, work)
    else:
        _fit_akima(kx, ky, n, b, c, d, style == _AKIMA_PERIODIC, work)
    return n, MODE_CUBIC, STATUS_OK


@njit(cache=True)
def fit_with_fallback(xs, ys, n, style, undersample, kx, ky, b, c, d, work):
    """Fit the n finite points with ``style``, falling back as afw does when there are too few.

    Returns ``(knot count, evaluation mode, status)``. Under REDUCE_INTERP_ORDER too few
    points use ``lookupMaxInterpStyle(n)`` and zero points give a constant NaN; otherwise
    too few points return STATUS_TOO_FEW.
    """
    if n < _GSL_MIN_POINTS[style]:
        if undersample != _REDUCE:
            return 0, MODE_STEPS, STATUS_TOO_FEW
        if n == 0:
            kx[0] = 0.0
            ky[0] = np.nan
            return 1, MODE_STEPS, STATUS_OK
        style = _MAX_STYLE[min(n, 5)]
    return _fit(xs, ys, n, style, kx, ky, b, c, d, work)


@njit(cache=True)
def _clip(j, count):
    return min(max(j, 0), count)


@njit(cache=True)
def evaluate(kx, ky, b, c, d, m, mode, t0, dst):
    """Evaluate at t = t0, t0+1, ... into ``dst`` (float32 or float64).

    Inside the knots GSL's piece is used (see the MODE_* constants for which piece owns a
    knot); outside, afw's quadratic Taylor expansion of the end piece.
    """
    count = dst.shape[0]
    if m == 1:
        for j in range(count):
            dst[j] = ky[0]
        return
    first = kx[0]
    last = kx[m - 1]
    left_end = _clip(int(np.ceil(first)) - t0, count)
    right_start = int(np.ceil(last)) if mode == MODE_STEPS else int(np.floor(last)) + 1
    right_start = _clip(right_start - t0, count)

    # afw evaluates GSL's first and second derivative at the end knot, in the end interval
    slope = b[0] + 0.0 * (2.0 * c[0] + 3.0 * d[0] * 0.0)
    curve = 2.0 * c[0] + 6.0 * d[0] * 0.0
    _extrapolate(first, ky[0], slope, curve, t0, 0, left_end, dst)

    for i in range(m - 1):
        lo = _clip(int(np.ceil(kx[i])) - t0, count)
        hi = right_start if i == m - 2 else _clip(int(np.ceil(kx[i + 1])) - t0, count)
        xi, yi, bi, ci, di = kx[i], ky[i], b[i], c[i], d[i]
        # A slice indexed from 0 lets numba prove the index is never negative, so it drops
        # the negative-index wrap-around that otherwise stops LLVM vectorising the loop.
        piece = dst[lo : max(lo, hi)]
        start = t0 + lo
        if mode == MODE_LINEAR:
            h = kx[i + 1] - xi
            rise = ky[i + 1] - yi
            for k in range(piece.shape[0]):
                piece[k] = yi + ((start + k) - xi) / h * rise
        else:
            for k in range(piece.shape[0]):
                u = (start + k) - xi
                piece[k] = yi + u * (bi + u * (ci + di * u))

    i = m - 2
    h = last - kx[i]
    slope = b[i] + h * (2.0 * c[i] + 3.0 * d[i] * h)
    curve = 2.0 * c[i] + 6.0 * d[i] * h
    _extrapolate(last, ky[m - 1], slope, curve, t0, right_start, count, dst)


@njit(cache=True)
def _extrapolate(xe, ye, slope, curve, t0, lo, hi, dst):
    """afw: y_e + dt*D1 + dt*dt*D2/2 for dst[lo:hi], with dt = t - x_e."""
    for j in range(lo, hi):
        dt = (t0 + j) - xe
        dst[j] = ye + dt * slope + 0.5 * dt * dt * curve
