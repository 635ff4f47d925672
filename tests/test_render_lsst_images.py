"""skybkg_adapters.render.spline: lsst-images' spline render against scipy, afw's against GSL.

``_scipy_reference`` is lsst-images' ``SplineField.render`` algorithm written directly on
``scipy.interpolate.Akima1DInterpolator`` (as the lsst-images README of the real files
describes it), so random grids (NaN bins, collinear runs that hit scipy's degenerate-weight
rule and its global cutoff, 1-4 points) are checked beyond the real files. The afw
semantics are checked against libgsl itself (:mod:`_gsl_reference`), inside and outside
the hull of the bin centres.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gsl_reference import reference_grid
from conftest import LSST_IMAGES_BACKGROUNDS
from scipy.interpolate import Akima1DInterpolator
from test_render import gsl  # noqa: F401  (the libgsl fixture: skips, saying why, without it)

from skybkg_adapters import BackgroundMap, BBox, ProductField, SplineField, SumField
from skybkg_adapters.render import _scipy_akima as akima
from skybkg_adapters.render import render_spline, render_threads, set_render_threads


def _line(positions, values, lo, hi):
    if len(positions) == 1:
        return Akima1DInterpolator(np.array([lo - 0.5, hi + 0.5]), np.array([values[0]] * 2))
    return Akima1DInterpolator(positions, values, extrapolate=True)


def _scipy_reference(values, x, y, bounds, bbox, dtype):
    rows = np.arange(bbox.y0, bbox.y1)
    kept, ypass = [], []
    for j in range(x.size):
        finite = np.isfinite(values[:, j])
        if finite.any():
            fit = _line(y[finite], values[finite, j], bounds.y0, bounds.max_y)
            ypass.append(fit(rows).astype(dtype))
            kept.append(j)
    fit = _line(x[kept], np.array(ypass), bounds.x0, bounds.max_x)
    return fit(np.arange(bbox.x0, bbox.x1)).T.astype(dtype)


def _fit(x, v):
    n = x.size
    t, c = np.empty(max(n, 2)), np.empty((4, max(n, 2)))
    if n == 2:
        akima.fit_line(x, v, t, c)
    else:
        m, f12 = np.empty(n + 3), np.empty(n)
        top = akima.slopes_and_weights(x, v, n, m, f12)
        akima.hermite_coefficients(x, v, n, m, f12, top, t, c)
    return c


def _cases(rng, count):
    for trial in range(count):
        n = int(rng.integers(2, 14))
        x = np.unique(rng.uniform(-40.0, 400.0, n))
        v = rng.normal(size=x.size) * rng.choice([1e-3, 1.0, 1e3])
        if trial % 3 == 0:  # collinear runs: Akima's weights vanish (the fill rule)
            k = x.size // 2
            v[:k] = 3.0 * x[:k] - 7.0
        if trial % 5 == 0:  # integer data, exactly equal slopes
            v = np.round(v * 10.0)
        if trial % 7 == 0:  # weights just around scipy's 1e-9 relative cutoff
            v = 2.0 * x + 1e-9 * rng.normal(size=x.size) * np.abs(x).max()
        yield x, v


def test_1d_fits_equal_scipy_bit_for_bit():
    rng = np.random.default_rng(2026)
    positions = np.arange(-90, 460).astype(np.float64)
    for x, v in _cases(rng, 600):
        c = _fit(x, v)
        expected = Akima1DInterpolator(x, v, extrapolate=True)(positions)
        out = np.empty(positions.size)
        akima.evaluate_range(x, x.size, c, True, positions, out)
        np.testing.assert_array_equal(out, expected, err_msg=f"x={x!r} v={v!r}")
        points = rng.uniform(-90.0, 460.0, 15)
        got = [akima.evaluate_point(x, x.size, c, True, p) for p in points]
        np.testing.assert_array_equal(got, Akima1DInterpolator(x, v, extrapolate=True)(points))


def test_without_extrapolation_outside_is_nan():
    x, v = np.array([2.5, 9.5]), np.array([4.0, 4.0])
    c = _fit(x, v)
    out = np.empty(12)
    akima.evaluate_range(x, 2, c, False, np.arange(12.0), out)
    np.testing.assert_array_equal(out, Akima1DInterpolator(x, v)(np.arange(12.0)))
    assert np.isnan(out[:3]).all()
    assert np.isnan(out[10:]).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_random_grids_equal_the_scipy_algorithm(dtype):
    rng = np.random.default_rng(11)
    checked = 0
    for trial in range(120):
        ny, nx = (int(v) for v in rng.integers(1, 9, 2))
        bounds = BBox(
            int(rng.integers(-50, 50)),
            int(rng.integers(-50, 50)),
            int(rng.integers(20, 90)),
            int(rng.integers(20, 90)),
        )
        x = np.sort(rng.uniform(bounds.x0, bounds.x1, nx))
        y = np.sort(rng.uniform(bounds.y0, bounds.y1, ny))
        if np.any(np.diff(x) <= 0) or np.any(np.diff(y) <= 0):
            continue
        values = 1000.0 + rng.normal(size=(ny, nx)) * 5.0
        if trial % 2:
            values[rng.random((ny, nx)) < 0.25] = np.nan
        if trial % 4 == 0:
            values[:, : nx // 2] = np.round(values[:, : nx // 2])
        if not np.isfinite(values).any():
            continue
        bbox = BBox(bounds.x0 + 3, bounds.y0 + 2, bounds.width - 5, bounds.height - 4)
        ours = render_spline(values, x, y, bounds, bbox, dtype=dtype)
        theirs = _scipy_reference(values, x, y, bounds, bbox, dtype)
        np.testing.assert_array_equal(ours, theirs, err_msg=f"trial {trial}")
        checked += 1
    assert checked > 80


def test_the_x_pass_cutoff_is_relative_to_the_largest_weight_of_all_rows():
    """Scipy fits all rows at once, so one row's wild weights flatten another's tangents."""
    x = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    y = np.array([0.0, 1.0])
    straight = 2.0 * x + np.array([0.0, 1e-7, 0.0, -1e-7, 0.0, 2e-7])
    wild = np.array([0.0, 5e4, -5e4, 5e4, -5e4, 0.0])
    values = np.vstack([straight, wild])
    bounds = BBox(0, 0, 51, 2)
    together = render_spline(values, x, y, bounds, bounds)
    np.testing.assert_array_equal(
        together, _scipy_reference(values, x, y, bounds, bounds, np.float64)
    )
    alone = Akima1DInterpolator(x, straight, extrapolate=True)(np.arange(51.0))
    assert not np.array_equal(together[0], alone)
    # a one-row cutout is a fit of its own: lsst-images gives the single-row answer there
    one_row = BBox(0, 0, 51, 1)
    np.testing.assert_array_equal(
        render_spline(values, x, y, bounds, one_row)[0],
        _scipy_reference(values, x, y, bounds, one_row, np.float64)[0],
    )


def test_a_float32_render_holds_its_y_pass_in_float32():
    rng = np.random.default_rng(5)
    x, y = np.linspace(10, 90, 6), np.linspace(5, 45, 5)
    values = 1000.0 + rng.normal(size=(5, 6))
    bounds = BBox(0, 0, 100, 50)
    f64 = render_spline(values, x, y, bounds, bounds)
    f32 = render_spline(values, x, y, bounds, bounds, dtype=np.float32)
    assert not np.array_equal(f32, f64.astype(np.float32))
    ulps = np.abs(f32.astype(np.float64) - f64) / np.spacing(np.abs(f64).astype(np.float32))
    assert ulps.max() <= 3.0


def test_threads_give_the_same_pixels():
    assert render_threads() == 1  # one thread unless asked: dask workers run one per core
    rng = np.random.default_rng(3)
    x, y = np.linspace(5, 395, 12), np.linspace(5, 595, 9)
    values = 1000.0 + rng.normal(size=(9, 12))
    bounds = BBox(0, 0, 400, 600)
    single = render_spline(values, x, y, bounds, bounds, dtype=np.float32)
    afw_single = render_spline(values, x, y, bounds, bounds, semantics="afw")
    set_render_threads(3)
    try:
        assert render_threads() == 3
        np.testing.assert_array_equal(
            render_spline(values, x, y, bounds, bounds, dtype=np.float32), single
        )
        np.testing.assert_array_equal(
            render_spline(values, x, y, bounds, bounds, semantics="afw"), afw_single
        )
    finally:
        set_render_threads(None)
    with pytest.raises(ValueError, match="positive integer"):
        set_render_threads(0)


def test_the_thread_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SKYBKG_RENDER_THREADS", "2")
    assert render_threads() == 2
    monkeypatch.setenv("SKYBKG_RENDER_THREADS", "many")
    with pytest.raises(ValueError, match="SKYBKG_RENDER_THREADS"):
        render_threads()


# ------------------------------------------------- semantics="afw": against libgsl itself


def _splines(field):
    if isinstance(field, SplineField):
        yield field
    elif isinstance(field, SumField | ProductField):
        for operand in field.operands:
            yield from _splines(operand)


def _all_splines(read_dp2):
    for name, background in LSST_IMAGES_BACKGROUNDS:
        product = read_dp2(name)
        maps = product if isinstance(product, BackgroundMap) else product.backgrounds
        for k, spline in enumerate(_splines(maps[background].field)):
            yield f"{name}:{background}[{k}]", spline


def _hull(spline: SplineField) -> np.ndarray:
    b = spline.bounds
    rows, cols = np.arange(b.y0, b.y1), np.arange(b.x0, b.x1)
    return np.outer(
        (rows >= spline.y[0]) & (rows <= spline.y[-1]),
        (cols >= spline.x[0]) & (cols <= spline.x[-1]),
    )


def _akima_everywhere(spline: SplineField) -> bool:
    return min(spline.values.shape) >= 5 and bool(np.isfinite(spline.values).all())


@pytest.mark.parametrize(
    "label",
    [
        "visit_01_typical.fits:subtracted[0]",  # 5x8 Akima, inside and outside the hull
        "visit_02_nan_akima.fits:subtracted[0]",  # 5x3: natural splines; NaN bins
        "visit_02_nan_akima.fits:skyCorr[0]",  # an all-NaN column, a one-value column
        "visit_05_offset.fits:skyCorr[1]",  # 8x9, non-zero origin
        "background_map_01.fits:skyCorr[0]",  # 3x3: natural splines everywhere
    ],
)
@pytest.mark.usefixtures("gsl")
def test_afw_semantics_equal_the_gsl_reference(label, read_dp2):
    spline = dict(_all_splines(read_dp2))[label]
    b = spline.bounds
    ours = spline.render(dtype=np.float32, semantics="afw")
    reference = reference_grid(
        spline.values, spline.x, spline.y, range(b.x0, b.x1), range(b.y0, b.y1)
    )
    hull = _hull(spline)
    assert hull.any()
    assert (~hull).any()
    # float32 output of float64 work on both sides: equal to round-off, in and out of the hull
    for where in (hull, ~hull):
        np.testing.assert_allclose(ours[where], reference[where], rtol=2e-7, atol=1e-6)


def test_identical_to_lsst_images_inside_the_hull_with_five_or_more_points(read_dp2):
    checked = 0
    for label, spline in _all_splines(read_dp2):
        if not _akima_everywhere(spline):
            continue
        inside = _hull(spline)
        scale = np.float32(np.abs(spline.values).max())
        for dtype in (np.float64, np.float32):
            lsst = spline.render(dtype=dtype).astype(np.float64)
            afw = spline.render(dtype=dtype, semantics="afw").astype(np.float64)
            # float64: a few float64 ulp; float32: the lsst-images y pass rounds to float32
            allowed = 3 * np.spacing(scale) if dtype == np.float32 else 1e-12 * scale
            assert np.abs(lsst - afw)[inside].max() <= allowed, label
        checked += 1
    assert checked >= 8


def test_different_outside_the_hull(read_dp2):
    for label, spline in _all_splines(read_dp2):
        if not _akima_everywhere(spline):
            continue
        lsst, afw = spline.render(), spline.render(semantics="afw")
        outside = ~_hull(spline)
        # scipy continues the end cubics, afw expands them to second order only
        relative = np.abs(lsst - afw)[outside].max() / np.abs(lsst).max()
        assert relative > 1e-5, label


@pytest.mark.parametrize(
    ("name", "background"),
    [
        ("visit_02_nan_akima.fits", "subtracted"),  # 5x3: afw uses natural splines everywhere
        ("visit_08_lossy.fits", "subtracted"),  # 4x5: ditto
        ("background_map_01.fits", "skyCorr"),  # its 3x3 spline operand
    ],
)
def test_fewer_than_five_points_differ_inside_the_hull(name, background, read_dp2):
    product = read_dp2(name)
    maps = product if isinstance(product, BackgroundMap) else product.backgrounds
    spline = next(_splines(maps[background].field))
    inside = _hull(spline)
    lsst, afw = spline.render(), spline.render(semantics="afw")
    assert np.abs(lsst - afw)[inside].max() > 1e-6 * np.abs(lsst).max()


def test_afw_semantics_through_sums_and_cutouts(read_dp2):
    model = read_dp2("visit_05_offset.fits").backgrounds["skyCorr"]
    full = model.render(semantics="afw")
    cut = (model.bbox.x0 + 10, model.bbox.y0 + 20, 50, 30)
    np.testing.assert_array_equal(model.render(cut, semantics="afw"), full[20:50, 10:60])
