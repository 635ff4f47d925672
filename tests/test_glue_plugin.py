"""The glue plugin registers itself once, loads afw files through its factories, stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from glue.config import data_factory
from glue.core.data_factories import find_factory, load_data
from glue.main import list_loaded_plugins, load_plugins

import glue_skybkg
from glue_skybkg import loaders


def test_plugin_is_loaded_by_glue():
    load_plugins(require_qt_plugins=True)
    assert "glue_skybkg" in list_loaded_plugins()


def test_setup_is_idempotent():
    from glue_qt.config import layer_action, menubar_plugin
    from glue_qt.viewers.image import ImageViewer

    glue_skybkg.setup()
    counts = (
        len(data_factory.members),
        len(layer_action.members),
        len(menubar_plugin.members),
        list(ImageViewer.tools),
    )
    glue_skybkg.setup()
    glue_skybkg.setup()
    assert counts == (
        len(data_factory.members),
        len(layer_action.members),
        len(menubar_plugin.members),
        list(ImageViewer.tools),
    )
    for tool_id in ("skybkg:zscale", "skybkg:notebook", "skybkg:contours", "skybkg:overlay"):
        assert ImageViewer.tools.count(tool_id) == 1


def test_importing_the_package_loads_nothing_heavy():
    code = (
        "import sys, glue_skybkg; "
        "print(','.join(m for m in ('glue', 'glue_qt', 'PyQt5', 'numba', 'astropy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_factories_outrank_glue_fits_reader(glue_products):
    glue_skybkg.setup()
    ours = {
        f.function: f.priority
        for f in data_factory.members
        if f.function in (loaders.read_afw_exposure, loaders.read_afw_background)
    }
    assert ours == {loaders.read_afw_exposure: 150, loaders.read_afw_background: 150}
    paths = glue_products["paths"]
    assert find_factory(str(paths["calexp"])) is loaders.read_afw_exposure
    assert find_factory(str(paths["calexpBackground"])) is loaders.read_afw_background


def test_real_afw_files_are_exposures_plain_fits_is_not(realdata):
    assert loaders.is_afw_exposure(str(realdata / "afw__HSC-0908120-056-small.fits"))
    assert loaders.is_afw_exposure(str(realdata / "obs_base__calexp.fits"))
    # a bare float32 image written by afw's tests: no mask plane, left to glue's FITS reader
    assert not loaders.is_afw_exposure(str(realdata / "afw__ticketdm26260.fits"))
    assert not loaders.is_afw_background(str(realdata / "obs_base__calexp.fits"))
    assert not loaders.is_afw_exposure("notes.txt")


def test_exposure_becomes_one_data_with_planes_wcs_and_meta(realdata):
    from skybkg_adapters.lsst_fits import read_exposure

    path = str(realdata / "afw__HSC-0908120-056-small.fits")
    data = load_data(path)
    truth = read_exposure(path)
    assert [c.label for c in data.main_components] == ["image", "mask", "variance"]
    np.testing.assert_array_equal(data["image"], truth.image)
    np.testing.assert_array_equal(data["mask"], truth.mask)
    np.testing.assert_array_equal(data["variance"], truth.variance)
    assert data.meta["xy0"] == [100, 100]
    assert data.meta["bbox"] == [100, 100, 200, 200]
    assert data.meta["mask_planes"]["DETECTED"] == 5
    assert data.meta["provenance"] is None  # a plain file: glue's LoadLog records the path
    assert data.coords.wcs.ctype[0] == "RA---TAN-SIP"
    ra = data[data.world_component_ids[1]]
    ra_truth = truth.wcs.pixel_to_world_values(7, 3)[0]
    assert ra[3, 7] == pytest.approx(ra_truth, abs=1e-10)


def test_background_file_alone_opens_as_its_own_data(glue_products):
    data = load_data(str(glue_products["paths"]["calexpBackground"]))
    assert data.label == "calexpBackground_512055_75"
    assert data.meta["skybkg_kind"] == "background"
    assert data.meta["bbox"] == [1000, 2000, 200, 150]
    np.testing.assert_array_equal(data["background"], glue_products["background"])


_AUTOLINK_SCRIPT = """
import json, sys
from glue.config import settings
from glue.main import load_plugins
if sys.argv[2] == "chosen-in-process":
    settings.AUTOLINK = {"Astronomy WCS": "always_ignore"}
load_plugins(require_qt_plugins=False)
print(json.dumps(settings.AUTOLINK.get("Astronomy WCS")))
"""


@pytest.mark.parametrize(
    ("saved", "case", "expected"),
    [
        (None, "fresh", "always_accept"),
        ('{"Astronomy WCS": "always_show"}', "fresh", "always_show"),
        ("{}", "fresh", "always_accept"),  # glue's own saved default is not a choice
        ('{"Other linker": "always_show"}', "fresh", "always_accept"),
        (None, "chosen-in-process", "always_ignore"),
    ],
)
def test_the_users_autolink_choice_wins(tmp_path, saved, case, expected):
    # glue reads ~/.glue/settings.cfg when it is imported: a home of the test's own
    (tmp_path / ".glue").mkdir()
    if saved is not None:
        (tmp_path / ".glue" / "settings.cfg").write_text(f"[main]\nautolink = {saved}\n")
    done = subprocess.run(
        [sys.executable, "-c", _AUTOLINK_SCRIPT, "unused", case],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.stdout.strip().splitlines()[-1] == json.dumps(expected)
