"""An independent reference renderer: the system libgsl through ctypes, afw's logic in plain loops.

Only the tests use this. It follows lsst-formats.md sections 2.2 and 3 literally, one pixel
at a time, so it shares no code (and no vectorisation tricks) with ``adapters/render.py``.
"""

from __future__ import annotations

import bisect
import ctypes
import math

import numpy as np

__all__ = ["GslUnavailable", "TooFewPoints", "load_gsl", "reference_grid", "reference_render"]

LIBGSL = "/usr/lib/x86_64-linux-gnu/libgsl.so.27"

# InterpStyle value -> GSL interp type symbol (CONSTANT is afw's own, handled in Python)
_GSL_TYPES = {
    1: "gsl_interp_linear",
    2: "gsl_interp_cspline",
    3: "gsl_interp_cspline",
    4: "gsl_interp_cspline_periodic",
    5: "gsl_interp_akima",
    6: "gsl_interp_akima_periodic",
}
_MIN_POINTS = {0: 1, 1: 2, 2: 3, 3: 3, 4: 3, 5: 5, 6: 5}  # afw lookupMinInterpPoints


class GslUnavailable(RuntimeError):
    """libgsl could not be loaded."""


class TooFewPoints(Exception):
    """afw's OutOfRangeError: the interpolator cannot be built on so few points."""


class InitFailed(Exception):
    """afw's RuntimeError from a failing gsl_interp_init."""


_gsl = None


def load_gsl():
    """The ctypes handle on libgsl, set up once; GslUnavailable if it is not installed."""
    global _gsl
    if _gsl is not None:
        return _gsl
    try:
        lib = ctypes.CDLL(LIBGSL)
    except OSError as exc:
        raise GslUnavailable(f"{LIBGSL} not loadable ({exc})") from None
    lib.gsl_set_error_handler_off()
    lib.gsl_interp_alloc.restype = ctypes.c_void_p
    lib.gsl_interp_alloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.gsl_interp_init.restype = ctypes.c_int
    lib.gsl_interp_init.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_size_t]
    lib.gsl_interp_free.argtypes = [ctypes.c_void_p]
    for name in ("gsl_interp_eval", "gsl_interp_eval_deriv", "gsl_interp_eval_deriv2"):
        func = getattr(lib, name)
        func.restype = ctypes.c_double
        func.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_double, ctypes.c_void_p]
    _gsl = lib
    return lib


class _Gsl:
    """afw InterpolateGsl: GSL inside the knots, quadratic Taylor of the end piece outside."""

    def __init__(self, style, x, y):
        lib = load_gsl()
        self.lib = lib
        self.x = (ctypes.c_double * len(x))(*x)
        self.y = (ctypes.c_double * len(y))(*y)
        self.xs, self.ys = list(x), list(y)
        kind = ctypes.c_void_p.in_dll(lib, _GSL_TYPES[style]).value
        self.ptr = lib.gsl_interp_alloc(kind, len(x)) if x else None
        if not self.ptr:
            raise TooFewPoints
        if lib.gsl_interp_init(self.ptr, self.x, self.y, len(x)) != 0:
            lib.gsl_interp_free(self.ptr)
            self.ptr = None
            raise InitFailed

    def __del__(self):
        if getattr(self, "ptr", None):
            self.lib.gsl_interp_free(self.ptr)

    def __call__(self, t):
        lib = self.lib
        if t < self.xs[0] or t > self.xs[-1]:
            xe, ye = (self.xs[0], self.ys[0]) if t < self.xs[0] else (self.xs[-1], self.ys[-1])
            d1 = lib.gsl_interp_eval_deriv(self.ptr, self.x, self.y, xe, None)
            d2 = lib.gsl_interp_eval_deriv2(self.ptr, self.x, self.y, xe, None)
            return ye + (t - xe) * d1 + 0.5 * (t - xe) * (t - xe) * d2
        return lib.gsl_interp_eval(self.ptr, self.x, self.y, t, None)


class _Constant:
    """afw InterpolateConstant, with the recentring of lsst-formats.md 3.1."""

    def __init__(self, x, y):
        if not x:
            raise TooFewPoints
        if len(x) == 1:
            self.r, self.q = [x[0]], [y[0]]
            return
        n = len(x)
        self.r = [x[0] - (x[1] - x[0]) / 2] + [(x[j - 1] + x[j]) / 2 for j in range(1, n)]
        self.r.append(x[-1] + (x[-1] - x[-2]) / 2)
        self.q = [y[0]] + [(y[j - 1] + y[j]) / 2 for j in range(1, n)] + [y[-1]]

    def __call__(self, t):
        k = bisect.bisect_right(self.r, t)
        return self.q[max(k - 1, 0)]


def _max_style(n):
    return 0 if n == 1 else 1 if n == 2 else 3 if n < 5 else 5


def _make(style, x, y):
    return _Constant(x, y) if style == 0 else _Gsl(style, x, y)


def _interpolator(style, undersample, x, y):
    """Afw's try / catch OutOfRangeError around makeInterpolate, for one column or row."""
    try:
        return _make(style, x, y)
    except TooFewPoints:
        if undersample != 1:
            raise
        if not y:
            return _Constant([0.0], [math.nan])
        return _interpolator(_max_style(len(y)), undersample, x, y)


def _centres(length, n):
    out, start = [], 0
    for i in range(n):
        end = min(((i + 1) * length + n // 2) // n, length)
        out.append(start + 0.5 * (end - start) - 0.5)
        start = end
    return out


def reference_render(values, size, style, undersample, window=None):
    """Afw BackgroundMI.getImage of one interpolated entry, as a float32 array.

    ``size`` is (width, height) of the image, ``window`` (x0, y0, w, h) in local pixels.
    Raises TooFewPoints / InitFailed / ValueError where afw raises.
    """
    width, height = size
    ny, nx = len(values), len(values[0])
    x0, y0, w, h = window or (0, 0, width, height)
    return reference_grid(
        values,
        _centres(width, nx),
        _centres(height, ny),
        range(x0, x0 + w),
        range(y0, y0 + h),
        style,
        undersample,
        all_rows=range(height),
    )


def reference_grid(values, xcen, ycen, columns, rows, style=5, undersample=1, all_rows=None):
    """Afw's separable interpolation of ``values`` at bin centres ``xcen``/``ycen``, float32.

    Evaluated at the integer positions ``columns`` x ``rows`` (any frame, the centres'),
    after afw's global undersampling check; ``all_rows`` are the rows the column pass
    evaluates (afw: every image row; only ``rows`` are needed otherwise).
    """
    ny, nx = len(values), len(values[0])
    needed = _MIN_POINTS[style]
    if nx < needed or ny < needed:
        if undersample != 1:
            raise ValueError("undersampled")
        style = _max_style(nx if nx < ny else ny)
    rows, columns = list(rows), list(columns)
    wanted = rows if all_rows is None else list(all_rows)
    at = {y: k for k, y in enumerate(wanted)}
    fits = []
    for ix in range(nx):
        pts = [(ycen[iy], float(values[iy][ix])) for iy in range(ny)]
        pts = [(p, v) for p, v in pts if not math.isnan(v)]
        func = _interpolator(style, undersample, [p for p, _ in pts], [v for _, v in pts])
        fits.append([func(float(y)) for y in wanted])
    out = np.empty((len(rows), len(columns)), np.float32)
    for r, y in enumerate(rows):
        pts = [(xcen[ix], fits[ix][at[y]]) for ix in range(nx)]
        pts = [(p, v) for p, v in pts if not math.isnan(v)]
        func = _interpolator(style, undersample, [p for p, _ in pts], [v for _, v in pts])
        for j, x in enumerate(columns):
            out[r, j] = np.float32(func(float(x)))
    return out
