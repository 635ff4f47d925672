"""skybkg_adapters.estimate: afw's per-bin statistics and the pipeline's background estimator."""

from __future__ import annotations

import numpy as np
import pytest

import skybkg_adapters as sa
from skybkg_adapters import (
    ApproxStyle,
    EstimateError,
    InterpStyle,
    SkyImage,
    bin_count,
    bin_edges,
    bin_statistics,
    estimate_background,
)
from skybkg_adapters.sample import detector_scene

_IQ_TO_STDEV = 0.741301109252802


def _afw_meanclip(values, n_sigma=3.0, n_iter=3):
    """The MEANCLIP of afw and its error, written plainly with numpy."""
    v = np.asarray(values, np.float64)
    n = v.size
    if n == 0:
        return np.nan, np.nan
    median, q1, q3 = np.quantile(v, 0.5), np.quantile(v, 0.25), np.quantile(v, 0.75)
    mean = variance = mean_variance = np.nan
    for iteration in range(n_iter):
        if iteration == 0 or n <= 1:
            center = median if iteration == 0 else mean
            limit = n_sigma * _IQ_TO_STDEV * (q3 - q1)
        else:
            center, limit = mean, n_sigma * np.sqrt(variance)
        if np.isnan(center) or np.isnan(limit):
            mean = variance = mean_variance = np.nan
            continue
        d = v[np.abs(v - center) <= limit] - center
        m = float(d.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = d.sum() / m
            variance = (d @ d / m - mean * mean) * (m * m / (m * m - m))
            mean_variance = variance * m / (m * m)
        mean += center
    return mean, np.sqrt(mean_variance)


def test_bin_geometry_is_afws():
    # v23/v29: W // binSize + 1; 4072 x 4000 with 128 -> 32 x 32, sizes 127/128 and 125
    assert bin_count(4072, 128) == bin_count(4000, 128) == 32
    assert bin_count(4072, 128, "ceil") == 32
    assert bin_count(4096, 128, "ceil") == 32
    assert bin_count(4096, 128) == 33
    edges = bin_edges(4072, 32)
    assert edges[0] == 0
    assert edges[-1] == 4072
    assert set(np.diff(edges)) == {127, 128}
    assert np.diff(bin_edges(4000, 32)).tolist() == [125] * 32
    # the centres the renderer interpolates at are the middles of these bins
    assert sa.bin_centers(4072, 32).tolist() == (edges[:-1] + np.diff(edges) / 2 - 0.5).tolist()
    with pytest.raises(ValueError, match="bin rule"):
        bin_count(10, 2, "round")


@pytest.mark.parametrize("seed", range(6))
def test_meanclip_equals_afws_algorithm_on_awkward_bins(seed):
    rng = np.random.default_rng(seed)
    shape = (37, 53)
    image = rng.normal(100.0, 7.0, shape).astype(np.float32)
    image[rng.random(shape) < 0.03] += rng.uniform(50, 5000)  # stars and cosmic rays
    if seed % 2:
        image = np.round(image / 4) * 4  # quantised pixels: many ties at the quartiles
    if seed == 4:
        image[:, :9] = 5.0  # a constant bin: IQR 0, so only the median's value survives
    mask = (rng.random(shape) < 0.2).astype(np.int32) << 3
    mask[20:, 40:] = 8  # an all-masked bin
    image[0, 0] = np.nan  # non-finite pixels never count
    x_edges, y_edges = np.array([0, 9, 30, 40, 53]), np.array([0, 1, 3, 20, 37])
    stats = bin_statistics(image, x_edges, y_edges, mask, 8)
    for j in range(4):
        for i in range(4):
            block = image[y_edges[j] : y_edges[j + 1], x_edges[i] : x_edges[i + 1]]
            used = mask[y_edges[j] : y_edges[j + 1], x_edges[i] : x_edges[i + 1]] == 0
            values = block[used & np.isfinite(block)]
            mean, error = _afw_meanclip(values)
            assert stats.counts[j, i] == values.size
            np.testing.assert_allclose(stats.values[j, i], np.float32(mean), rtol=1e-6)
            np.testing.assert_allclose(stats.errors[j, i], np.float32(error), rtol=1e-5)
    assert np.isnan(stats.values[3, 3])
    assert stats.counts[3, 3] == 0


def test_large_bins_use_the_bucket_selection_and_stay_exact():
    rng = np.random.default_rng(7)
    image = rng.normal(2900.0, 55.0, (250, 256)).astype(np.float32)
    image[rng.random(image.shape) < 0.02] = 60000.0
    stats = bin_statistics(image, [0, 128, 256], [0, 125, 250])
    for j, i in np.ndindex(2, 2):
        block = image[125 * j : 125 * (j + 1), 128 * i : 128 * (i + 1)].ravel()
        mean, error = _afw_meanclip(block)
        np.testing.assert_allclose(stats.values[j, i], mean, rtol=1e-7)
        np.testing.assert_allclose(stats.errors[j, i], error, rtol=1e-5)
    # median and mean are afw's too: the median's error is sqrt(pi/2 var / n)
    median = bin_statistics(image, [0, 256], [0, 250], statistic="median")
    flat = image.astype(np.float64).ravel()
    assert median.values[0, 0] == np.float32(np.median(flat))
    np.testing.assert_allclose(
        median.errors[0, 0], np.sqrt(np.pi / 2 * flat.var(ddof=1) / flat.size), rtol=1e-5
    )
    mean = bin_statistics(image, [0, 256], [0, 250], statistic="mean")
    np.testing.assert_allclose(mean.values[0, 0], flat.mean(), rtol=1e-7)


def _smooth_sky(shape):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]] / 1000.0
    return 1000.0 + 30.0 * xx - 20.0 * yy + 8.0 * np.sin(1.5 * xx) * np.cos(yy)


def test_estimator_recovers_a_known_smooth_sky():
    shape = (2000, 2048)
    rng = np.random.default_rng(11)
    sky = _smooth_sky(shape)
    sigma = 30.0
    image = (sky + rng.normal(0.0, sigma, shape)).astype(np.float32)
    model = estimate_background(image)
    layer = model.layers[0]
    assert layer.shape == (16, 17)  # 2000 // 128 + 1, 2048 // 128 + 1
    assert layer.interp_style == InterpStyle.AKIMA_SPLINE
    assert layer.approx_style == ApproxStyle.UNKNOWN
    # each bin mean has error sigma / sqrt(~15000) ~ 0.25 (the clipping costs a few per cent)
    assert np.all((layer.variance > 0.2) & (layer.variance < 0.3))
    residual = model.render() - sky
    # Tolerance: the interpolated surface at a pixel is a weighted sum of a few bin means,
    # each off by N(0, 0.25), so inside the bin-centre hull |error| < 5 x 0.25 everywhere
    # (and the sky's curvature within a bin adds < 0.1); outside the hull afw extrapolates
    # the end cubics quadratically, which amplifies the noise of the last bins (checked
    # looser). The mean error is ~0.25 / sqrt(bins) per bin row.
    inner = residual[64:-64, 64:-64]
    assert np.abs(inner).max() < 1.25
    assert abs(inner.mean()) < 0.05
    assert np.abs(residual).max() < 4.0


def test_masked_bright_blob_does_not_move_its_bins():
    shape = (512, 512)
    rng = np.random.default_rng(3)
    image = (_smooth_sky(shape) + rng.normal(0.0, 20.0, shape)).astype(np.float32)
    mask = np.zeros(shape, np.int32)
    planes = {"BAD": 0, "EDGE": 4, "DETECTED": 5, "DETECTED_NEGATIVE": 6, "NO_DATA": 8}
    clean = estimate_background(image, mask, mask_planes=planes, bin_size=64)
    blob = image.copy()
    yy, xx = np.mgrid[0:512, 0:512]
    inside = (xx - 200) ** 2 + (yy - 300) ** 2 < 40**2  # inside 4 bins, filling none
    blob[inside] += 20000.0 * np.exp(-((xx[inside] - 200) ** 2 + (yy[inside] - 300) ** 2) / 400)
    mask[inside] |= 1 << planes["DETECTED"]
    masked = estimate_background(blob, mask, mask_planes=planes, bin_size=64)
    # the blob's pixels never count: the same as the blob-free image with the same mask, bit
    # for bit, and within the noise of the bins' remaining pixels of the unmasked clean image
    same_mask = estimate_background(image, mask, mask_planes=planes, bin_size=64)
    np.testing.assert_array_equal(masked.layers[0].values, same_mask.layers[0].values)
    diff = masked.layers[0].values - clean.layers[0].values
    noise = np.hypot(masked.layers[0].variance, clean.layers[0].variance)
    assert np.all(np.abs(diff) < 5 * noise)
    assert np.abs(diff).max() > 0  # the blob covered pixels of some bins
    unaffected = estimate_background(blob, mask, mask_planes=planes, bin_size=64, ignored_planes=())
    # not masking the blob moves those bins by far more (the clipping alone cannot cope)
    assert np.abs(unaffected.layers[0].values - clean.layers[0].values).max() > 50 * noise.max()


def test_all_masked_bins_are_nan_and_the_render_skips_them():
    shape = (400, 520)
    image = (_smooth_sky(shape)).astype(np.float32)
    bad = np.zeros(shape, bool)
    bad[:80, :] = True  # the whole first bin row (bin size 64 -> 400 // 64 + 1 = 7 rows)
    edges_y, edges_x = bin_edges(400, 7), bin_edges(520, 9)
    bad[edges_y[3] : edges_y[4], edges_x[5] : edges_x[6]] = True  # one whole interior bin
    bad[edges_y[5] : edges_y[6] - 1, edges_x[2] : edges_x[3]] = True  # all but one bin row
    model = estimate_background(image, bad, bin_size=64)
    values = model.layers[0].values
    for j in range(7):
        for i in range(9):
            rows = slice(edges_y[j], edges_y[j + 1])
            cols = slice(edges_x[i], edges_x[i + 1])
            assert np.isnan(values[j, i]) == bool(bad[rows, cols].all()), (j, i)
    assert np.isnan(values[0]).all()
    assert np.isnan(values[3, 5])
    assert np.isnan(values).sum() == 10
    rendered = model.render()
    assert np.isfinite(rendered).all()  # afw drops NaN bins before interpolating
    # the noise-free sky is bridged over the missing bins from their neighbours: off by the
    # interpolation error across two bin widths, well under 1 count of its 8-count wiggle
    np.testing.assert_allclose(rendered[120:380, 60:460], image[120:380, 60:460], atol=1.0)


def test_sample_restored_calexp_re_estimates_to_its_stored_background(tmp_path_factory):
    from _sample_set import shared_sample

    sample = shared_sample(tmp_path_factory)
    calexp = sa.read_exposure(sample.calexp)
    stored = sa.read_background(sample.calexp_background)
    restored = SkyImage(calexp.image + stored.render(), calexp.mask, mask_planes=calexp.mask_planes)
    # the pipeline's settings for DP0.2 calexps: binSize 128, MEANCLIP, the default ignored
    # planes, Chebyshev order 1 with weighting
    again = estimate_background(restored, approx_order=1)
    difference = again.render().astype(np.float64) - stored.render()
    # The stored list is four order-1 fits made one after the other with ever larger
    # DETECTED masks; one fit with the final mask gives the same plane to ~1e-3 counts on a
    # ~2900-count sky (a few float32 ulps), far below the 0.4-count error of one bin mean.
    assert np.abs(difference).max() < 2e-3
    assert np.sqrt(np.mean(difference**2)) < 5e-4
    # and both are the truth's sky up to its curvature, which an order-1 plane cannot follow
    truth = detector_scene(75).sky.astype(np.float64)
    assert np.abs(again.render() - truth).max() < 1.0


def test_estimator_arguments_are_checked():
    image = np.zeros((300, 300), np.float32)
    with pytest.raises(EstimateError, match="interp must be one of"):
        estimate_background(image, interp="bicubic")
    with pytest.raises(EstimateError, match="statistic must be one of"):
        estimate_background(image, statistic="mode")
    with pytest.raises(
        EstimateError, match=r"mask plane\(s\) \['EDGE', 'DETECTED',.*it has \['BAD'\]"
    ):
        estimate_background(SkyImage(image, np.zeros((300, 300), np.int32), mask_planes={"BAD": 0}))
    with pytest.raises(EstimateError, match="too small for Chebyshev order 6"):
        estimate_background(image, approx_order=6, undersample="throw")
    # REDUCE lowers the order to min(nx, ny) - 1, as SubtractBackgroundTask does
    reduced = estimate_background(image, approx_order=6)
    assert reduced.layers[0].approx_order_x == 2  # 300 // 128 + 1 = 3 bins
    with pytest.raises(EstimateError, match="bin_size must be"):
        estimate_background(image, bin_size=0)
