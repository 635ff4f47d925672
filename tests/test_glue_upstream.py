"""glue's own image-viewer tests still pass with this plugin loaded (tools added to the viewer)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

# pytest.main in a fresh interpreter (glue's conftest loads every plugin, ours included), then
# proof that ours was loaded and its tools were on the viewers those tests built.
SCRIPT = textwrap.dedent("""
    import sys, pytest
    code = pytest.main(["--pyargs", "glue_qt.viewers.image.tests.test_data_viewer", "-q",
                        "-p", "no:cacheprovider", "-k", sys.argv[1]])
    from glue.main import list_loaded_plugins
    from glue_qt.viewers.image import ImageViewer
    print("LOADED", "glue_skybkg" in list_loaded_plugins(), "skybkg:zscale" in ImageViewer.tools)
    sys.exit(int(code))
""")

SELECTION = "TestSessions or session_round_trip or change_reference_data or aspect_resize"


def test_glue_image_viewer_tests_pass_with_the_plugin(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, SELECTION],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "LOADED True True" in run.stdout
    assert " passed" in run.stdout
    assert " failed" not in run.stdout
