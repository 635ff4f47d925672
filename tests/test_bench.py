"""glue_skybkg.cli.bench: the quick run produces every row and prints the table (never timed)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from glue_skybkg import analysis
from glue_skybkg.cli import bench
from glue_skybkg.cli.bench import cases, table


@pytest.fixture(scope="module")
def quick_result():
    out = io.StringIO()
    result = bench.run_bench(quick=True, out=out)
    return result, out.getvalue()


def test_quick_run_has_every_row(quick_result):
    result, _ = quick_result
    assert result["quick"] is True
    assert tuple(result["shape"]) == cases.QUICK_SHAPE
    assert list(result["rows"]) == [case.key for case in cases.CASES]
    for key in (
        "floor",
        "render_ours_dp02",
        "render_ours_akima",
        "render_scipy",
        "stats_ours",
        "stats_notebook",
        "hist_ours",
        "hist_numpy",
        "hist_fast",
        "read_ours_gzip",
        "read_astropy_gzip",
        "read_ours_plain",
        "read_astropy_plain",
        "restore_ours",
        "restore_inplace",
        "render_dp2_f64",
        "render_dp2_f32",
        "render_dp2_afw",
    ):
        row = result["rows"][key]
        assert row["ms"] is not None, (key, row["note"])
        assert row["ms"] >= 0, (key, row["note"])
        assert row["x_floor"] is not None
        assert row["verdict"] == "quick"
    assert result["rows"]["stats_ours"]["speedup"] is not None
    assert result["rows"]["stats_notebook"]["anchor_ms"] == 262.0


def test_rows_that_cannot_run_say_why(quick_result):
    result, _ = quick_result
    for key in ("render_lsst_images", "render_lsst_images_f32"):
        lsst_images = result["rows"][key]
        # lsst-images (Python >= 3.12) is timed live in a second interpreter, else quoted
        if lsst_images["ms"] is None:
            assert lsst_images["note"].startswith("quoted: no Python >= 3.12 with lsst-images")
        else:
            assert lsst_images["note"].startswith("measured live with ")
        assert lsst_images["anchor_ms"] == {"render_lsst_images": 183.0}.get(key, 276.0)
    assert "--quick" in result["rows"]["demo"]["note"]
    viewer, cold = result["rows"]["first_viewer"], result["rows"]["cold_viewer"]
    assert viewer["ms"] is not None or viewer["note"].startswith("not available")
    if viewer["ms"] is not None:  # the cold start includes imports and the same request
        assert cold["ms"] > viewer["ms"]
        assert cold["verdict"] == "quick"


def test_printed_table_lists_every_case(quick_result):
    result, text = quick_result
    lines = text.splitlines()
    assert lines[0].startswith("skybkg bench --quick: 128 x 136 float32")
    for case in cases.CASES:
        assert sum(case.label in line for line in lines) == 1, case.label
    assert "lsst-images SplineField.render, float64" in text
    assert "+389 MiB" in text
    assert text == table.format_table(result) + "\n"


def test_the_dp2_rows(quick_result):
    result, _ = quick_result
    rows = result["rows"]
    assert rows["render_dp2_f64"]["versus"] == "render_lsst_images"
    assert rows["render_dp2_f32"]["versus"] == "render_lsst_images_f32"
    assert rows["render_dp2_f64"]["target"] == "<= 3x floor, >= 10x faster"
    dp2 = rows["first_viewer_dp2"]
    assert dp2["ms"] is not None or dp2["note"].startswith("not available")


def test_dp2_bench_inputs():
    field = cases.dp2_spline((40, 48))
    assert field.values.shape == (32, 32)
    assert field.bounds == (0, 0, 48, 40)
    assert field.render(dtype=np.float64).shape == (40, 48)


def test_verdicts_against_targets():
    stats = next(c for c in cases.CASES if c.key == "stats_ours")
    row = {"ms": 30.0, "peak_extra_mib": 10.0, "image_mib": 62.1, "speedup": 8.0}
    assert table.verdict(stats, row, 8.0) == "PASS"
    assert table.verdict(stats, dict(row, ms=41.0), 8.0) == "MISS"  # > 5x floor
    assert table.verdict(stats, dict(row, speedup=4.0), 8.0) == "MISS"
    assert table.verdict(stats, dict(row, peak_extra_mib=70.0), 8.0) == "MISS"
    viewer = next(c for c in cases.CASES if c.key == "first_viewer")
    assert table.verdict(viewer, {"ms": 1400.0}, None) == "PASS"
    assert table.verdict(viewer, {"ms": None}, None) == "MISS"


def test_scipy_reference_renderer_interpolates_the_bins():
    model = cases._akima_layer((40, 48))
    rendered = cases._scipy_akima(model, (40, 48))
    assert rendered.shape == (40, 48)
    assert rendered.dtype == np.float32
    # close to ours away from the edges (scipy is not afw's Akima, so not equal)
    ours = model.render()
    assert np.abs(rendered[8:-8, 8:-8] - ours[8:-8, 8:-8]).max() < 5.0
    assert analysis.background_stats(rendered).n_nan == 0


def test_the_notebook_row_runs_in_a_kernel(quick_result):
    result, _ = quick_result
    row = result["rows"]["jupyter_viewer"]
    assert row["ms"] is not None, row["note"]
    assert row["target"] == "<= 2 s"
