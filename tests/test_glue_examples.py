"""The committed example sessions: small, no pixels, no machine paths, only importable names."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _sample_set import shared_sample

from skybkg_adapters import SAMPLE_SPEC

EXAMPLES = Path(__file__).resolve().parents[1] / "example_sessions"
SESSIONS = sorted(EXAMPLES.glob("*.glu"))


def test_both_example_sessions_exist():
    assert [p.name for p in SESSIONS] == ["calexp_background.glu", "coadd_difference.glu"]


@pytest.mark.parametrize("session", SESSIONS, ids=lambda p: p.name)
def test_example_session_stores_recipes_only(session):
    text = session.read_text()
    assert session.stat().st_size < 100_000
    assert "k05VTVBZ" not in text  # no base64 .npy
    assert "/home/" not in text
    assert "/root/" not in text
    assert "/tmp/" not in text
    record = json.loads(text)
    logs = [r for r in record.values() if r.get("_type", "").endswith("LoadLog")]
    assert logs
    assert all(r["factory"]["function"] == "glue_skybkg.loaders.load_from_source" for r in logs)
    assert all(dict(r["kwargs"][0])["source"] == SAMPLE_SPEC for r in logs)
    recipes = [r for r in record.values() if r["_type"] == "glue_skybkg.session.ProductRecipe"]
    assert recipes
    assert all(r["provenance"]["source"] == SAMPLE_SPEC for r in recipes)
    for item in record.values():  # every class named in the session imports back
        module, _, name = item["_type"].rpartition(".")
        assert hasattr(importlib.import_module(module), name), item["_type"]


_QT_OPEN = """
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from glue.main import load_plugins
from glue_qt.app import GlueApplication
from glue_qt.utils import get_qapp

get_qapp()
load_plugins(require_qt_plugins=True)
app = GlueApplication.restore_session(sys.argv[1], show=False)
print(json.dumps([[v.state.layers[0].attribute.label, v.state.layers[0].attribute_display_unit]
                  for v in app.viewers[0]]))
"""


@pytest.mark.parametrize("session", SESSIONS, ids=lambda p: p.name)
def test_example_session_opens_in_glue_qt(session, tmp_path_factory):
    """Saved before images had units, they still open (their empty display unit is dropped)."""
    sample = shared_sample(tmp_path_factory)
    done = subprocess.run(
        [sys.executable, "-c", _QT_OPEN, str(session)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SKYBKG_SAMPLE_DIR": str(sample.root)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown[0] == ["image", "ct" if session.name.startswith("calexp") else "nJy"]


def _views(app):
    return [
        (v.state.title, v.state.layers[0].layer.label, v.state.layers[0].attribute.label)
        for tab in app.viewers
        for v in tab
    ]


def test_opening_the_examples_with_an_empty_cache_shows_progress(qapp, tmp_path, monkeypatch):
    """Item 14: the first open generates the sample; a progress window says so, step by step."""
    from glue.main import load_plugins
    from glue_qt.app import GlueApplication
    from qtpy.QtWidgets import QProgressDialog

    from glue_skybkg.qt.sample_progress import TITLE, sample_progress

    load_plugins(require_qt_plugins=True)  # as `glue session.glu` does before restoring

    monkeypatch.setenv("SKYBKG_SAMPLE_DIR", str(tmp_path / "empty-cache"))
    seen = []

    def record(done, total, step):
        dialog = sample_progress.dialog
        shown = dialog is not None and dialog.isVisible() and dialog.windowTitle() == TITLE
        seen.append((done, total, shown, dialog.value() if dialog is not None else None))

    sample_progress.stepped.connect(record)
    try:
        app = GlueApplication.restore_session(str(EXAMPLES / "calexp_background.glu"), show=False)
    finally:
        sample_progress.stepped.disconnect(record)
    try:
        total = seen[0][1]
        from skybkg_adapters.sample.full_visits import full_visit_tasks

        # two coadd tasks, three detectors, the full visits, then the Butler registry
        butler = importlib.util.find_spec("lsst.daf.butler") is not None
        assert total == 5 + len(full_visit_tasks()) + butler
        assert sorted(done for done, *_ in seen) == list(range(total + 1))
        # each step further than the last shows (two threads finish steps, so some arrive
        # late and are passed over); the dialog is up until the last step closes it
        furthest, applied = -1, []
        for done, _, shown, value in seen:
            if done > furthest:
                applied.append((done, shown, value))
                furthest = done
        assert applied[-1] == (total, False, None)
        assert all(shown and value == done for done, shown, value in applied[:-1])
        assert len(applied) >= 3  # the start, steps between, the end: the bar moves
        assert not [d for d in app.findChildren(QProgressDialog) if d.isVisible()]
        assert _views(app) == [
            ("calexp_512055_75", "calexp_512055_75", "image"),
            ("calexpBackground_512055_75", "calexp_512055_75", "background"),
            ("calexp_512055_75 + background", "calexp_512055_75", "image + background"),
        ]
    finally:
        app.close()
    coadd = GlueApplication.restore_session(str(EXAMPLES / "coadd_difference.glu"), show=False)
    try:
        assert [title for title, *_ in _views(coadd)] == [
            "deepCoadd_calexp_4226_17_r",
            "deepCoadd_4226_17_r",
            "deepCoadd_4226_17_r - deepCoadd_calexp_4226_17_r",
            "deepCoadd_4226_17_r - deepCoadd_calexp_4226_17_r - background",
        ]
    finally:
        coadd.close()


def test_the_readme_says_what_glue_shows():
    """Item 13: glue's menu says Export Session; the sessions' sizes are the files' sizes."""
    import re

    readme = (EXAMPLES.parent / "README.md").read_text()
    examples = (EXAMPLES / "README.md").read_text()
    for text in (readme, examples):
        assert "Export Session" in text
        assert "Save Session" not in text
        assert "a few kB" not in text
    (sizes,) = re.findall(
        r"example sessions in `example_sessions/` are (\d+) kB and (\d+) kB", readme
    )
    actual = [round(p.stat().st_size / 1000) for p in SESSIONS]
    assert [int(n) for n in sizes] == actual
    for session, size in zip(SESSIONS, actual, strict=True):
        assert f"`{session.name}` ({size} kB)" in examples
