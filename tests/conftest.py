"""Shared test set-up: headless Qt, isolated caches, the real afw files in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GLUE_TESTING", "True")

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real afw-written FITS files (shared/realdata beside the checkout)."""
    if not REALDATA.is_dir():
        pytest.fail(f"real test data not found at {REALDATA}; CI keeps shared/ beside the checkout")
    return REALDATA


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own XDG cache so no test sees another's downloads or samples."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
