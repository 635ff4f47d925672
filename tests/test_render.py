"""Background rendering against hand-derived values and an independent libgsl reference."""

from __future__ import annotations

import numpy as np
import pytest
from _gsl_reference import GslUnavailable, InitFailed, TooFewPoints, load_gsl, reference_render
from numpy.polynomial import chebyshev as npcheb

from skybkg_adapters import (
    ApproxStyle,
    BackgroundLayer,
    BackgroundModel,
    InterpStyle,
    RenderError,
    UndersampleStyle,
    bin_centers,
    render_layers,
)
from skybkg_adapters import render as render_module
from skybkg_adapters.render import _chebyshev, _interp

REDUCE = UndersampleStyle.REDUCE_INTERP_ORDER
THROW = UndersampleStyle.THROW_EXCEPTION


def line(style, xs, ys, t0, count, undersample=REDUCE):
    """The 1-D interpolant of (xs, ys) evaluated in float64 at t = t0 .. t0+count-1."""
    n = len(xs)
    _, _, kx, ky, b, c, d, work = _interp.work_arrays(max(n, 1))
    m, mode, status = _interp.fit_with_fallback(
        np.asarray(xs, float),
        np.asarray(ys, float),
        n,
        int(style),
        int(undersample),
        kx,
        ky,
        b,
        c,
        d,
        work,
    )
    assert status == _interp.STATUS_OK
    out = np.empty(count)
    _interp.evaluate(kx, ky, b, c, d, m, mode, t0, out)
    return out


def at(values, t0, t):
    return values[t - t0]


def layer(values, bbox, **kw):
    return BackgroundLayer(values=np.asarray(values, np.float32), bbox=bbox, **kw)


# ---------------------------------------------------------------- bin centres (spec 2.1)


def test_bin_centers_detector_width():
    xcen = bin_centers(4072, 32)
    assert xcen[:3].tolist() == [63.0, 190.5, 318.0]
    assert xcen[-2:].tolist() == [3881.0, 4008.0]
    # bins are 127 px wide with every fourth 128, so centres are 127 or 127.5 apart
    assert set(np.diff(xcen).tolist()) == {127.0, 127.5}


def test_bin_centers_detector_height_and_coadd_tweak():
    assert bin_centers(4000, 32).tolist() == (62 + 125 * np.arange(32)).tolist()
    assert bin_centers(4200, 1).tolist() == [2099.5]


def test_bin_centers_uneven_split():
    # ends: 11//3 = 3, 21//3 = 7, 31//3 = 10 -> sizes 3, 4, 3
    assert bin_centers(10, 3).tolist() == [1.0, 4.5, 8.0]


def test_bin_centers_rejects_empty():
    with pytest.raises(RenderError, match="positive"):
        bin_centers(0, 3)


# ------------------------------------------------------ one-dimensional interpolants (spec 3)


def test_linear_inside_at_last_knot_and_extrapolated():
    values = line(InterpStyle.LINEAR, [5, 15, 25], [0, 10, 30], 0, 31)
    assert at(values, 0, 10) == 5.0
    assert at(values, 0, 20) == 20.0
    assert at(values, 0, 25) == 30.0  # t == last knot: last interval
    assert at(values, 0, 0) == -5.0  # linear extrapolation with the end slope
    assert at(values, 0, 30) == 40.0


def test_natural_cubic_spline_and_its_linear_extrapolation():
    # h = 10, one interior equation: 40 c1 = 3 (-1 - 1) -> c1 = -0.15, b0 = 1.5, d0 = -0.005
    for style in (InterpStyle.NATURAL_SPLINE, InterpStyle.CUBIC_SPLINE):
        values = line(style, [0, 10, 20], [0, 10, 0], -5, 31)
        assert at(values, -5, 5) == pytest.approx(6.875, abs=1e-12)
        assert at(values, -5, 15) == pytest.approx(6.875, abs=1e-12)
        # end pieces: D1 = 1.5 / -1.5 and D2 = 0, so extrapolation is a straight line
        assert at(values, -5, -5) == pytest.approx(-7.5, abs=1e-12)
        assert at(values, -5, 25) == pytest.approx(-7.5, abs=1e-12)


def test_akima_generic_interval_and_quadratic_extrapolation():
    # slopes m = 0, 1, 0, 0; ends m-1 = -1, m-2 = -2, m4 = m5 = 0
    # interval 1: b = 0.5, right tangent 0, c = 0.2, d = -0.015 -> 5.625 at its middle
    values = line(InterpStyle.AKIMA_SPLINE, [0, 10, 20, 30, 40], [0, 0, 10, 10, 10], -10, 61)
    assert at(values, -10, 15) == pytest.approx(5.625, abs=1e-12)
    assert at(values, -10, 20) == pytest.approx(10.0, abs=1e-12)
    # left piece: b0 = -0.5, c0 = 0.05 -> 0 + 10*0.5 + 0.5*100*0.1 = 10 (quadratic, not cubic)
    assert at(values, -10, -10) == pytest.approx(10.0, abs=1e-12)
    assert at(values, -10, 50) == pytest.approx(10.0, abs=1e-12)  # flat right end


def test_akima_degenerate_weights_make_straight_segments():
    xs = [0, 10, 20, 30, 40, 50, 60, 70]
    ys = [0, 1, 2, 3, 5, 7, 9, 11]
    values = line(InterpStyle.AKIMA_SPLINE, xs, ys, 0, 71)
    assert at(values, 0, 25) == 2.5  # scipy's Akima gives 2.4375
    assert at(values, 0, 35) == 4.0  # scipy's Akima gives 3.9375


def test_constant_recentres_between_knots():
    values = line(InterpStyle.CONSTANT, [0, 10, 30], [1, 3, 7], -10, 61)
    # breakpoints -5, 5, 20, 40 carrying 1, (1+3)/2, (3+7)/2, 7
    expected = {-10: 1, -5: 1, 4: 1, 5: 2, 10: 2, 19: 2, 20: 5, 39: 5, 40: 7, 50: 7}
    assert {t: at(values, -10, t) for t in expected} == expected
    assert np.all(line(InterpStyle.CONSTANT, [3], [4.25], -10, 30) == 4.25)


@pytest.mark.parametrize(
    ("n", "expected_style"),
    [
        (1, InterpStyle.CONSTANT),
        (2, InterpStyle.LINEAR),
        (3, InterpStyle.CUBIC_SPLINE),
        (4, InterpStyle.CUBIC_SPLINE),
    ],
)
@pytest.mark.parametrize("start", [InterpStyle.AKIMA_SPLINE, InterpStyle.AKIMA_SPLINE_PERIODIC])
def test_reduce_falls_back_by_point_count(n, expected_style, start):
    xs = np.arange(n) * 10.0
    ys = np.array([0.0, 10.0, 0.0, 5.0])[:n]
    got = line(start, xs, ys, -7, 50)
    assert np.array_equal(got, line(expected_style, xs, ys, -7, 50))
    others = {InterpStyle.CONSTANT, InterpStyle.LINEAR, InterpStyle.CUBIC_SPLINE} - {expected_style}
    for other in others:
        if n >= _interp._GSL_MIN_POINTS[other]:
            assert not np.array_equal(got, line(other, xs, ys, -7, 50))


def test_reduce_fallback_values_by_hand():
    akima = InterpStyle.AKIMA_SPLINE
    assert np.all(line(akima, [4], [7], 0, 9) == 7)
    assert at(line(akima, [0, 10], [0, 10], 0, 30), 0, 5) == 5
    assert at(line(akima, [0, 10, 20], [0, 10, 0], 0, 30), 0, 5) == pytest.approx(6.875)


def test_too_few_points_without_reduce_is_reported():
    _, _, kx, ky, b, c, d, work = _interp.work_arrays(4)
    xs, ys = np.arange(4.0), np.ones(4)
    for undersample in (THROW, UndersampleStyle.INCREASE_NXNYSAMPLE):
        status = _interp.fit_with_fallback(xs, ys, 4, 5, int(undersample), kx, ky, b, c, d, work)
        assert status[2] == _interp.STATUS_TOO_FEW


# ------------------------------------------------------------- interpolated entries (spec 2.2)


def test_nan_bins_are_culled_from_columns():
    # 3x3 bins of 10x10 px, centres 4.5, 14.5, 24.5; every column is 0, NaN, 20 along y
    values = np.tile(np.array([[0.0], [np.nan], [20.0]]), (1, 3))
    image = render_layers([layer(values, (0, 0, 30, 30), interp_style=InterpStyle.LINEAR)])
    expected = (np.arange(30) - 4.5).astype(np.float32)  # the line through (4.5, 0), (24.5, 20)
    assert np.array_equal(image, np.repeat(expected[:, None], 30, axis=1))


def test_all_nan_column_is_dropped_from_rows():
    values = np.array([[0.0, np.nan, 20.0]] * 3)
    image = render_layers([layer(values, (0, 0, 30, 30), interp_style=InterpStyle.LINEAR)])
    assert np.array_equal(image[7], (np.arange(30) - 4.5).astype(np.float32))
    assert image[0, 14] == 9.5


def test_all_nan_grid_renders_nan():
    values = np.full((6, 6), np.nan)
    assert np.isnan(render_layers([layer(values, (0, 0, 40, 30))])).all()


def test_single_finite_bin_column_falls_back_to_constant():
    values = np.array([[np.nan, 1], [np.nan, 1], [5.0, 1], [np.nan, 1], [np.nan, 1]])
    image = render_layers([layer(values, (0, 0, 18, 50), interp_style=InterpStyle.LINEAR)])
    # bin centres x = 4, 13; column 0 is 5 everywhere, column 1 is 1: every row is one line
    assert np.array_equal(image[0], image[49])
    assert image[0, 4] == 5.0
    assert image[0, 13] == 1.0
    assert image[0, 0] == np.float32(5 + 4 * 4 / 9)


def test_global_reduce_uses_smaller_dimension_and_ny_on_ties():
    rng = np.random.default_rng(3)
    cases = [
        ((4, 3), InterpStyle.CUBIC_SPLINE),
        ((2, 2), InterpStyle.LINEAR),
        ((5, 1), InterpStyle.CONSTANT),
        ((2, 6), InterpStyle.LINEAR),
    ]
    for (ny, nx), style in cases:
        values = rng.normal(size=(ny, nx)) * 10
        reduced = render_layers([layer(values, (2, 3, 41, 37))])
        direct = render_layers([layer(values, (2, 3, 41, 37), interp_style=style)])
        assert np.array_equal(reduced, direct), (ny, nx, style)


def test_throw_exception_raises_on_undersampled_grid():
    with pytest.raises(RenderError, match="too small for AKIMA_SPLINE"):
        render_layers([layer(np.ones((4, 8)), (0, 0, 80, 40), undersample_style=THROW)])
    with pytest.raises(RenderError, match="INCREASE_NXNYSAMPLE"):
        render_layers(
            [
                layer(
                    np.ones((4, 8)),
                    (0, 0, 80, 40),
                    undersample_style=UndersampleStyle.INCREASE_NXNYSAMPLE,
                )
            ]
        )


def test_throw_exception_raises_on_nan_thinned_column():
    values = np.ones((8, 8))
    values[:5, 3] = np.nan
    with pytest.raises(RenderError, match="bin column 3 has 3 finite values"):
        render_layers([layer(values, (0, 0, 80, 80), undersample_style=THROW)])


def test_throw_exception_applies_to_chebyshev_entries_too():
    cheb = layer(
        np.ones((3, 3)),
        (0, 0, 30, 30),
        undersample_style=THROW,
        approx_style=ApproxStyle.CHEBYSHEV,
        approx_order_x=1,
    )
    with pytest.raises(RenderError, match="too small"):
        render_layers([cheb])


def test_periodic_cubic_spline_on_two_points_raises_like_afw():
    values = np.ones((3, 3))
    values[0, 1] = np.nan
    with pytest.raises(RenderError, match="periodic cubic spline on 2 points"):
        render_layers(
            [layer(values, (0, 0, 30, 30), interp_style=InterpStyle.CUBIC_SPLINE_PERIODIC)]
        )


def test_coadd_tweak_is_a_constant_float32_level():
    level = 0.123456789012
    tweak = layer(
        [[level]],
        (3900, 3900, 4200, 4200),
        interp_style=InterpStyle.LINEAR,
        variance=[[level]],
        approx_order_x=0,
        approx_order_y=0,
        approx_weighting=False,
    )
    image = BackgroundModel((tweak,)).render()
    assert image.shape == (4200, 4200)
    assert image.dtype == np.float32
    assert np.all(image == np.float32(level))
    assert image.std(dtype=np.float64) == 0


# ------------------------------------------------------------- Chebyshev entries (spec 4)


def cheb_layer(values, bbox=(0, 0, 100, 80), order=1, **kw):
    return layer(values, bbox, approx_style=ApproxStyle.CHEBYSHEV, approx_order_x=order, **kw)


def test_chebyshev_order_one_reproduces_an_exact_plane():
    xcen, ycen = bin_centers(100, 8), bin_centers(80, 6)
    plane = 100.0 + 0.5 * xcen[None, :] - 0.25 * ycen[:, None]  # exact in float32
    variance = np.random.default_rng(0).uniform(0.5, 3.0, plane.shape)
    image = render_layers([cheb_layer(plane, variance=variance)])
    y, x = np.mgrid[:80, :100]
    assert np.allclose(image, (100.0 + 0.5 * x - 0.25 * y).astype(np.float32), rtol=0, atol=3e-5)


def test_chebyshev_scaling_and_term_order():
    assert _chebyshev.coefficient_grid(np.arange(6.0), 2).tolist() == [
        [0, 2, 5],
        [1, 4, 0],
        [3, 0, 0],
    ]
    # x' = (x - 49.5) * 0.02 on a 100 px axis; data is the single term T1(x') T1(y')
    xp = (bin_centers(100, 10) - 49.5) * 0.02
    yp = (bin_centers(80, 8) - 39.5) * 0.025
    order, grid = render_module._chebyshev_fit(cheb_layer(yp[:, None] * xp[None, :], order=2), 0)
    expected = np.zeros((3, 3))
    expected[1, 1] = 1
    assert np.allclose(grid, expected, atol=1e-6)
    image = render_layers([cheb_layer(yp[:, None] * xp[None, :], order=2)])
    assert image[0, 0] == pytest.approx(-0.99 * -0.9875, abs=1e-6)
    assert image[79, 0] == pytest.approx(0.9875 * -0.99, abs=1e-6)


def test_chebyshev_weights_are_float32_reciprocals():
    rng = np.random.default_rng(7)
    xcen, ycen = bin_centers(90, 6), bin_centers(70, 5)
    values = rng.normal(size=(5, 6)) * 30 + 200
    variance = rng.choice([3.0, 7.0, 0.1, 11.0], size=values.shape).astype(np.float32)
    _, grid = render_module._chebyshev_fit(cheb_layer(values, (0, 0, 90, 70), variance=variance), 0)

    def lstsq(weights):
        xp, yp = np.meshgrid((xcen - 44.5) * (2 / 90), (ycen - 34.5) * (2 / 70))
        design = np.stack([np.ones(xp.size), xp.ravel(), yp.ravel()], axis=1)
        root = np.sqrt(weights.ravel())[:, None]
        params = np.linalg.lstsq(
            design * root, values.astype(np.float32).ravel() * root[:, 0], rcond=None
        )[0]
        return np.array([[params[0], params[2]], [params[1], 0.0]])

    float32_weights = (np.float32(1) / variance).astype(np.float64)
    float64_weights = 1.0 / variance.astype(np.float64)
    assert np.allclose(grid, lstsq(float32_weights), rtol=1e-12, atol=1e-11)
    assert not np.allclose(lstsq(float64_weights), lstsq(float32_weights), rtol=1e-12, atol=1e-11)


def test_chebyshev_skips_non_finite_bins():
    xcen, ycen = bin_centers(100, 8), bin_centers(80, 6)
    plane = 10.0 + 0.125 * xcen[None, :] + 0.5 * ycen[:, None]
    values, variance = plane.copy(), np.ones_like(plane)
    values[1, 2], variance[3, 4], variance[0, 0] = np.nan, 0.0, np.nan
    values[3, 4] = values[0, 0] = 1e6  # skipped: infinite / NaN weight
    y, x = np.mgrid[:80, :100]
    truth = (10.0 + 0.125 * x + 0.5 * y).astype(np.float32)
    image = render_layers([cheb_layer(values, variance=variance)])
    assert np.allclose(image, truth, rtol=0, atol=3e-5)
    # without weighting the zero-variance bin counts (weight 1) and spoils the plane
    unweighted = cheb_layer(values, variance=variance, approx_weighting=False)
    assert np.nanmax(np.abs(render_layers([unweighted]) - truth)) > 100


def test_chebyshev_negative_variance_is_not_skipped():
    values = np.full((5, 5), 3.0)
    variance = np.ones((5, 5))
    values[2, 2], variance[2, 2] = 50.0, -1.0
    image = render_layers([cheb_layer(values, (0, 0, 50, 50), order=0, variance=variance)])
    assert np.all(image == np.float32((24 * 3.0 - 50.0) / 23.0))


def test_chebyshev_without_usable_bins_raises():
    values = np.full((4, 4), np.nan)
    with pytest.raises(RenderError, match="No valid points"):
        render_layers([cheb_layer(values)])


def test_chebyshev_orders_must_match():
    values = np.ones((6, 6))
    with pytest.raises(RenderError, match="orders differ"):
        render_layers([cheb_layer(values, order=2, approx_order_y=1)])
    same = render_layers([cheb_layer(values * 3, order=2, approx_order_y=2)])
    assert np.array_equal(render_layers([cheb_layer(values * 3, order=2)]), same)


@pytest.mark.parametrize("order", range(8))
def test_chebyshev_matches_an_independent_least_squares_fit(order):
    rng = np.random.default_rng(11 + order)
    width, height = 120, 90
    values = rng.normal(size=(9, 12)) * 5 + 50
    variance = rng.uniform(0.2, 2.0, values.shape)
    values[2, 3] = np.nan
    entry = cheb_layer(values, (7, -4, width, height), order, variance=variance)
    # as a later entry too: the float32 row is then added onto entry 0's
    zero = layer(np.zeros((2, 2)), (7, -4, width, height), interp_style=InterpStyle.LINEAR)
    image = render_layers([entry])
    assert np.array_equal(render_layers([zero, entry]), image)

    xp = (bin_centers(width, 12) - (width - 1) / 2) * (2 / width)
    yp = (bin_centers(height, 9) - (height - 1) / 2) * (2 / height)
    gx, gy = np.meshgrid(xp, yp)
    terms = [(d - k, k) for d in range(order + 1) for k in range(d + 1)]
    vander = npcheb.chebvander2d(gx.ravel(), gy.ravel(), [order, order])
    design = vander[:, [i * (order + 1) + j for i, j in terms]]
    ok = np.isfinite(values.ravel())
    root = np.sqrt((np.float32(1) / variance.astype(np.float32)).astype(float).ravel()[ok])
    params = np.linalg.lstsq(
        design[ok] * root[:, None], values.astype(np.float32).ravel()[ok] * root, rcond=None
    )[0]
    coef = np.zeros((order + 1, order + 1))
    for (i, j), p in zip(terms, params, strict=True):
        coef[i, j] = p
    px = (np.arange(width) - (width - 1) / 2) * (2 / width)
    py = (np.arange(height) - (height - 1) / 2) * (2 / height)
    expected = npcheb.chebgrid2d(px, py, coef).T
    assert np.allclose(image, expected.astype(np.float32), rtol=2e-7, atol=1e-5)


# ------------------------------------------------------------- lists, boxes (spec 5)


def test_entries_add_in_float32_in_list_order():
    one, tiny = 1.0, 2.0**-24

    def const(v):
        return layer([[v]], (0, 0, 5, 4), interp_style=InterpStyle.LINEAR)

    # (1 + 2^-24) rounds to 1 in float32, twice; 2^-24 + 2^-24 + 1 is exact
    assert np.all(render_layers([const(one), const(tiny), const(tiny)]) == np.float32(1.0))
    assert np.all(
        render_layers([const(tiny), const(tiny), const(one)]) == np.float32(1.0 + 2.0**-23)
    )


def test_model_and_layer_render_through_the_renderer():
    rng = np.random.default_rng(5)
    bbox = (10, 20, 70, 60)
    first = layer(rng.normal(size=(6, 7)), bbox)
    second = cheb_layer(rng.normal(size=(6, 7)) + 5, bbox, order=2)
    model = BackgroundModel((first, second))
    expected = first.render() + second.render()
    assert np.array_equal(model.render(), expected)


def test_sub_bbox_is_the_same_window_of_the_full_render():
    rng = np.random.default_rng(9)
    bbox = (100, 200, 97, 83)
    values = rng.normal(size=(7, 9)) * 4 + 20
    values[rng.random(values.shape) < 0.2] = np.nan
    layers = [
        layer(values, bbox),
        cheb_layer(np.nan_to_num(values, nan=20), bbox, order=3),
        layer(values, bbox, interp_style=InterpStyle.NATURAL_SPLINE),
    ]
    full = render_layers(layers)
    for window in [(100, 200, 97, 83), (131, 205, 20, 50), (196, 282, 1, 1), (100, 250, 97, 3)]:
        x0, y0, w, h = window
        assert np.array_equal(
            render_layers(layers, window),
            full[y0 - 200 : y0 - 200 + h, x0 - 100 : x0 - 100 + w],
            equal_nan=True,
        )


def test_bbox_outside_raises_naming_both_boxes():
    entry = layer(np.ones((3, 3)), (100, 200, 50, 40))
    for window in [(99, 200, 10, 10), (100, 200, 51, 40), (140, 230, 10, 11), (100, 200, 0, 5)]:
        with pytest.raises(RenderError, match=r"requested bbox .* background bbox \(100, 200, 50"):
            render_layers([entry], window)


def test_layers_must_cover_one_image_size():
    with pytest.raises(RenderError, match="cannot add"):
        render_layers(
            [layer(np.ones((3, 3)), (0, 0, 30, 30)), layer(np.ones((3, 3)), (0, 0, 30, 31))]
        )
    with pytest.raises(RenderError, match="no layers"):
        render_layers([])


# ------------------------------------------------------------- independent libgsl reference


@pytest.fixture(scope="module")
def gsl():
    try:
        return load_gsl()
    except GslUnavailable as exc:
        pytest.skip(f"libgsl is needed for the reference comparison: install libgsl27 ({exc})")


def random_case(rng):
    nx, ny = (int(v) for v in rng.integers(1, 41, 2))
    width = int(rng.integers(max(nx, 37), 160 if rng.random() < 0.9 else 300))
    height = int(rng.integers(max(ny, 29), 120 if rng.random() < 0.9 else 200))
    values = rng.normal(size=(ny, nx)) * rng.choice([1.0, 100.0]) + 50
    if rng.random() < 0.3:
        values = np.round(values / 5) * 5  # equal slopes: Akima's degenerate weights
    values = values.astype(np.float32)
    if rng.random() < 0.5:
        values[rng.random((ny, nx)) < rng.random() * 0.5] = np.nan
    if rng.random() < 0.2:
        values[:, rng.integers(nx)] = np.nan
    style = int(rng.integers(0, 7))
    undersample = int(rng.choice([0, 1, 1, 1]))
    window = None
    if rng.random() < 0.3:
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(1, width - x0 + 1)), int(rng.integers(1, height - y0 + 1))
        window = (x0, y0, w, h)
    return values, (width, height), style, undersample, window


@pytest.mark.parametrize("seed", range(6))
def test_matches_libgsl_reference(gsl, seed):
    rng = np.random.default_rng(1000 + seed)
    raised = compared = 0
    for _ in range(50):
        values, (width, height), style, undersample, window = random_case(rng)
        entry = layer(
            values, (-7, 11, width, height), interp_style=style, undersample_style=undersample
        )
        parent = None if window is None else (window[0] - 7, window[1] + 11, *window[2:])
        try:
            expected = reference_render(
                values.tolist(), (width, height), style, undersample, window
            )
        except (TooFewPoints, InitFailed, ValueError):
            with pytest.raises(RenderError):
                render_layers([entry], parent)
            raised += 1
            continue
        got = render_layers([entry], parent)
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        finite = ~np.isnan(expected)
        scale = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
        tolerance = np.maximum(np.spacing(np.abs(expected[finite])), 1e-9 * scale)
        assert np.all(np.abs(got[finite] - expected[finite]) <= tolerance), (style, values.shape)
        compared += 1
    assert compared > 30
    assert raised < 20


# ------------------------------------------------- rows on demand (the survey's strips)


def test_row_renderer_rows_are_those_of_the_whole_render():
    """Strips, single rows and scattered rows of a window equal the same rows rendered whole."""
    from skybkg_adapters.render import RowRenderer

    rng = np.random.default_rng(5)
    box = (3, 7, 230, 190)
    layers = [
        layer(rng.normal(100, 3, (6, 8)), box, interp_style=InterpStyle.AKIMA_SPLINE),
        cheb_layer(rng.normal(5, 1, (6, 8)), box, order=2),
        layer(rng.normal(-2, 1, (6, 8)), box, interp_style=InterpStyle.NATURAL_SPLINE),
    ]
    window = (20, 30, 150, 101)
    whole = render_layers(layers, window)
    rows = RowRenderer(layers, window)
    assert rows.shape == (101, 150)
    buffer = np.empty((16, 150), np.float32)
    for start in range(0, 101, 16):
        stop = min(start + 16, 101)
        strip = rows.rows(start, stop, buffer[: stop - start])
        assert strip.base is buffer or strip is buffer
        np.testing.assert_array_equal(strip, whole[start:stop])
    np.testing.assert_array_equal(rows.rows_at([100, 0, 57, 57]), whole[[100, 0, 57, 57]])
    with pytest.raises(ValueError, match="rows 90..102 are not inside the window's 101 rows"):
        rows.rows(90, 102)
    with pytest.raises(ValueError, match=r"row indices must lie in 0..100"):
        rows.rows_at([101])


def test_array_rows_serve_an_image_already_in_memory():
    from skybkg_adapters.render import ArrayRows

    image = np.arange(12.0).reshape(4, 3)
    rows = ArrayRows(image)
    assert rows.shape == (4, 3)
    assert np.shares_memory(rows.rows(1, 3), image)
    np.testing.assert_array_equal(rows.rows_at([3, 0]), image[[3, 0]])
    with pytest.raises(ValueError, match="rows 2..5 are not inside the image's 4 rows"):
        rows.rows(2, 5)
