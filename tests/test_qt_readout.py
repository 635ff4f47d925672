"""The pixel readout in the image viewer's status bar: values with units and the bin."""

from __future__ import annotations

import numpy as np
from matplotlib.backend_bases import MouseEvent

from glue_skybkg import actions
from glue_skybkg.qt import readout
from glue_skybkg.qt.display import show_component
from skybkg_adapters.lsst_fits import read_exposure


def _viewer(app, two_detectors):
    app.load_data([str(two_detectors["calexp"][75]), str(two_detectors["calexpBackground"][75])])
    (calexp,) = app.data_collection
    actions.restore_background(calexp)
    viewer = show_component(app, calexp, "image")
    viewer.axes.figure.canvas.draw()  # WCSAxes hit-testing needs one draw first
    return calexp, viewer


def _move_to(viewer, x, y):
    canvas = viewer.axes.figure.canvas
    px, py = viewer.axes.transData.transform((x, y))
    canvas.callbacks.process(
        "motion_notify_event", MouseEvent("motion_notify_event", canvas, px, py)
    )


class _Shown:
    """What the readout's label shows, with its no-break spaces as plain ones."""

    def __init__(self, label):
        self.label = label

    def text(self):
        return self.label.text().replace(readout.NO_BREAK, " ")

    def parent(self):
        return self.label.parent()


def test_the_status_bar_reads_out_image_background_and_restored_values(glue_app, two_detectors):
    calexp, viewer = _viewer(glue_app, two_detectors)
    label = _Shown(viewer.toolbar.tools["skybkg:readout"].readout.label)
    assert label.parent() is viewer.statusBar()
    _move_to(viewer, 40.2, 29.8)  # the pixel whose centre is (40, 30)
    image = read_exposure(two_detectors["calexp"][75]).image
    value = float(image[30, 40])
    background = float(np.float32(2900.8))
    assert label.text() == (
        "x=40 y=30 (parent 1040, 2030)   "
        f"image {value:.6g} ct   background {background:.6g} ct   "
        f"image + background {float(np.float32(value) + np.float32(2900.8)):.6g} ct   "
        "bin (i 0, j 0) of 2x2: 2900.8 ct"
    )
    # 2x2 bins tile the 200x150 image evenly (afw's split): 100 columns, 75 rows each
    _move_to(viewer, 99, 74)
    assert label.text().endswith("bin (i 0, j 0) of 2x2: 2900.8 ct")
    _move_to(viewer, 100, 75)
    assert label.text().endswith("bin (i 1, j 1) of 2x2: 2900.8 ct")
    _move_to(viewer, -5, 10)  # off the image: nothing to read
    assert label.text() == ""


def test_a_field_is_one_provider_more(glue_app, two_detectors):
    _, viewer = _viewer(glue_app, two_detectors)
    tool = viewer.toolbar.tools["skybkg:readout"]

    def parity(pixel):
        return "even" if (pixel.x + pixel.y) % 2 == 0 else None

    readout.READOUT_PROVIDERS.append(parity)
    try:
        assert tool.readout.text_at(10, 20).endswith("   even")
        assert not tool.readout.text_at(10, 21).endswith("even")
    finally:
        readout.READOUT_PROVIDERS.remove(parity)


def test_the_readout_button_switches_it_off_and_on(glue_app, two_detectors):
    _, viewer = _viewer(glue_app, two_detectors)
    tool = viewer.toolbar.tools["skybkg:readout"]
    tool.activate()
    _move_to(viewer, 40, 30)
    assert tool.readout.label.text() == ""
    tool.activate()
    _move_to(viewer, 40, 30)
    assert tool.readout.label.text().replace(readout.NO_BREAK, " ").startswith("x=40 y=30")


def test_an_image_without_a_background_model_reads_out_no_bin(glue_app, two_detectors):
    glue_app.load_data(str(two_detectors["calexp"][74]))
    (calexp,) = glue_app.data_collection
    viewer = show_component(glue_app, calexp, "image")
    viewer.axes.figure.canvas.draw()
    text = viewer.toolbar.tools["skybkg:readout"].readout.text_at(10, 20)
    assert text.startswith("x=10 y=20 (parent 1010, 2020)   image ")
    assert "bin" not in text
    assert "background" not in text


def test_every_field_is_in_view_in_a_default_viewer(glue_app, two_detectors):
    """Found in a real X window: in a 600-pixel viewer the one-line readout was cut after
    ``background 2898.1`` (mid-number), so the restored value and the bin never showed.
    """
    _, viewer = _viewer(glue_app, two_detectors)
    glue_app.show()
    viewer.viewer_size = (600, 400)
    label = viewer.toolbar.tools["skybkg:readout"].readout.label
    _move_to(viewer, 40, 30)
    from qtpy.QtWidgets import QApplication

    QApplication.processEvents()  # lay the status bar out
    text = label.text()
    fields = text.split(readout.READOUT_SEPARATOR)
    assert [f.split(readout.NO_BREAK)[0] for f in fields] == [
        "x=40",
        "image",
        "background",
        "image",
        "bin",
    ]
    assert all(" " not in field for field in fields)  # lines break between fields only
    assert label.wordWrap()
    assert 0 < label.width() <= 600
    assert label.heightForWidth(label.width()) <= label.height()  # every line in view
    assert label.toolTip() == text.replace(readout.NO_BREAK, " ")
