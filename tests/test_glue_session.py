"""Sessions: saved small (recipes, not pixels) and restored in a fresh process elsewhere."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from glue.core.state import GlueSerializer

from glue_skybkg import actions
from glue_skybkg.fetching import PRODUCT_KINDS, load_products
from glue_skybkg.qt.display import show_component
from skybkg_adapters import SkybkgError
from skybkg_adapters.lsst_fits import read_background

MAX_SESSION_BYTES = 200_000
NPY_BASE64 = "k05VTVBZ"  # base64 of b"\x93NUMPY": an embedded array in a .glu

# Runs in a fresh interpreter, as `glue session.glu` would: plugins loaded, then restore.
RESTORE_SCRIPT = textwrap.dedent("""
    import json, os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["GLUE_TESTING"] = "True"
    import numpy as np
    from glue.main import load_plugins
    from glue_qt.app import GlueApplication
    from glue_qt.utils import get_qapp
    from glue_skybkg.gluedata import derived_link

    get_qapp()
    load_plugins(require_qt_plugins=True)
    session, out = sys.argv[1], sys.argv[2]
    app = GlueApplication.restore_session(session, show=False)
    lazy = {}
    arrays = {}
    for data in app.data_collection:
        for cid in data.main_components + data.derived_components:
            link = derived_link(data, cid.label)
            if link is not None:
                lazy[f"{data.label}/{cid.label}"] = not link.is_computed
        for cid in data.main_components + data.derived_components:
            if not cid.label.startswith(("Pixel", "World", "Right", "Decl")):
                arrays[f"{data.label}/{cid.label}"] = np.asarray(data[cid])
    viewers = []
    for viewer in app.viewers[0]:
        layer = viewer.state.layers[0]
        viewers.append([layer.layer.label, layer.attribute.label, layer.stretch,
                        layer.v_min, layer.v_max])
    np.savez(out, **{k.replace("/", "|"): v for k, v in arrays.items()})
    print(json.dumps({"lazy": lazy, "viewers": viewers, "cwd": os.getcwd()}))
    app.close()
""")


def _restore_elsewhere(session, tmp_path):
    script = tmp_path / "restore.py"
    script.write_text(RESTORE_SCRIPT)
    out = tmp_path / "restored.npz"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH="")
    run = subprocess.run(
        [sys.executable, str(script), str(session), str(out)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    with np.load(out) as arrays:
        return report, {k.replace("|", "/"): arrays[k] for k in arrays.files}


def _check_small(session):
    text = session.read_text()
    assert session.stat().st_size < MAX_SESSION_BYTES
    assert NPY_BASE64 not in text
    return json.loads(text)


def test_file_session_round_trip_after_moving_the_folder(glue_app, glue_products, tmp_path):
    folder = tmp_path / "project"
    shutil.copytree(glue_products["root"], folder / "data")
    glue_app.load_data(
        [
            str(folder / "data" / rel)
            for rel in (
                "calexp/calexp_512055_75.fits",
                "calexpBackground/calexpBackground_512055_75.fits",
                "deepCoadd/deepCoadd_4226_17_r.fits",
                "deepCoadd_calexp/deepCoadd_calexp_4226_17_r.fits",
                "deepCoadd_calexp_background/deepCoadd_calexp_background_4226_17_r.fits",
            )
        ]
    )
    by_label = {d.label: d for d in glue_app.data_collection}
    calexp = by_label["calexp_512055_75"]
    coadd, coadd_calexp = by_label["deepCoadd_4226_17_r"], by_label["deepCoadd_calexp_4226_17_r"]
    actions.restore_background(calexp)
    comparison = actions.compare_with_stored_background(
        coadd, coadd_calexp, glue_app.data_collection
    )
    show_component(glue_app, calexp, "image + background", "notebook")
    show_component(glue_app, coadd, comparison.component.label, "linear")
    session = folder / "notebook.glu"
    glue_app.save_session(str(session), absolute_paths=False)
    record = _check_small(session)
    assert str(tmp_path) not in session.read_text()  # relative paths only
    assert {r["_type"] for r in record.values()} >= {
        "glue_skybkg.gluedata.BackgroundLink",
        "glue_skybkg.gluedata.ArithmeticLink",
        "glue_skybkg.session.ProductRecipe",
    }

    moved = tmp_path / "moved"
    shutil.move(folder, moved)
    report, arrays = _restore_elsewhere(moved / "notebook.glu", tmp_path)

    assert report["lazy"]["deepCoadd_calexp_4226_17_r/background"] is False  # a viewer needed it
    calexp_truth = {
        "image": glue_products["calexp_image"],
        "background": glue_products["background"],
        "image + background": glue_products["calexp_image"] + glue_products["background"],
    }
    for label, truth in calexp_truth.items():
        np.testing.assert_array_equal(arrays[f"calexp_512055_75/{label}"], truth)
    diff = glue_products["coadd_image"].astype(np.float64) - glue_products["coadd_calexp_image"]
    np.testing.assert_array_equal(
        arrays["deepCoadd_4226_17_r/image - deepCoadd_calexp_4226_17_r"], diff
    )
    np.testing.assert_array_equal(
        arrays["deepCoadd_4226_17_r/image - deepCoadd_calexp_4226_17_r - background"],
        diff - np.float32(0.37),
    )
    np.testing.assert_array_equal(
        arrays["deepCoadd_calexp_4226_17_r/background"], glue_products["coadd_background"]
    )
    saved_viewers = [
        [
            v.state.layers[0].layer.label,
            v.state.layers[0].attribute.label,
            v.state.layers[0].stretch,
            v.state.layers[0].v_min,
            v.state.layers[0].v_max,
        ]
        for v in glue_app.viewers[0]
    ]
    assert report["viewers"] == saved_viewers


def test_source_session_refetches_by_provenance(glue_app, glue_products, tmp_path):
    source = str(glue_products["root"])
    datasets = load_products(source, PRODUCT_KINDS["visit"], {"visit": 512055, "detector": 75})
    glue_app.add_datasets(datasets)
    (calexp,) = list(glue_app.data_collection)
    actions.restore_background(calexp)
    session = tmp_path / "fetched.glu"
    glue_app.save_session(str(session), absolute_paths=False)
    record = _check_small(session)
    recipes = [r for r in record.values() if r["_type"] == "glue_skybkg.session.ProductRecipe"]
    assert recipes == [
        {
            "_type": "glue_skybkg.session.ProductRecipe",
            "path": None,
            "provenance": {
                "source": source,
                "dataset_type": "calexpBackground",
                "data_id": {"visit": 512055, "detector": 75},
                "uri": None,
            },
        }
    ]
    assert str(glue_products["root"]) + "/" not in session.read_text()  # no file of this machine
    logs = [r for r in record.values() if r.get("_type", "").endswith("LoadLog")]
    assert logs[0]["factory"]["function"] == "glue_skybkg.loaders.load_from_source"

    report, arrays = _restore_elsewhere(session, tmp_path)
    # no viewer shows them: restoring the session rendered nothing
    assert report["lazy"] == {
        "calexp_512055_75/background": True,
        "calexp_512055_75/image + background": True,
    }
    np.testing.assert_array_equal(arrays["calexp_512055_75/image"], glue_products["calexp_image"])
    np.testing.assert_array_equal(
        arrays["calexp_512055_75/image + background"],
        glue_products["calexp_image"] + glue_products["background"],
    )


def test_in_memory_background_cannot_be_saved_silently(glue_app, glue_products, tmp_path):
    calexp = glue_app.load_data(str(glue_products["paths"]["calexp"]))
    model = read_background(glue_products["paths"]["calexpBackground"])
    actions.attach_background(calexp, dataclasses.replace(model, provenance=None))
    np.testing.assert_array_equal(calexp["background"], glue_products["background"])
    with pytest.raises(SkybkgError, match="built in memory"):
        GlueSerializer(glue_app, absolute_paths=False).dumps()


def test_a_remembered_token_goes_to_tap_sources_only(monkeypatch):
    from glue_skybkg import session as session_module
    from glue_skybkg.tokens import remember_token

    calls = []
    monkeypatch.setattr(
        session_module, "open_source", lambda spec, **options: calls.append((spec, options))
    )
    url, folder = "https://data.example.org/api/tap", "/data/products"
    remember_token(url, "tok-123")
    remember_token(folder, "tok-123")
    try:
        session_module.open_recorded_source(url)
        session_module.open_recorded_source(folder)
    finally:
        remember_token(url, None)
        remember_token(folder, None)
    assert calls == [(url, {"token": "tok-123"}), (folder, {})]


def test_differences_both_ways_restore(glue_products):
    """A - B and B - A reference each other's Data: glue must not see a circular reference."""
    from glue.core import DataCollection
    from glue.core.data_factories import load_data
    from glue.core.state import GlueUnSerializer

    coadd, coadd_calexp = (
        load_data(str(glue_products["paths"][name])) for name in ("deepCoadd", "deepCoadd_calexp")
    )
    dc = DataCollection([coadd, coadd_calexp])
    forward = actions.difference(coadd, coadd_calexp, dc)
    backward = actions.difference(coadd_calexp, coadd, dc)
    restored = GlueUnSerializer.loads(GlueSerializer(dc).dumps()).object("__main__")
    a, b = restored
    truth = glue_products["coadd_image"].astype(np.float64) - glue_products["coadd_calexp_image"]
    np.testing.assert_array_equal(a[forward.label], truth)
    np.testing.assert_array_equal(b[backward.label], -truth)


def test_a_session_saved_before_images_had_units_restores(qapp, two_detectors, tmp_path):
    """Layers saved with an empty display unit restore once the image has one (``ct``)."""
    from glue_qt.app import GlueApplication

    app = GlueApplication()
    try:
        calexp = app.load_data(str(two_detectors["calexp"][75]))
        calexp.get_component(calexp.id["image"]).units = ""  # as older versions loaded it
        show_component(app, calexp, "image")
        session = tmp_path / "unitless.glu"
        app.save_session(str(session), absolute_paths=False)
    finally:
        app.close()
    assert '"attribute_display_unit": "st__"' in session.read_text()
    restored = GlueApplication.restore_session(str(session), show=False)
    try:
        (viewer,) = restored.viewers[0]
        layer = viewer.state.layers[0]
        assert (layer.attribute.label, layer.attribute_display_unit) == ("image", "ct")
    finally:
        restored.close()
