"""Backgrounds opened in glue: attached only where the evidence agrees, told in the status bar.

Issue 10, items 1 and 9: another detector's background never attaches to an open calexp; a
background nothing pairs stays a dataset of its own, the status bar (and a non-modal note)
says why, right-click ▸ Attach background… pairs it by hand; an attached one is announced
with a button that shows it.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from _sample_set import shared_sample
from conftest import DETECTOR_LEVELS
from qtpy.QtWidgets import QMessageBox, QPushButton

from glue_skybkg.qt import layer_actions
from glue_skybkg.qt.chooser import DataChooser
from skybkg_adapters.lsst_fits import read_background


def _trigger(app, layer, label):
    widget = app._layer_widget
    widget.ui.layerTree.set_selected_layers([layer])
    action = widget._actions[label]
    assert action.isVisible()
    action.trigger()


def _by_label(app):
    return {d.label: d for d in app.data_collection}


def _status(app):
    return app.statusBar().currentMessage()


def _show_button(app):
    return app.findChild(QPushButton, "skybkg_show_background")


@pytest.mark.parametrize("first", ["calexp", "calexpBackground"])
def test_open_data_does_not_give_calexp_75_the_background_of_74(glue_app, two_detectors, first):
    order = [two_detectors["calexp"][75], two_detectors["calexpBackground"][74]]
    for path in order if first == "calexp" else order[::-1]:
        glue_app.load_data(str(path))  # one File ▸ Open Data each
    data = _by_label(glue_app)
    assert sorted(data) == ["calexpBackground_512055_74", "calexp_512055_75"]
    assert "background" not in [c.label for c in data["calexp_512055_75"].components]
    assert "calexpBackground_512055_74 is open on its own" in _status(glue_app)
    assert "detector=75 vs detector=74" in _status(glue_app)
    # the evidence refuses this pair: no advice to pair it by hand (a real-window find)
    assert "Attach background…" not in _status(glue_app)
    assert _status(glue_app).endswith(
        "It attaches when its own image is opened (File ▸ Open Data)."
    )

    glue_app.load_data(str(two_detectors["calexpBackground"][75]))
    calexp = _by_label(glue_app)["calexp_512055_75"]
    np.testing.assert_array_equal(calexp["background"], np.float32(DETECTOR_LEVELS[75]))
    assert "calexpBackground_512055_74" in _by_label(glue_app)  # still on its own
    assert _status(glue_app) == (
        "Attached calexpBackground_512055_75 to calexp_512055_75 "
        "(same data id visit=512055, detector=75)."
    )


def test_the_attached_background_is_announced_with_a_show_button(
    glue_app, two_detectors, reported_errors
):
    glue_app.load_data(
        [str(two_detectors["calexpBackground"][75]), str(two_detectors["calexp"][75])]
    )
    button = _show_button(glue_app)
    assert button.isVisibleTo(glue_app)
    assert button.text() == "Show background"
    before = [v for tab in glue_app.viewers for v in tab]
    button.click()
    (viewer,) = [v for tab in glue_app.viewers for v in tab if v not in before]
    assert (viewer.state.layers[0].attribute.label, viewer.state.layers[0].layer.label) == (
        "background",
        "calexp_512055_75",
    )
    assert not button.isVisibleTo(glue_app)
    assert reported_errors == []


def test_the_show_button_goes_once_the_menu_has_shown_the_background(
    glue_app, two_detectors, reported_errors
):
    """Found in a real window: the button stayed after right-click ▸ Show background."""
    glue_app.load_data(
        [str(two_detectors["calexp"][74]), str(two_detectors["calexpBackground"][74])]
    )
    button = _show_button(glue_app)
    assert button.isVisibleTo(glue_app)
    _trigger(glue_app, _by_label(glue_app)["calexp_512055_74"], layer_actions.SHOW_BACKGROUND)
    assert not button.isVisibleTo(glue_app)
    assert reported_errors == []


def test_the_sample_detectors_keep_their_own_backgrounds(glue_app, tmp_path_factory):
    sample = shared_sample(tmp_path_factory)

    def path(kind, detector):
        return str(sample.path(kind, {"visit": 512055, "detector": detector}))

    glue_app.load_data(path("calexp", 75))
    glue_app.load_data(path("calexpBackground", 74))
    calexp = _by_label(glue_app)["calexp_512055_75"]
    assert "background" not in [c.label for c in calexp.components]
    glue_app.load_data(path("calexpBackground", 75))
    mean75 = float(np.mean(read_background(path("calexpBackground", 75)).render(), dtype=float))
    mean74 = float(np.mean(read_background(path("calexpBackground", 74)).render(), dtype=float))
    assert float(np.mean(calexp["background"], dtype=float)) == pytest.approx(mean75, rel=1e-9)
    assert abs(mean74 - mean75) > 100  # the two would be told apart in the statistics


def _anonymous(glue_products, tmp_path):
    """A calexp and its background under names (and headers) that tell nothing."""
    shutil.copy(glue_products["paths"]["calexp"], tmp_path / "image.fits")
    shutil.copy(glue_products["paths"]["calexpBackground"], tmp_path / "sky.fits")
    return tmp_path / "image.fits", tmp_path / "sky.fits"


def test_an_undecided_background_is_explained_and_attached_by_hand(
    glue_app, glue_products, tmp_path, reported_errors
):
    image_path, sky_path = _anonymous(glue_products, tmp_path)
    glue_app.load_data(str(image_path))
    glue_app.load_data(str(sky_path))
    image, sky = _by_label(glue_app)["image"], _by_label(glue_app)["sky"]
    assert "sky is open on its own: nothing tells which image" in _status(glue_app)
    (note,) = [
        b for b in glue_app.findChildren(QMessageBox) if b.objectName() == "skybkg_not_attached"
    ]
    assert not note.isModal()
    assert "Attach background…" in note.text()
    note.close()

    _trigger(glue_app, image, layer_actions.ATTACH)
    (chooser,) = glue_app.findChildren(DataChooser)
    assert chooser.candidates == [sky]
    assert not chooser.isModal()
    assert "no data id is known for both" in chooser.list.item(0).toolTip()
    chooser.choose(sky)
    chooser.accept()
    np.testing.assert_array_equal(image["background"], glue_products["background"])
    assert list(_by_label(glue_app)) == ["image"]  # the background became a component
    assert _status(glue_app) == "Attached sky to image (chosen by hand)."
    assert reported_errors == []


def test_attach_from_the_background_side(glue_app, glue_products, tmp_path):
    image_path, sky_path = _anonymous(glue_products, tmp_path)
    glue_app.load_data([str(image_path), str(sky_path)])
    sky = _by_label(glue_app)["sky"]
    _trigger(glue_app, sky, layer_actions.ATTACH)
    (chooser,) = glue_app.findChildren(DataChooser)
    assert [d.label for d in chooser.candidates] == ["image"]
    chooser.accept()
    np.testing.assert_array_equal(
        _by_label(glue_app)["image"]["background"], glue_products["background"]
    )


def test_attach_refuses_what_the_evidence_refuses(glue_app, two_detectors, reported_errors):
    glue_app.load_data(
        [str(two_detectors["calexp"][75]), str(two_detectors["calexpBackground"][74])]
    )
    _trigger(glue_app, _by_label(glue_app)["calexp_512055_75"], layer_actions.ATTACH)
    assert reported_errors[-1][0] == layer_actions.ATTACH
    message = reported_errors[-1][1]
    assert message.startswith(
        "no open background can be calexp_512055_75's (calexpBackground_512055_74 is not: "
    )
    assert "detector=75 vs detector=74" in message
    assert "''" not in message
    assert glue_app.findChildren(DataChooser) == []
