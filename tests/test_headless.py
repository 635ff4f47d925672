"""The README's test command as a newcomer runs it: no display, no variables, maybe no shared/.

Each test runs pytest itself in a subprocess on one small test module, with the environment
a fresh headless machine has.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_UNSET = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "CI", "SKYBKG_SHARED_DIR")


def _pytest(module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in _UNSET}
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", module]
    return subprocess.run(
        command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=600
    )


def test_qt_tests_run_without_a_display_or_variables():
    done = _pytest("tests/test_glue_plugin.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout
    assert "failed" not in done.stdout


def test_without_shared_the_real_file_tests_skip_with_the_reason(tmp_path):
    done = _pytest("tests/test_lsst_fits_tiles.py", SKYBKG_SHARED_DIR=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped" in done.stdout
    assert "error" not in done.stdout.lower()
    assert f"real afw files not found at {tmp_path / 'realdata'}; set SKYBKG_SHARED_DIR" in (
        done.stdout
    )


def test_under_ci_a_missing_shared_folder_fails(tmp_path):
    done = _pytest("tests/test_lsst_fits_tiles.py", SKYBKG_SHARED_DIR=str(tmp_path), CI="true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "real afw files not found at" in done.stdout
    assert "CI must have ../shared beside the checkout" in done.stdout
