"""The notebook's histogram as a bqplot figure: 1000 bins, log counts, grey, filled."""

from __future__ import annotations

import bqplot
import ipywidgets as widgets
import numpy as np

__all__ = ["HistogramFigure"]

_EMPTY_BIN = 0.5
"""Where an empty bin is drawn on the log axis (below one pixel)."""


class HistogramFigure:
    """``plt.hist(values, bins=1000, log=True, color='grey')`` drawn as filled stairs.

    ``widget`` holds the figure (``figure``) once :meth:`show` has drawn counts over bin edges.
    """

    def __init__(self, width: str = "480px", height: str = "300px") -> None:
        self._x = bqplot.LinearScale()
        self._y = bqplot.LogScale()
        # a degenerate domain breaks bqplot's axes: start from one flat unit bin
        self.stairs = bqplot.Lines(
            x=np.array([0.0, 1.0]),
            y=np.array([1.0, 1.0]),
            scales={"x": self._x, "y": self._y},
            colors=["grey"],
            fill="bottom",
            fill_colors=["grey"],
            fill_opacities=[0.8],
            stroke_width=1,
        )
        # explicit tick formats: bqplot's default one shows as ".undefinedg" in JupyterLab
        x_axis = bqplot.Axis(scale=self._x, label="pixel value", tick_format=".5g", num_ticks=4)
        y_axis = bqplot.Axis(
            scale=self._y, orientation="vertical", label="pixels per bin", tick_format=".0e"
        )
        self.figure = bqplot.Figure(
            marks=[self.stairs],
            axes=[x_axis, y_axis],
            title="",
            fig_margin={"top": 30, "bottom": 45, "left": 60, "right": 10},
            layout=widgets.Layout(width=width, height=height),
        )
        self.figure.add_class("skybkg-histogram")
        self.widget = widgets.Box([])

    def clear(self) -> None:
        """Take the figure out of the page until the next :meth:`show`.

        An empty histogram says nothing, and bqplot cannot lay out a hidden figure.
        """
        self.widget.children = ()

    def show(self, counts: np.ndarray, edges: np.ndarray, title: str) -> None:
        """Draw ``counts`` (one per bin) over ``edges`` (one more), with a title."""
        y = np.repeat(np.where(counts > 0, counts, _EMPTY_BIN).astype(float), 2)
        x = np.column_stack([edges[:-1], edges[1:]]).ravel()
        with self.stairs.hold_sync():
            self.stairs.x = x
            self.stairs.y = y
        self._y.min = _EMPTY_BIN
        self._y.max = float(max(counts.max(initial=0), 1)) * 2
        self.figure.title = title
        self.widget.children = (self.figure,)
