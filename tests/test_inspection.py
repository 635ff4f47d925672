"""Background inspection: bin grids, profiles, residuals (analysis) and on glue Data."""

from __future__ import annotations

import numpy as np
import pytest
from glue.core import DataCollection
from glue.core.data_factories import load_data
from glue.core.state import GlueSerializer, GlueUnSerializer

import skybkg_adapters as sa
from glue_skybkg import actions, analysis, inspection, loaders
from glue_skybkg.gluedata import BACKGROUND, image_to_data


def _afw_centres(x0, length, n):
    """Bin centres written out from the afw formula: start + size/2 - 1/2, plus the origin."""
    centres = []
    start = 0
    for i in range(n):
        end = min(((i + 1) * length + n // 2) // n, length)
        centres.append(x0 + start + (end - start) / 2 - 0.5)
        start = end
    return centres


@pytest.mark.parametrize(
    ("bbox", "shape"),
    [
        ((0, 0, 4072, 4000), (32, 32)),
        ((11900, 7900, 4200, 4200), (1, 1)),
        ((1000, 2000, 200, 150), (3, 4)),
    ],
    ids=["detector", "coadd-tweak", "offset-xy0"],
)
def test_bin_grid_positions_are_the_bin_centre_formula(bbox, shape):
    values = np.arange(shape[0] * shape[1], dtype=np.float32).reshape(shape)
    values[0, -1] = np.nan
    grid = analysis.bin_grid(sa.BackgroundLayer(values, bbox))
    assert grid.x_centers.tolist() == _afw_centres(bbox[0], bbox[2], shape[1])
    assert grid.y_centers.tolist() == _afw_centres(bbox[1], bbox[3], shape[0])
    # boundaries are pixel edges: half a pixel before each bin's first pixel
    assert grid.x_edges[0] == bbox[0] - 0.5
    assert grid.x_edges[-1] == bbox[0] + bbox[2] - 0.5
    assert grid.nan.sum() == 1
    assert grid.nan[0, -1]
    assert grid.bin_of(grid.x_centers[-1], grid.y_centers[0]) == (0, shape[1] - 1)
    assert grid.bin_of(bbox[0] - 1, bbox[1]) is None


def test_bin_value_image_is_the_stats_image_at_its_bins_in_any_window():
    bbox = (11900, 7900, 420, 300)  # a coadd-like origin
    values = np.random.default_rng(1).normal(size=(3, 5)).astype(np.float32)
    layer = sa.BackgroundLayer(values, bbox)
    full = analysis.bin_value_image(layer)
    xe, ye = sa.bin_edges(420, 5), sa.bin_edges(300, 3)
    for j in range(3):
        for i in range(5):
            block = full[ye[j] : ye[j + 1], xe[i] : xe[i + 1]]
            assert np.all(block == values[j, i])
    window = (11900 + 77, 7900 + 101, 150, 90)
    part = analysis.bin_value_image(layer, window)
    np.testing.assert_array_equal(part, full[101:191, 77:227])
    with pytest.raises(ValueError, match="not inside"):
        analysis.bin_value_image(layer, (0, 0, 10, 10))


def test_radial_profile_finds_an_injected_dark_ring():
    rng = np.random.default_rng(5)
    shape = (601, 641)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    cx, cy = 320.3, 299.6
    r = np.hypot(xx - cx, yy - cy)
    star = 5e4 * (1 + (r / 2.5) ** 2) ** -3.5
    ring_radius, depth, width = 80.0, 4.0, 6.0
    ring = -depth * np.exp(-0.5 * ((r - ring_radius) / width) ** 2)
    image = (star + ring + rng.normal(0, 2.0, shape)).astype(np.float32)
    profile = analysis.radial_profile(image, (cx, cy), 250)
    assert profile.radius[:3].tolist() == [0.5, 1.5, 2.5]
    assert profile.mean[0] > 1e4  # the star's core
    # each 1-px annulus near r=80 holds ~500 pixels: its mean is off by 2/sqrt(500) ~ 0.09
    radius, found_depth = profile.dip(level=0.0, r_min=20)
    assert abs(radius - ring_radius) <= 3.0
    assert found_depth == pytest.approx(depth, abs=0.4)
    # far from the ring the profile sits at the sky
    assert abs(np.nanmean(profile.mean[150:])) < 0.1
    assert profile.count[100] == pytest.approx(2 * np.pi * 100.5, rel=0.05)


def test_line_profile_samples_bilinearly():
    yy, xx = np.mgrid[0:50, 0:60]
    ramp = (3.0 * xx + 2.0 * yy).astype(np.float64)
    profile = analysis.line_profile(ramp, (5.0, 5.0), (45.0, 35.0))
    assert profile.distance[-1] == pytest.approx(50.0)
    np.testing.assert_allclose(profile.value, 3.0 * profile.x + 2.0 * profile.y)
    outside = analysis.line_profile(ramp, (55.0, 5.0), (70.0, 5.0))
    assert np.isnan(outside.value[-1])
    assert outside.value[0] == 3.0 * 55 + 2.0 * 5


def test_box_mean_and_residual_map():
    rng = np.random.default_rng(2)
    image = rng.normal(size=(40, 50)).astype(np.float32)
    use = rng.random((40, 50)) > 0.3
    box = analysis.box_mean(image, 3, use)
    for y, x in [(0, 0), (20, 25), (39, 49), (5, 48)]:
        rows, cols = slice(max(y - 3, 0), y + 4), slice(max(x - 3, 0), x + 4)
        expected = image[rows, cols][use[rows, cols]].astype(np.float64).mean()
        assert box[y, x] == pytest.approx(expected, abs=1e-5)
    residual = analysis.residual_map(image + 5.0, np.full((40, 50), 5.0), use, half_width=3)
    np.testing.assert_allclose(residual, box, atol=1e-5)


def test_near_source_statistics_see_a_dark_halo():
    rng = np.random.default_rng(8)
    shape = (300, 300)
    yy, xx = np.mgrid[0:300, 0:300]
    r = np.hypot(xx - 150, yy - 150)
    image = rng.normal(0.0, 1.0, shape) + 1000.0 * (r < 6)
    # an oversubtracted halo around the source, reaching past the corners of the "near" square
    image -= 3.0 * ((r >= 6) & (r < 40))
    detected = r < 6
    stats = analysis.near_source_statistics(image, detected, radius=20)
    assert stats.detected.mean > 900
    assert stats.near.mean == pytest.approx(-3.0, abs=0.1)
    assert -0.1 < stats.far.mean < 0.05  # the halo's outer rim, a few hundred pixels
    assert "near - far mean" in stats.format()


@pytest.fixture(scope="module")
def sample_calexp(tmp_path_factory):
    from _sample_set import shared_sample

    sample = shared_sample(tmp_path_factory)
    data = image_to_data(sa.read_exposure(sample.calexp), "calexp")
    actions.attach_background(data, sample.calexp_background)
    return data


def test_entry_layers_sum_to_the_rendered_background(sample_calexp):
    data = sample_calexp
    entries = inspection.background_entries(data)
    assert [e.describe() for e in entries][0] == (
        "entry 0: Chebyshev order 1, 32x32 bins of 127.2x125.0 px "
        "(AKIMA_SPLINE stored, weighting on)"
    )
    assert len(entries) == 4
    layers = [np.asarray(data.get_data(inspection.show_entry(data, k))) for k in range(4)]
    total = layers[0].copy()
    for layer in layers[1:]:
        total += layer  # float32, in list order, as afw sums a BackgroundList
    rendered = np.asarray(data.get_data(data.id[BACKGROUND]))
    # float32 round-off at most: one ulp of the ~2900-count sky is 2.4e-4
    assert np.abs(total - rendered).max() <= np.spacing(np.float32(4096))
    assert inspection.show_entry(data, 1) == data.id[f"{BACKGROUND} entry 1"]  # not twice
    with pytest.raises(sa.SkybkgError, match="4 entries; no entry 7"):
        inspection.show_entry(data, 7)


def test_re_estimate_with_the_pipeline_settings_matches_the_stored_background(sample_calexp):
    data = sample_calexp
    settings = inspection.pipeline_settings(data)
    assert settings["bin_size"] == 128
    assert settings["approx_order"] == 1
    result = inspection.re_estimate_background(data)
    assert result.component.label == "re-estimate (128 px, meanclip, Chebyshev 1)"
    # the difference stored - re-estimated is a few float32 ulps of the sky (see test_estimate)
    assert max(abs(result.statistics.min), abs(result.statistics.max)) < 2e-3
    assert result.statistics.std < 5e-4
    # another bin size gives another component, an Akima surface that follows the curvature
    other = inspection.re_estimate_background(data, bin_size=256, approx_order=None)
    assert other.component.label == "re-estimate (256 px, meanclip, akima_spline)"
    assert 0.05 < other.statistics.std < 2.0


def test_profiles_of_image_restored_and_background(sample_calexp):
    data = sample_calexp
    profiles = inspection.radial_profiles(data, (1485.5, 643.9), 150)
    assert list(profiles.curves) == ["image", "image + background", "background"]
    assert profiles.unit == "ct"
    image, restored, background = (profiles.curves[k].mean for k in profiles.curves)
    np.testing.assert_allclose(restored, image + background, rtol=1e-6)
    assert abs(profiles.levels["image"]) < 1.0
    assert 2800 < profiles.levels["background"] < 3000
    assert image[0] > 1e4
    line = inspection.line_profiles(data, (1235.5, 643.0), (1735.5, 643.0))
    assert line.curves["image"].x[0] == pytest.approx(1235.5)
    assert np.nanargmax(line.curves["image"].value) == pytest.approx(250, abs=3)


def test_session_saves_the_inspection_components_as_recipes(glue_products):
    calexp = load_data(str(glue_products["paths"]["calexp"]), factory=loaders.read_afw_exposure)
    dc = DataCollection([calexp])
    actions.attach_background(calexp, str(glue_products["paths"]["calexpBackground"]))
    labels = [
        inspection.show_entry(calexp, 0).label,
        inspection.add_bin_values(calexp, 0).label,
        inspection.re_estimate_background(calexp, bin_size=64).component.label,
        inspection.add_residual_map(calexp, bin_size=128, half_width=4).label,
    ]
    before = {label: np.array(calexp.get_data(calexp.id[label])) for label in labels}
    text = GlueSerializer(dc).dumps()
    assert len(text) < 40_000  # recipes, not 30000-pixel float arrays
    (restored,) = GlueUnSerializer.loads(text).object("__main__")
    for label in labels:
        np.testing.assert_array_equal(np.asarray(restored[label]), before[label], err_msg=label)
    np.testing.assert_array_equal(before[labels[0]], glue_products["background"])


def test_the_readme_inspection_example_runs_on_the_sample(tmp_path_factory, monkeypatch, capsys):
    from pathlib import Path

    from _sample_set import shared_sample

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("<!-- inspect-example -->", 1)[1].split("```python\n", 1)[1]
    code = block.split("```", 1)[0]
    monkeypatch.setenv("SKYBKG_SAMPLE_DIR", str(shared_sample(tmp_path_factory).root))
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert float(lines[0]) < 2e-3  # what the README says: ~1e-3 counts
    assert lines[1] == "(32, 32) [ 63.  190.5 318. ]"
    radius, depth = (float(v) for v in lines[2].strip("()").split(","))
    assert 20 <= radius <= 150
    assert np.isfinite(depth)
