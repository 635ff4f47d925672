"""The ``skybkg`` command: the demo through the CLI, and one clear line for expected failures."""

from __future__ import annotations

import errno
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glue_skybkg import cli
from glue_skybkg.cli import demo, report


@pytest.fixture
def unwritable(tmp_path) -> Path:
    """An --out no one can create, not even root: a folder under a regular file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    return blocker / "out"


def test_demo_runs_headless_and_prints_the_statistics(sample, tmp_path, capsys):
    status = cli.main(
        [
            "demo",
            "--no-gui",
            "--quiet",
            "--out",
            str(tmp_path / "out"),
            "--sample-dir",
            str(sample.root),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Number of pixels: 16288000\nNumber of NaN pixels:  0\nMinimum pixel value:  " in (
        captured.out
    )
    assert "Number of pixels: 17640000" in captured.out
    assert f"Report: {(tmp_path / 'out' / 'report.html').resolve()}" in captured.out
    assert len(list((tmp_path / "out").glob("*.png"))) == 10  # 8 of the notebook, 2 of DP2


def test_unwritable_out_is_one_clear_line(unwritable, capsys):
    status = cli.main(["demo", "--no-gui", "--out", str(unwritable)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert f"cannot write the demo output into {unwritable}" in err
    assert "--out DIR" in err


def test_the_console_script_exits_2_without_a_traceback(unwritable):
    done = subprocess.run(
        [sys.executable, "-m", "glue_skybkg.cli", "demo", "--no-gui", "--out", str(unwritable)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("skybkg demo: error: cannot write the demo output")


def test_a_full_disk_says_what_failed(sample, tmp_path, monkeypatch, capsys):
    def full_disk(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(report, "save_image", full_disk)
    status = cli.main(
        ["demo", "--no-gui", "-q", "--out", str(tmp_path / "out"), "--sample-dir", str(sample.root)]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    assert "plot calexp failed: No space left on device" in err
    assert "01_calexp.png" in err
    assert "free disk space" in err


def test_a_missing_gui_extra_is_one_clear_line(tmp_path, monkeypatch, capsys):
    result = demo.DemoResult(
        out=tmp_path,
        report=tmp_path / "report.html",
        figures=(),
        stats={},
        products=(tmp_path / "calexp.fits",),
    )
    monkeypatch.setattr(demo, "run_demo", lambda *args, **kwargs: result)
    monkeypatch.setattr(demo, "has_display", lambda: True)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == "glue_qt" else real_find_spec(name),
    )
    status = cli.main(["demo", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in captured.err
    assert "pip install 'glue-skybkg[qt]'" in captured.err
    assert "Report:" in captured.out  # the report was still written and announced


def test_no_display_skips_glue(tmp_path, monkeypatch, capsys):
    result = demo.DemoResult(
        out=tmp_path, report=tmp_path / "report.html", figures=(), stats={}, products=()
    )
    monkeypatch.setattr(demo, "run_demo", lambda *args, **kwargs: result)
    monkeypatch.setattr(demo, "has_display", lambda: False)

    def no_gui(paths, labels):
        raise AssertionError("glue must not open without a display")

    monkeypatch.setattr(demo, "open_gui", no_gui)
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    assert "No display found" in capsys.readouterr().out


def test_the_gui_gets_the_products(tmp_path, monkeypatch):
    products = (tmp_path / "calexp.fits", tmp_path / "calexpBackground.fits")
    labels = {str(products[0]): "calexp_512055_75"}
    result = demo.DemoResult(
        out=tmp_path,
        report=tmp_path / "report.html",
        figures=(),
        stats={},
        products=products,
        labels=labels,
    )
    opened = []
    monkeypatch.setattr(demo, "run_demo", lambda *args, **kwargs: result)
    monkeypatch.setattr(demo, "has_display", lambda: True)
    monkeypatch.setattr(demo, "open_gui", lambda paths, names: opened.append((paths, names)))
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    assert opened == [([str(p) for p in products], labels)]


def test_sample_lists_the_products(sample, capsys):
    assert cli.main(["sample", "-q", "--sample-dir", str(sample.root)]) == 0
    out = capsys.readouterr().out
    assert f"Sample data set: {sample.root}" in out
    assert out.count("calexpBackground ") == 3
    assert "full visit 512055 (band i): 188 of 189 background files, detector 42 missing" in out
    assert "full visit 1172317 (band r): 189 of 189 background files\n" in out
    assert "deepCoadd_calexp_background" in out


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["frobnicate"])
    assert stop.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
