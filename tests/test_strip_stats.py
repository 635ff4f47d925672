"""StripStats (statistics gathered a strip of rows at a time) against background_stats."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glue_skybkg.analysis import StripStats, background_stats

EXACT = ("n_pixels", "n_nan", "min", "max", "median")


def _strips(image, rows, order):
    starts = list(range(0, image.shape[0], rows))
    return [image[s : s + rows] for s in (order(starts) if order else starts)]


def _gathered(image, rows=16, order=None, sample=None):
    """StripStats of ``image`` fed ``rows`` at a time; also how often it asked for the strips."""
    stats = StripStats(image[8::16] if sample is None else sample)
    for strip in _strips(image, rows, order):
        stats.add(strip)
    calls = []

    def again():
        calls.append(1)
        return iter(_strips(image, rows, order))

    return stats.result(again=again), len(calls)


def _assert_same(result, image):
    expected = background_stats(image)
    for key in EXACT:
        assert getattr(result, key) == getattr(expected, key), key
    for key in ("mean", "std"):
        assert getattr(result, key) == pytest.approx(getattr(expected, key), rel=1e-12), key


def _smooth(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    image = 3600 + 0.02 * x - 0.03 * y + 20 * np.sin(x / 90) * np.cos(y / 70)
    return (image + rng.normal(0, 0.5, shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(400, 517), (401, 300)])  # even and odd pixel counts
def test_strips_in_any_order_give_the_notebook_statistics(dtype, shape):
    image = _smooth(shape, dtype)
    rng = np.random.default_rng(1)
    result, calls = _gathered(image, rows=32, order=rng.permutation)
    _assert_same(result, image)
    assert calls == 0  # the sample's bracket held the median: the strips were seen once


def test_nans_are_counted_and_infinities_left_out():
    image = _smooth((200, 300))
    image[10] = np.nan
    image[20, 5:9] = np.nan
    image[30, 7] = np.inf
    image[31, 8] = -np.inf
    result, _ = _gathered(image)
    assert (result.n_pixels, result.n_nan) == (60000, 304)
    finite = image[np.isfinite(image)]
    assert result.min == float(finite.min())
    assert result.max == float(finite.max())
    assert result.median == float(np.median(finite.astype(np.float64)))
    assert result.mean == pytest.approx(float(np.mean(finite, dtype=np.float64)), rel=1e-12)
    _assert_same(result, image)


def test_a_sample_that_misses_the_median_costs_two_more_passes_not_accuracy():
    image = _smooth((300, 300))
    result, calls = _gathered(image, sample=np.full(1000, 1e6))
    _assert_same(result, image)
    assert calls == 3  # a bucket count, the values inside the exact bracket, the deviations


def test_a_bracket_full_of_ties_stays_exact():
    image = np.full((128, 256), 7.25, np.float32)
    image[:, :100] = 3.0
    image[0, 0] = -1.0
    result, _ = _gathered(image)
    assert (result.min, result.max, result.median) == (-1.0, 7.25, 7.25)
    _assert_same(result, image)


def test_a_constant_image_and_an_all_nan_image():
    flat, _ = _gathered(np.full((64, 64), 2.5, np.float32))
    assert (flat.min, flat.max, flat.median, flat.mean, flat.std) == (2.5, 2.5, 2.5, 2.5, 0.0)
    empty, _ = _gathered(np.full((64, 64), np.nan, np.float32))
    assert (empty.n_pixels, empty.n_nan) == (4096, 4096)
    assert all(math.isnan(getattr(empty, key)) for key in ("min", "max", "mean", "median", "std"))


def test_integer_strips_are_taken_as_float64_and_the_unit_kept():
    image = np.arange(64 * 50, dtype=np.int32).reshape(64, 50)
    stats = StripStats(image[::4], unit="ct")
    for strip in _strips(image, 10, None):
        stats.add(strip)
    result = stats.result(again=lambda: iter(_strips(image, 10, None)))
    assert (result.median, result.unit) == (1599.5, "ct")
    _assert_same(result, image)


def test_bad_strips_are_refused_by_name():
    stats = StripStats(np.arange(10.0))
    with pytest.raises(ValueError, match=r"a strip is a 2-D array of rows; got shape \(10,\)"):
        stats.add(np.arange(10.0))
    stats.add(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="strips must share one dtype; got float64 after float32"):
        stats.add(np.zeros((2, 5)))
