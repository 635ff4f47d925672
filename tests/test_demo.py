"""``skybkg demo`` end to end on the sample: printed statistics, figures, report, no GUI."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import re
import signal
import struct
import subprocess
import sys

import numpy as np
import pytest

from glue_skybkg.cli import demo
from skybkg_adapters import MissingDependency, ProductNotFound, SkybkgError
from skybkg_adapters.lsst_fits import read_background, read_exposure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo_run(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    stdout = io.StringIO()
    result = demo.run_demo(out, sample_dir=sample.root, progress=False, stdout=stdout)
    return result, stdout.getvalue()


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_figures_are_written(demo_run):
    result, _ = demo_run
    names = sorted(path.name for path in result.out.glob("*.png"))
    assert names == [
        "01_calexp.png",
        "02_calexpBackground.png",
        "03_calexpBackground_histogram.png",
        "04_calexp_restored.png",
        "05_deepCoadd_calexp.png",
        "06_deepCoadd.png",
        "07_deepCoadd_calexp_background.png",
        "08_deepCoadd_difference.png",
        "09_dp2_visit_image.png",
        "10_dp2_deep_coadd.png",
    ]
    for path in result.figures:
        width, height = _png_size(path)
        panels = path.name.startswith(("09_", "10_"))  # several images side by side
        assert 400 < width < (1600 if panels else 1000)
        assert 300 < height < 1000


def test_the_printed_statistics_are_the_notebooks(demo_run, sample):
    result, text = demo_run
    # an independent reference: numpy on the rendered background, as the notebook does
    values = read_background(sample.calexp_background).render().astype("float").flatten()
    expected = [
        f"Number of pixels: {len(values)}",
        f"Number of NaN pixels:  {len(np.where(np.isnan(values))[0])}",
        f"Minimum pixel value:  {np.min(values)}",
        f"Maximum pixel value:  {np.max(values)}",
        f"Mean pixel value:  {np.mean(values)}",
        f"Median pixel value:  {np.median(values)}",
        f"Standard deviation in pixel values:  {np.std(values)}",
    ]
    assert "\n".join(expected) in text
    assert len(values) == 4072 * 4000


def test_the_coadd_residual_is_constant_and_equals_the_difference(demo_run, sample):
    result, text = demo_run
    level = float(read_background(sample.coadd_background).layers[0].values[0, 0])
    residual = result.stats["deepCoadd_calexp_background"]
    assert residual.std == 0.0
    assert residual.min == residual.max == residual.median == level
    assert "Standard deviation in pixel values:  0.0\n" in text
    coadd = read_exposure(sample.coadd).image.astype("float")
    coadd_calexp = read_exposure(sample.coadd_calexp).image.astype("float")
    array = coadd.flatten() - coadd_calexp.flatten()
    difference = result.stats["difference"]
    assert difference.mean == np.mean(array)
    assert difference.std == np.std(array)
    assert difference.mean == pytest.approx(level, abs=1e-6)
    # the difference block has no pixel-count lines, as in the notebook
    block = difference.format(include_counts=False)
    assert block in text
    assert f"Mean pixel value:  {np.mean(array)}" in block


def test_the_report_holds_the_numbers_and_figures(demo_run):
    result, _ = demo_run
    page = result.report.read_text()
    assert page.startswith("<!DOCTYPE html>")
    for stats, counts in (
        (result.stats["calexpBackground"], True),
        (result.stats["deepCoadd_calexp_background"], True),
        (result.stats["difference"], False),
    ):
        assert stats.format(include_counts=counts) in page
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 10
    assert "DP2: named backgrounds" in page


def test_the_restored_calexp_is_a_new_image(demo_run, sample):
    result, text = demo_run
    calexp = read_exposure(sample.calexp)
    match = re.search(
        r"calexp maximum pixel value: (\S+); with the background added back: (\S+)", text
    )
    assert match
    assert float(match.group(1)) == pytest.approx(float(np.max(calexp.image)), rel=1e-5)
    assert float(match.group(2)) > float(match.group(1))
    # the sample's calexp on disk is untouched
    assert float(np.median(calexp.image)) < 10.0


def test_a_second_run_reuses_the_sample(demo_run, sample, tmp_path):
    result, _ = demo_run
    from skybkg_adapters.sample import full_visit_products

    # the demo opens the notebook's products, not the full visits' 563 survey backgrounds
    survey_only = {product.path for product in full_visit_products()}
    files = [sample.root / p.path for p in sample.products if p.path not in survey_only]
    before = [path.stat().st_mtime_ns for path in files]
    again = demo.run_demo(
        tmp_path / "again", sample_dir=sample.root, progress=False, stdout=io.StringIO()
    )
    assert [path.stat().st_mtime_ns for path in files] == before
    assert again.stats["calexpBackground"] == result.stats["calexpBackground"]
    assert set(again.products) == set(files)
    assert len(again.products) == len(files)


def test_glue_opens_the_notebooks_detector_first(demo_run, sample):
    result, _ = demo_run

    def visit(d, kind="calexp"):
        return sample.path(kind, {"visit": 512055, "detector": d})

    # backgrounds pair by data id, so each follows its image; the notebook's detector first
    assert result.products == (
        visit(75),
        visit(75, "calexpBackground"),
        visit(74),
        visit(74, "calexpBackground"),
        visit(76),
        visit(76, "calexpBackground"),
        sample.coadd,
        sample.coadd_calexp,
        sample.coadd_background,
    )


def test_without_a_butler_the_demo_reads_the_plain_files(sample):
    plain = dataclasses.replace(sample, butler_repo=None)
    source = demo._open_sample_source(plain)
    background = source.get("calexpBackground", {"visit": 512055, "detector": 75})
    assert background.provenance.uri == sample.calexp_background.as_uri()
    np.testing.assert_array_equal(
        background.layers[0].values, read_background(sample.calexp_background).layers[0].values
    )
    with pytest.raises(ProductNotFound, match="detectors \\[74, 75, 76\\]"):
        sample.path("calexp", {"visit": 512055, "detector": 1})


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, False),
    ],
)
def test_has_display(monkeypatch, env, expected):
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert demo.has_display() is expected


def test_a_missing_gui_extra_is_named(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == "glue_qt" else real_find_spec(name),
    )
    with pytest.raises(MissingDependency, match=r"pip install 'glue-skybkg\[qt\]'.*--no-gui"):
        demo.open_gui(["calexp.fits"])


def test_glue_that_cannot_start_is_a_clear_error(monkeypatch):
    calls = []

    def aborted(command, check):
        calls.append(command)
        return subprocess.CompletedProcess(command, -6)

    monkeypatch.setattr(subprocess, "run", aborted)
    with pytest.raises(SkybkgError, match=r"exit status -6.*report are written.*xcb.*--no-gui"):
        demo.open_gui(["/d/calexp.fits"], {"/d/calexp.fits": "calexp_512055_75"})
    assert calls == [
        [
            sys.executable,
            "-m",
            "glue_skybkg.qt.launch",
            "/d/calexp.fits",
            "--label",
            "/d/calexp.fits=calexp_512055_75",
        ]
    ]


@pytest.mark.parametrize("status", [0, -signal.SIGINT, -signal.SIGTERM])
def test_glue_closed_or_interrupted_by_the_user_is_not_an_error(monkeypatch, status):
    monkeypatch.setattr(
        subprocess, "run", lambda command, check: subprocess.CompletedProcess(command, status)
    )
    assert demo.open_gui(["/d/calexp.fits"]) is None


def test_demo_names_products_by_dataset_type_and_data_id(demo_run):
    result, _ = demo_run
    labels = result.labels
    assert set(labels) == {str(p) for p in result.products}
    assert sorted(labels.values()) == sorted(
        [
            "calexp_512055_74",
            "calexp_512055_75",
            "calexp_512055_76",
            "calexpBackground_512055_74",
            "calexpBackground_512055_75",
            "calexpBackground_512055_76",
            "deepCoadd_4226_17_r",
            "deepCoadd_calexp_4226_17_r",
            "deepCoadd_calexp_background_4226_17_r",
        ]
    )


def test_downsample_blocks_to_about_a_thousand_pixels():
    from glue_skybkg.cli import report

    shown, block = report.downsample(np.ones((4000, 4072), np.float32))
    assert block == 6
    assert shown.shape == (666, 678)


def test_the_dp2_part_lists_applies_and_refuses(demo_run, sample):
    """The DP2 sample: named backgrounds with descriptions, the subtracted one marked, and
    the DP1-style restore refused without a calibration and exact with one.
    """
    from skybkg_adapters.sample import DP2_CALIBRATION

    _, text = demo_run
    assert "visit_image: named backgrounds (unit; * = subtracted from the pixels)" in text
    assert " * subtracted (electron): Background subtracted from the image" in text
    assert "   skyCorr (electron): Focal-plane sky correction" in text
    assert " * object (nJy): Background for object detection" in text
    assert "   pretty (nJy): Gentler background for colour images." in text
    assert "DP1-style restore without a calibration is refused:" in text
    assert "DP1 visit images carry PhotoCalib = 1" in text
    from glue_skybkg.cli.demo_dp2 import centre_region

    calexp = read_exposure(sample.calexp)
    background = read_background(sample.calexp_background)
    region = centre_region(calexp)
    assert (region.width, region.height) == (1024, 1024)
    rows, cols = calexp.bbox.slices(region)
    restored = calexp.image[rows, cols] * np.float32(DP2_CALIBRATION) + background.render(
        region
    ) * np.float32(DP2_CALIBRATION)
    match = re.search(r"approximate\), centre \(.*\): maximum (\S+) nJy", text)
    assert float(match.group(1)) == pytest.approx(float(np.nanmax(restored)), rel=1e-5)
