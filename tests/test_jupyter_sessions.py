"""Sessions across glue's front ends: a notebook's .glu in glue-qt and a glue-qt .glu in a notebook.

Same recipes, same pixels: every derived component restored on the other side equals the
one computed where the session was saved.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _sample_set import shared_sample
from glue_jupyter.app import JupyterApplication

import glue_skybkg.jupyter as skyj
from glue_skybkg import frontends
from glue_skybkg.fetching import PRODUCT_KINDS, load_products
from glue_skybkg.gluedata import BACKGROUND, RESTORED, derived_link
from glue_skybkg.jupyter import report_size

ROOT = Path(__file__).resolve().parents[1]
VISIT_ID = {"visit": 512055, "detector": 75}
COADD_ID = {"tract": 4226, "patch": 17, "band": "r"}
NPY_BASE64 = "k05VTVBZ"  # base64 of b"\x93NUMPY": an embedded array in a .glu

# A fresh interpreter opening the session as `glue session.glu` does (glue-qt's restore).
QT_RESTORE = textwrap.dedent("""
    import json, os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import numpy as np
    from glue.main import load_plugins
    from glue_qt.app import GlueApplication
    from glue_qt.utils import get_qapp

    get_qapp()
    load_plugins(require_qt_plugins=True)
    app = GlueApplication.restore_session(sys.argv[1], show=False)
    arrays = {f"{d.label}|{c.label}": np.asarray(d[c]) for d in app.data_collection
              for c in d.derived_components if "Pixel" not in c.label}
    np.savez(sys.argv[2], **arrays)
    print(json.dumps({"type": type(app).__name__, "tabs": len(app.viewers)}))
    app.close()
""")

# A kernel that has Qt installed but runs no Qt application: glue-core's own restore.
KERNEL_RESTORE = textwrap.dedent("""
    import sys
    from glue.core.application_base import Application
    from glue.main import load_plugins

    load_plugins()
    print(type(Application.restore_session(sys.argv[1])).__name__)
""")


def _derived_arrays(collection) -> dict[str, np.ndarray]:
    return {
        f"{d.label}|{c.label}": np.asarray(d[c])
        for d in collection
        for c in d.derived_components
        if "Pixel" not in c.label
    }


@pytest.fixture
def notebook_session(glue_products, tmp_path):
    """A session saved in a notebook: calexp restored, the two coadds differenced."""
    root = str(glue_products["root"])
    app = skyj.open(root, "calexp", VISIT_ID, show=False)
    skyj.panel(app).restore_button.click()
    coadd = skyj.panel(skyj.open(root, "deepCoadd", COADD_ID, app=app, show=False))
    coadd.compare_button.click()  # the difference and its residual
    assert coadd.error is None
    path = tmp_path / "notebook.glu"
    app.save_session(str(path), absolute_paths=False)
    return path, app


def test_a_notebook_session_is_small_and_names_glue_jupyter(notebook_session):
    path, _ = notebook_session
    text = path.read_text()
    assert json.loads(text)["__main__"]["_type"] == frontends.JUPYTER_APPLICATION
    assert NPY_BASE64 not in text
    assert len(text) < 60_000


def test_a_notebook_session_opens_in_glue_qt_with_the_same_pixels(notebook_session, tmp_path):
    path, app = notebook_session
    out = tmp_path / "arrays.npz"
    done = subprocess.run(
        [sys.executable, "-c", QT_RESTORE, str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "type": "GlueApplication",
        "tabs": 1,
    }
    restored = dict(np.load(out))
    expected = _derived_arrays(app.data_collection)
    assert sorted(restored) == sorted(expected)
    assert {
        "calexp_512055_75|background",
        "calexp_512055_75|image + background",
        "deepCoadd_4226_17_r|image - deepCoadd_calexp_4226_17_r",
        "deepCoadd_4226_17_r|image - deepCoadd_calexp_4226_17_r - background",
    } <= set(expected)
    for key, array in expected.items():
        np.testing.assert_array_equal(restored[key], array, err_msg=key)


def test_a_kernel_with_qt_installed_keeps_notebook_sessions(notebook_session):
    path, _ = notebook_session
    done = subprocess.run(
        [sys.executable, "-c", KERNEL_RESTORE, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "JupyterApplication"


def test_a_glue_qt_session_opens_in_the_notebook_with_its_viewers(
    glue_app, glue_products, tmp_path
):
    from glue_skybkg import actions
    from glue_skybkg.qt.display import show_component

    datasets = load_products(str(glue_products["root"]), PRODUCT_KINDS["visit"], VISIT_ID)
    glue_app.add_datasets(datasets)  # the background attaches to the calexp
    (calexp,) = glue_app.data_collection
    actions.restore_background(calexp)
    viewers = [
        show_component(glue_app, calexp, label, preset)
        for label, preset in (("image", "notebook"), (BACKGROUND, "linear"), (RESTORED, "notebook"))
    ]
    path = tmp_path / "qt.glu"
    glue_app.save_session(str(path), absolute_paths=False)
    assert json.loads(path.read_text())["__main__"]["_type"] == frontends.QT_APPLICATION

    app = skyj.restore_session(path, show=False)
    assert isinstance(app, JupyterApplication)
    (data,) = app.data_collection
    np.testing.assert_array_equal(data[RESTORED], calexp[RESTORED])
    assert derived_link(data, BACKGROUND).recipe == derived_link(calexp, BACKGROUND).recipe

    def shown(viewer):
        layer = viewer.state.layers[0]
        return (layer.layer.label, layer.attribute.label, layer.stretch, layer.v_min, layer.v_max)

    assert [shown(v) for v in app.skybkg_panels] == [shown(v) for v in viewers]
    for viewer in app.skybkg_panels:
        assert viewer.state.aspect == "equal"
        assert report_size(viewer)[..., :3].std() > 0.05


def test_the_example_session_opens_in_the_notebook(tmp_path_factory, monkeypatch):
    sample = shared_sample(tmp_path_factory)
    monkeypatch.setenv("SKYBKG_SAMPLE_DIR", str(sample.root))
    app = skyj.restore_session(ROOT / "example_sessions" / "calexp_background.glu", show=False)
    shown = [
        (v.state.layers[0].attribute.label, v.state.layers[0].stretch) for v in app.skybkg_panels
    ]
    assert shown == [("image", "arcsinh"), (BACKGROUND, "linear"), (RESTORED, "arcsinh")]
    for viewer in app.skybkg_panels:
        assert report_size(viewer)[..., :3].std() > 0.05


def test_only_a_notebook_session_is_rewritten_for_glue_qt():
    rec = {"__main__": {"_type": frontends.QT_APPLICATION, "viewers": [["v"]]}}
    assert not frontends.as_qt_session(rec)
    assert rec["__main__"]["viewers"] == [["v"]]
    rec = {"__main__": {"_type": frontends.JUPYTER_APPLICATION, "data": "DataCollection"}}
    assert frontends.as_qt_session(rec)
    assert rec["__main__"] == {
        "_type": frontends.QT_APPLICATION,
        "data": "DataCollection",
        "viewers": [[]],
        "tab_names": ["Tab 1"],
    }
    assert frontends.image_viewer_records(rec) == []
