"""The *Re-estimate background…* form: the estimator's settings, the pipeline's by default."""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from skybkg_adapters import IGNORED_PLANES, INTERP_STYLES, STATISTICS, UNDERSAMPLE_STYLES

__all__ = ["EstimateDialog"]

_INTERP_NAMES = ("akima_spline", "natural_spline", "cubic_spline", "linear", "constant")


class EstimateDialog(QDialog):
    """Settings of :func:`skybkg_adapters.estimate_background` for one image.

    Parameters
    ----------
    settings
        The initial values (e.g. :func:`glue_skybkg.inspection.pipeline_settings`).
    mask_planes
        The image's mask planes: each gets a checkbox, ticked when in ``ignored_planes``.
    """

    def __init__(
        self,
        settings: dict[str, Any],
        mask_planes: list[str],
        title: str = "Re-estimate background",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        self.bin_size = QSpinBox()
        self.bin_size.setRange(4, 65536)
        self.bin_size.setValue(int(settings.get("bin_size", 128)))
        self.bin_size.setSuffix(" px")
        self.statistic = QComboBox()
        self.statistic.addItems(list(STATISTICS))
        self.statistic.setCurrentText(settings.get("statistic", "meanclip"))
        ignored = set(settings.get("ignored_planes", IGNORED_PLANES))
        self.planes = {name: QCheckBox(name) for name in mask_planes}
        planes = QGridLayout()
        for k, (name, box) in enumerate(self.planes.items()):
            box.setChecked(name in ignored)
            planes.addWidget(box, k // 3, k % 3)
        self.interp = QComboBox()
        self.interp.addItems([name for name in _INTERP_NAMES if name in INTERP_STYLES])
        self.interp.setCurrentText(str(settings.get("interp", "akima_spline")))
        self.chebyshev = QCheckBox("Chebyshev approximation of order")
        self.order = QSpinBox()
        self.order.setRange(0, 20)
        order = settings.get("approx_order")
        self.chebyshev.setChecked(order is not None)
        self.order.setValue(1 if order is None else int(order))
        self.order.setEnabled(order is not None)
        self.chebyshev.toggled.connect(self.order.setEnabled)
        self.undersample = QComboBox()
        self.undersample.addItems(list(UNDERSAMPLE_STYLES))
        self.undersample.setCurrentText(settings.get("undersample", "reduce"))

        form = QFormLayout()
        form.addRow("Bin size", self.bin_size)
        form.addRow("Statistic", self.statistic)
        form.addRow("Ignore mask planes", planes)
        form.addRow("Interpolation", self.interp)
        form.addRow(self.chebyshev, self.order)
        form.addRow("Too few bins", self.undersample)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        ok = buttons.button(QDialogButtonBox.Ok)
        if ok is not None:
            ok.setText("Re-estimate")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def settings(self) -> dict[str, Any]:
        """The chosen settings as :func:`skybkg_adapters.estimate_background` keywords."""
        return {
            "bin_size": self.bin_size.value(),
            "statistic": self.statistic.currentText(),
            "ignored_planes": [name for name, box in self.planes.items() if box.isChecked()],
            "interp": self.interp.currentText(),
            "approx_order": self.order.value() if self.chebyshev.isChecked() else None,
            "undersample": self.undersample.currentText(),
        }
