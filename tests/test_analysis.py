"""glue_skybkg.analysis against numpy (the notebook's code) as the independent reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.visualization import ZScaleInterval

from glue_skybkg import analysis
from glue_skybkg.analysis import (
    BackgroundStats,
    _median,
    background_stats,
    difference,
    histogram,
    restore,
    zscale_limits,
)

STAT_KEYS = ("min", "max", "mean", "median", "std")


def notebook_stats(array, mask=None) -> dict:
    """The notebook's own code on the finite (masked-in) pixels: float64 copy, flatten, numpy."""
    values = np.asarray(array, dtype="float").flatten()
    if mask is not None:
        values = values[np.asarray(mask).flatten()]
    n_pixels = len(values)
    n_nan = len(np.where(np.isnan(values))[0])
    values = values[np.isfinite(values)]
    return {
        "n_pixels": n_pixels,
        "n_nan": n_nan,
        "min": np.min(values),
        "max": np.max(values),
        "mean": np.mean(values),
        "median": np.median(values),
        "std": np.std(values),
    }


def assert_same_stats(ours: BackgroundStats, truth: dict) -> None:
    assert ours.n_pixels == truth["n_pixels"]
    assert ours.n_nan == truth["n_nan"]
    for key in STAT_KEYS:
        # bit-identical: same pairwise summation as numpy, exact selection for the median
        assert getattr(ours, key) == truth[key], (key, getattr(ours, key), truth[key])


def noisy(shape, dtype=np.float32, seed=0, nan_fraction=0.0):
    rng = np.random.default_rng(seed)
    a = (1000 + 30 * rng.standard_normal(shape) * rng.choice([1, 1e-3, 1e3], shape)).astype(dtype)
    if nan_fraction:
        a[rng.random(shape) < nan_fraction] = np.nan
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 127, 128, 129, 1000, 4097, 65537])
def test_stats_equal_numpy_on_random_arrays_with_nans(size, dtype):
    a = noisy(size, dtype, seed=size, nan_fraction=0.1 if size > 3 else 0.0)
    assert_same_stats(background_stats(a), notebook_stats(a))


@pytest.mark.parametrize("shape", [(301, 300), (300, 300)])  # odd and even pixel counts
def test_stats_of_smooth_background_without_nan_use_the_fast_path(shape):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    a = (1000 + 0.01 * xx + 0.02 * yy + 1e-6 * xx * yy).astype(np.float32)
    stats = background_stats(a)
    assert_same_stats(stats, notebook_stats(a))
    assert stats.n_pixels == a.size
    assert stats.n_nan == 0


def test_large_image_median_takes_the_sample_bracket_and_is_exact():
    a = noisy((512, 600), seed=3)  # > the median sample size, so the bracket path runs
    a[0, 0] = np.inf  # infinities are excluded like NaN but are not counted as NaN
    stats = background_stats(a)
    truth = notebook_stats(a)
    assert stats.n_nan == 0
    assert_same_stats(stats, truth)


def test_median_falls_back_to_bucket_count_when_the_sample_misses():
    n = 8 * _median._MEDIAN_SAMPLE
    stride = n // _median._MEDIAN_SAMPLE
    a = np.arange(n, dtype=np.float32) % 1000
    a[::stride] = 1e6 + np.arange(_median._MEDIAN_SAMPLE)  # the strided sample sees only these
    assert background_stats(a).median == np.median(a.astype(float))
    assert background_stats(a[:-1]).median == np.median(a[:-1].astype(float))


def test_even_count_median_is_the_float64_mean_of_the_middle_two():
    a = np.array([1.0, 2.0, np.float32(16777217.0), 3e7], dtype=np.float32)
    # middle values 2 and 16777216 (float32 rounding), mean in float64 = 8388609.0
    assert background_stats(a).median == 8388609.0


def test_mask_selects_pixels_and_counts_nans_among_them():
    a = noisy((50, 60), seed=5, nan_fraction=0.2)
    mask = np.random.default_rng(6).random(a.shape) < 0.4
    stats = background_stats(a, mask)
    assert_same_stats(stats, notebook_stats(a, mask))
    assert stats.n_pixels == int(mask.sum())
    assert stats.n_nan == int(np.isnan(a[mask]).sum())


def test_hand_computed_values():
    a = np.array([[1.0, 2.0], [np.nan, 6.0]], dtype=np.float32)
    stats = background_stats(a)
    assert stats.as_dict() == {
        "n_pixels": 4,
        "n_nan": 1,
        "min": 1.0,
        "max": 6.0,
        "mean": 3.0,
        "median": 2.0,
        "std": math.sqrt(14 / 3),
        "unit": None,
    }
    assert background_stats(a, unit="ct") == BackgroundStats(
        4, 1, 1.0, 6.0, 3.0, 2.0, stats.std, "ct"
    )
    assert background_stats(a, unit="ct").format().endswith("\nUnit: ct")


@pytest.mark.parametrize(
    ("array", "mask", "n_pixels", "n_nan"),
    [
        (np.full((3, 4), np.nan, np.float32), None, 12, 12),
        (np.ones((3, 4), np.float32), np.zeros((3, 4), bool), 0, 0),
        (np.zeros((0, 5), np.float32), None, 0, 0),
        (np.array([np.inf, -np.inf, np.nan], np.float32), None, 3, 1),
    ],
)
def test_no_finite_pixel_gives_nans_not_an_exception(array, mask, n_pixels, n_nan):
    stats = background_stats(array, mask)
    assert stats.n_pixels == n_pixels
    assert stats.n_nan == n_nan
    assert all(math.isnan(getattr(stats, key)) for key in STAT_KEYS)


def test_constant_background_like_the_coadd_residual():
    a = np.full((40, 50), 0.0123, dtype=np.float32)
    stats = background_stats(a)
    assert_same_stats(stats, notebook_stats(a))
    assert stats.min == stats.max == stats.median == float(np.float32(0.0123))
    assert stats.std == np.std(a.astype(float))


def test_float32_extremes():
    f = np.finfo(np.float32)
    a = np.array(
        [f.max, -f.max, f.tiny, -f.tiny, f.smallest_subnormal, 0.0, -0.0, 1.0], dtype=np.float32
    )
    assert_same_stats(background_stats(a), notebook_stats(a))


def test_integer_and_non_contiguous_inputs():
    ints = np.arange(100, dtype=np.int32).reshape(10, 10)
    assert_same_stats(background_stats(ints), notebook_stats(ints))
    view = noisy((40, 40), seed=9, nan_fraction=0.1)[::3, 1::2]
    assert_same_stats(background_stats(view), notebook_stats(view))


def test_mask_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 3\)"):
        background_stats(np.zeros((3, 3), np.float32), np.ones((2, 3), bool))


def test_inputs_are_not_modified():
    a = noisy((30, 31), seed=2, nan_fraction=0.1)
    before = a.copy()
    background_stats(a)
    histogram(a)
    zscale_limits(a)
    np.testing.assert_array_equal(a, before)


# --------------------------------------------------------------------------------- histogram


def notebook_histogram(values, bins, range=None):
    """np.histogram of the notebook's float64 copy of the values."""
    return np.histogram(np.asarray(values, dtype="float"), bins, range=range)


def finite(values, mask=None):
    values = np.asarray(values)
    if mask is not None:
        values = values[mask]
    return values[np.isfinite(values)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histogram_default_range_equals_numpy_on_finite_values(dtype):
    a = noisy((200, 150), dtype, seed=11, nan_fraction=0.05)
    counts, edges = histogram(a, bins=1000)
    bkgd_array = np.asarray(a, dtype="float").flatten()  # the notebook's call, NaNs and all
    ref_counts, ref_edges = np.histogram(
        bkgd_array, bins=1000, range=(np.nanmin(bkgd_array), np.nanmax(bkgd_array))
    )
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(edges, ref_edges.astype(np.float64))
    assert counts.dtype == np.int64
    assert edges.dtype == np.float64
    assert counts.sum() == np.isfinite(a).sum()  # the max lands in the last bin


def test_histogram_values_exactly_on_edges():
    edges = np.linspace(np.float32(0.1), np.float32(0.7), 7, dtype=np.float32)
    a = np.concatenate([edges, np.nextafter(edges, np.float32(-1)), np.nextafter(edges, 1)])
    for rng_ in [None, (0.1, 0.7), (np.float64(0.1), np.float64(0.7)), (np.float32(0.1), 0.7)]:
        counts, got_edges = histogram(a, bins=6, range=rng_)
        ref_counts, ref_edges = notebook_histogram(a, 6, range=rng_)
        np.testing.assert_array_equal(counts, ref_counts)
        np.testing.assert_array_equal(got_edges, ref_edges)


def test_histogram_upper_edge_is_inclusive_and_range_excludes_outside_values():
    a = np.array([0.0, 0.5, 1.0, 1.0, 2.0, -1.0, np.nan], dtype=np.float32)
    counts, edges = histogram(a, bins=2, range=(0.0, 1.0))
    np.testing.assert_array_equal(counts, [1, 3])
    np.testing.assert_array_equal(edges, [0.0, 0.5, 1.0])


def test_histogram_many_bins_near_edges_random():
    rng = np.random.default_rng(12)
    a = (rng.random(100_000) * 1e4).astype(np.float32)
    edges32 = np.linspace(a.min(), a.max(), 4097, dtype=np.float32)
    a[:4097] = edges32  # every value sits on an edge
    np.testing.assert_array_equal(histogram(a, 4096)[0], notebook_histogram(a, 4096)[0])
    for rng_ in [(1234.5, 5678.9), (np.float64(-10), np.float64(9e3))]:
        np.testing.assert_array_equal(
            histogram(a, 777, range=rng_)[0], notebook_histogram(a, 777, range=rng_)[0]
        )


def test_histogram_mask_and_degenerate_ranges():
    a = noisy((60, 70), seed=13, nan_fraction=0.1)
    mask = np.random.default_rng(14).random(a.shape) < 0.3
    counts, edges = histogram(a, 50, mask=mask)
    ref = notebook_histogram(finite(a, mask), 50)
    np.testing.assert_array_equal(counts, ref[0])
    np.testing.assert_array_equal(edges, ref[1])
    flat = np.full(10, 3.0, np.float32)  # min == max: numpy widens the range by 0.5 each side
    np.testing.assert_array_equal(histogram(flat, 4)[0], notebook_histogram(flat, 4)[0])
    np.testing.assert_array_equal(histogram(flat, 4)[1], notebook_histogram(flat, 4)[1])
    empty_counts, empty_edges = histogram(np.full(5, np.nan, np.float32), 4)
    np.testing.assert_array_equal(empty_counts, [0, 0, 0, 0])
    np.testing.assert_array_equal(empty_edges, notebook_histogram(np.zeros(0), 4)[1])


def test_histogram_bad_arguments():
    a = np.arange(10, dtype=np.float32)
    with pytest.raises(ValueError, match="increasing"):
        histogram(a, 10, range=(5.0, 1.0))
    with pytest.raises(ValueError, match="finite"):
        histogram(a, 10, range=(0.0, np.inf))
    with pytest.raises(ValueError, match="positive"):
        histogram(a, 0)


# ------------------------------------------------------------------------ restore/difference


def test_restore_adds_background_into_a_new_float32_array():
    image = noisy((20, 30), seed=20)
    background = noisy((20, 30), seed=21)
    image_before, background_before = image.copy(), background.copy()
    restored = restore(image, background)
    np.testing.assert_array_equal(restored, image_before + background_before)
    assert restored.dtype == np.float32
    assert not np.shares_memory(restored, image)
    assert not np.shares_memory(restored, background)
    np.testing.assert_array_equal(image, image_before)
    np.testing.assert_array_equal(background, background_before)


def test_difference_is_a_minus_b_in_a_new_array():
    a = noisy((20, 30), np.float32, seed=22)
    b = noisy((20, 30), np.float32, seed=23)
    a_before = a.copy()
    diff = difference(a, b)
    # the seed notebook's cast: exact, where a float32 subtraction would round
    np.testing.assert_array_equal(diff, a.astype(np.float64) - b.astype(np.float64))
    assert diff.dtype == np.float64
    assert not np.shares_memory(diff, a)
    np.testing.assert_array_equal(a, a_before)


@pytest.mark.parametrize("function", [restore, difference])
def test_shape_mismatch_names_both_shapes(function):
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(3, 2\)"):
        function(np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32))


# ------------------------------------------------------------------------------------ zscale


def astropy_zscale(values):
    """Astropy's ZScaleInterval using every one of ``values`` (the grid sample is the input)."""
    return ZScaleInterval(n_samples=values.size).get_limits(values)


def test_zscale_of_a_small_image_is_astropy_on_all_its_finite_pixels():
    # no side reaches 2 x 300 pixels: the grid step is 1, the sample is the whole image
    a = noisy((300, 210), seed=30, nan_fraction=0.1)
    assert zscale_limits(a) == pytest.approx(astropy_zscale(finite(a)), rel=0, abs=0)
    mask = np.random.default_rng(31).random(a.shape) < 0.5
    assert zscale_limits(a, mask) == pytest.approx(astropy_zscale(finite(a, mask)), rel=0, abs=0)
    clean = noisy((300, 210), seed=32)
    assert zscale_limits(clean) == pytest.approx(astropy_zscale(clean.ravel()), rel=0, abs=0)


def test_zscale_samples_a_regular_grid():
    # 700 // 300 = 2 and 950 // 300 = 3: every 2nd row and every 3rd column, mask respected
    a = noisy((700, 950), seed=33, nan_fraction=0.05)
    grid = a[::2, ::3]
    assert zscale_limits(a) == pytest.approx(astropy_zscale(finite(grid)), rel=0, abs=0)
    mask = np.random.default_rng(34).random(a.shape) < 0.3
    expected = astropy_zscale(finite(grid, mask[::2, ::3]))
    assert zscale_limits(a, mask) == pytest.approx(expected, rel=0, abs=0)
    np.testing.assert_array_equal(analysis.zscale_sample(a, mask), finite(grid, mask[::2, ::3]))


def test_zscale_of_a_tilted_plane_4072_wide_spans_the_plane():
    # value = column: astropy's every-4072nd-value stride samples column 0 only
    plane = np.tile(np.arange(4072, dtype=np.float32), (1000, 1))
    assert tuple(ZScaleInterval().get_limits(plane)) == (0.0, 0.0)  # the flaw we avoid
    vmin, vmax = zscale_limits(plane)
    assert vmin <= 0.05 * 4071
    assert vmax >= 0.95 * 4071
    # masking out the right half leaves limits inside the left half
    vmin, vmax = zscale_limits(plane, plane < 2036)
    assert vmin <= 0.05 * 2035
    assert 0.95 * 2035 <= vmax <= 2035


def test_zscale_rejects_a_mask_of_another_shape():
    with pytest.raises(ValueError, match=r"mask shape \(3, 2\) does not match .* \(2, 3\)"):
        zscale_limits(np.zeros((2, 3), np.float32), np.ones((3, 2), bool))


def test_zscale_without_finite_pixels_is_nan():
    vmin, vmax = zscale_limits(np.full((4, 4), np.nan, np.float32))
    assert math.isnan(vmin)
    assert math.isnan(vmax)


# ------------------------------------------------------------------------- BackgroundStats.format


def notebook_print(values, capsys, include_counts=True) -> str:
    """Run the notebook's print statements on a float64 array and capture what they print."""
    if include_counts:
        print("Number of pixels:", len(values))
        tx = np.where(np.isnan(values))[0]
        print("Number of NaN pixels: ", len(tx))
    print("Minimum pixel value: ", np.min(values))
    print("Maximum pixel value: ", np.max(values))
    print("Mean pixel value: ", np.mean(values))
    print("Median pixel value: ", np.median(values))
    print("Standard deviation in pixel values: ", np.std(values))
    return capsys.readouterr().out


def test_format_is_the_notebook_print_output(capsys):
    a = noisy((64, 80), seed=40)
    expected = notebook_print(np.asarray(a, dtype="float").flatten(), capsys)
    assert background_stats(a).format() + "\n" == expected
    expected = notebook_print(np.asarray(a, dtype="float").flatten(), capsys, False)
    assert background_stats(a).format(include_counts=False) + "\n" == expected


def test_format_exact_text():
    stats = BackgroundStats(n_pixels=4, n_nan=0, min=1.0, max=1e20, mean=0.1, median=2.5, std=0.0)
    assert stats.format() == (
        "Number of pixels: 4\n"
        "Number of NaN pixels:  0\n"
        "Minimum pixel value:  1.0\n"
        "Maximum pixel value:  1e+20\n"
        "Mean pixel value:  0.1\n"
        "Median pixel value:  2.5\n"
        "Standard deviation in pixel values:  0.0"
    )


def test_big_endian_and_float16_inputs():
    a = noisy((30, 40), seed=50, nan_fraction=0.1)
    big = a.astype(">f4")
    assert_same_stats(background_stats(big), notebook_stats(a))
    np.testing.assert_array_equal(histogram(big, 20)[0], notebook_histogram(finite(a), 20)[0])
    assert zscale_limits(big) == zscale_limits(a)
    half = a.astype(np.float16)
    assert_same_stats(background_stats(half), notebook_stats(half))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("center", "spread"), [(1064.0, 70.0), (-3e6, 2000.0), (1e-3, 1e-4), (0.0, 5.0)]
)
@pytest.mark.parametrize("kind", ["auto", "python floats", "array type"])
def test_histogram_values_within_three_ulps_of_every_edge(dtype, center, spread, kind):
    lo, hi = center - spread, center + 1.5 * spread
    rng_ = {"auto": None, "python floats": (lo, hi), "array type": (dtype(lo), dtype(hi))}[kind]
    edges = np.linspace(lo, hi, 1001).astype(dtype)
    values = [edges]
    for direction in (np.inf, -np.inf):
        shifted = edges
        for _ in range(3):
            shifted = np.nextafter(shifted, dtype(direction))
            values.append(shifted)
    a = np.concatenate(values).astype(dtype)
    counts, got_edges = histogram(a, 1000, range=rng_)
    ref_counts, ref_edges = notebook_histogram(a, 1000, range=rng_)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(got_edges, ref_edges)
