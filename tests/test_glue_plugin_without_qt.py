"""The plugin in a kernel without Qt: both installs, each in a fresh interpreter.

* ``pip install 'glue-skybkg[jupyter]'`` on a machine that has glue-qt but no Qt binding (a
  ``sys.meta_path`` blocker hides PyQt5/PyQt6/PySide2/PySide6), and without glue-qt at all;
* ``pip install 'glue-skybkg[qt]'``: the binding is there and the Qt parts register.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import textwrap

import pytest

BINDINGS = ("PyQt5", "PyQt6", "PySide2", "PySide6")

HIDE = textwrap.dedent("""
    import importlib.abc, sys

    BINDINGS = {bindings!r}
    UNINSTALLED = {uninstalled!r}

    class HideQtBindings(importlib.abc.MetaPathFinder):
        # as on a machine where no binding was installed: every import of one fails
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BINDINGS:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, HideQtBindings())
    for name in UNINSTALLED:
        sys.modules[name] = None  # what an absent package looks like to find_spec and import
""")

KERNEL = textwrap.dedent("""
    import json, os, sys
    from glue.main import list_loaded_plugins, load_plugins

    import glue_skybkg
    from glue_skybkg import qt

    load_plugins()
    loaded = "glue_skybkg" in list_loaded_plugins()
    calls = []
    real_setup = glue_skybkg.setup
    glue_skybkg.setup = lambda: calls.append(1) or real_setup()
    load_plugins()  # a second load (every JupyterApplication does one) does not set up again

    import glue_skybkg.jupyter as skyj
    app = skyj.open(*sys.argv[1:], show=False)
    rgba = skyj.report_size(skyj.panel(app).viewer)
    print(json.dumps({
        "loaded": loaded,
        "qt_available": qt.available(),
        "setup_again": len(calls),
        "drawn": float(rgba[..., :3].std()),
        "qt_modules": sorted(m for m in sys.modules if m.split(".")[0] in
                             ("PyQt5", "PyQt6", "PySide2", "PySide6", "qtpy")
                             and sys.modules[m] is not None),
    }))
""")

DESKTOP = textwrap.dedent("""
    import json, os
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from glue.main import list_loaded_plugins, load_plugins
    from glue_qt.config import layer_action

    load_plugins(require_qt_plugins=True)
    labels = [action.label for action in layer_action.members]
    print(json.dumps({"loaded": "glue_skybkg" in list_loaded_plugins(), "layer_actions": labels}))
""")


def _run(code: str, *args: str, tmp_path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "uninstalled",
    [(), ("glue_qt", "qtpy")],
    ids=["glue-qt-without-a-binding", "no-glue-qt"],
)
def test_a_kernel_without_qt_loads_the_plugin_and_draws(glue_products, tmp_path, uninstalled):
    paths = glue_products["paths"]
    code = HIDE.format(bindings=BINDINGS, uninstalled=uninstalled) + KERNEL
    result = _run(code, str(paths["calexp"]), str(paths["calexpBackground"]), tmp_path=tmp_path)
    assert result["loaded"] is True
    assert result["qt_available"] is False
    assert result["setup_again"] == 0
    assert result["drawn"] > 0.05
    assert result["qt_modules"] == []


def test_with_a_qt_binding_the_qt_parts_register(tmp_path):
    result = _run(DESKTOP, tmp_path=tmp_path)
    assert result["loaded"] is True
    assert "Show background" in result["layer_actions"]
    assert "Background statistics" in result["layer_actions"]


def test_glue_qt_comes_only_with_the_qt_extra():
    requirements = importlib.metadata.requires("glue-skybkg") or []
    qt = [r for r in requirements if r.lower().startswith(("glue-qt", "glue_qt", "pyqt5"))]
    assert qt
    assert all('extra == "qt"' in r for r in qt), qt
    jupyter = [r for r in requirements if 'extra == "jupyter"' in r]
    assert any(r.startswith("glue-jupyter") for r in jupyter), requirements
