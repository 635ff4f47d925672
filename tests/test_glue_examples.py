"""The committed example sessions: small, no pixels, no machine paths, only importable names."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

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
