"""The example notebook in JupyterLab, in a real browser (headless system Chromium).

One test: it starts JupyterLab on 127.0.0.1 (random port, token), opens the notebook, runs
all cells, waits for the image viewer's canvas and the printed statistics, checks that the
canvas shows an image (pixel variance) and the statistics are the notebook's, saves
screenshots under its tmp folder and stops the server.  It fails, never hangs, after
``BUDGET`` seconds.  It skips only where Chromium is not installed (outside CI).
"""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest
from _jupyterlab import (
    CHROMIUM_ARGS,
    KERNEL_IDLE_JS,
    chromium,
    grey_std,
    jupyter_lab,
    settled_screenshot,
)
from _seed_notebook import difference_block, statistics_block
from conftest import running_in_ci

NOTEBOOK = Path(__file__).resolve().parents[1] / "example_sessions" / "sky_backgrounds.ipynb"
BUDGET = 120
"""Seconds for the whole test, server start to screenshots."""
LAST_OUTPUT = "Saved the session:"
"""What the notebook's last cell prints."""


class OverBudget(Exception):
    """The browser test ran past its time budget."""


@pytest.fixture
def deadline():
    """The monotonic time the test must end by; SIGALRM interrupts any wait past it."""

    def expired(*_):
        raise OverBudget(f"the browser test ran over its {BUDGET} s budget")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(BUDGET)
    try:
        yield time.monotonic() + BUDGET - 5
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def chromium_path():
    path = chromium()
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install chromium chromium-driver)"
        if running_in_ci():
            pytest.fail(f"{reason}; .ci/run installs it")
        pytest.skip(reason)
    return path


def test_the_notebook_draws_and_prints_in_jupyterlab(tmp_path, sample, chromium_path, deadline):
    from playwright.sync_api import sync_playwright

    from skybkg_adapters.lsst_fits import read_background, read_exposure

    expected = [
        statistics_block(read_background(sample.calexp_background).render(), unit="ct"),
        statistics_block(read_background(sample.coadd_background).render(), unit="nJy"),
        difference_block(
            *(read_exposure(p).image for p in (sample.coadd, sample.coadd_calexp)), unit="nJy"
        ),
    ]
    root, home = tmp_path / "root", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    console: list[str] = []
    timings: dict[str, float] = {}
    start = time.monotonic()
    env = {"SKYBKG_SAMPLE_DIR": str(sample.root), "XDG_CACHE_HOME": str(home / ".cache")}
    with jupyter_lab(root, home, env, timeout=60) as url, sync_playwright() as playwright:
        timings["server"] = time.monotonic() - start
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1700, "height": 1100})
            page.set_default_timeout(60_000)
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.goto(url.format(name=NOTEBOOK.name))
            page.wait_for_function(KERNEL_IDLE_JS, polling=200)
            timings["kernel idle"] = time.monotonic() - start
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            viewer = page.locator(".skybkg-viewer .bqplot").first
            viewer.wait_for(state="visible")
            viewer.scroll_into_view_if_needed()
            while grey_std(viewer.screenshot()) <= 5:  # the first image, not the empty canvas
                if time.monotonic() > deadline:
                    raise OverBudget("the viewer never drew an image")
                time.sleep(0.1)
            timings["first image"] = time.monotonic() - start
            page.locator(".jp-OutputArea-output", has_text=LAST_OUTPUT).wait_for()
            timings["all cells"] = time.monotonic() - start
            panel = page.locator(".skybkg-panel").first
            panel.scroll_into_view_if_needed()
            shot = settled_screenshot(page, viewer, deadline)
            (tmp_path / "viewer.png").write_bytes(shot)
            panel.screenshot(path=str(tmp_path / "panel.png"))
            page.screenshot(path=str(tmp_path / "jupyterlab.png"))
            outputs = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
            shown = page.locator(".skybkg-statistics").first.inner_text()
        finally:
            browser.close()
    print(f"screenshots in {tmp_path}; timings", {k: round(v, 1) for k, v in timings.items()})
    errors = [line for line in console if line.startswith("error")]
    print(f"console: {len(console)} messages, {len(errors)} errors", errors[:5])
    assert grey_std(shot) > 5, "the image viewer's canvas is blank"
    outputs = outputs.replace("\r", "")
    (tmp_path / "outputs.txt").write_text(outputs)
    for block in expected:
        assert block in outputs
    assert shown.strip() == expected[0]
    assert errors == []  # the widgets rendered without a script error
