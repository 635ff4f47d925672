"""Figures and the HTML report of ``skybkg demo``: the seed notebook's plots, saved to files.

Images are shown as the notebook's ``afwDisplay`` shows them (asinh or linear stretch between
zscale limits), in parent pixel coordinates, block-averaged down to about a thousand pixels
a side so a 4k x 4k image renders in a fraction of a second. Matplotlib runs on the Agg
backend and is imported only here.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skybkg_adapters import atomic_output

from ..analysis import BackgroundStats, zscale_limits

__all__ = [
    "Panel",
    "Section",
    "downsample",
    "save_histogram",
    "save_image",
    "save_panels",
    "write_html",
]

# pixels a side shown: about what the saved figure can resolve, so nothing is wasted
_DISPLAY_PIXELS = 700


def downsample(array: np.ndarray, max_pixels: int = _DISPLAY_PIXELS) -> tuple[np.ndarray, int]:
    """Block means of ``array`` so neither side exceeds ``max_pixels``; also the block size.

    Edge rows and columns that do not fill a whole block are dropped (at most
    ``block - 1`` of them), which a display cannot show anyway.
    """
    block = max(1, int(np.ceil(max(array.shape) / max_pixels)))
    if block == 1:
        return np.asarray(array), 1
    ny, nx = array.shape[0] // block, array.shape[1] // block
    trimmed = np.asarray(array)[: ny * block, : nx * block]
    means = trimmed.reshape(ny, block, nx, block).mean(axis=(1, 3), dtype=np.float64)
    return means.astype(np.float32), block


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    """Write a figure as PNG, atomically (a reader never sees half a file)."""
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    _pyplot().close(fig)
    return path


def save_image(
    path: str | Path,
    array: np.ndarray,
    *,
    title: str,
    stretch: str = "asinh",
    xy0: tuple[int, int] = (0, 0),
    unit: Any = None,
    limits: tuple[float, float] | None = None,
) -> Path:
    """Save ``array`` as a PNG with zscale limits and an ``asinh`` or ``linear`` stretch.

    Parameters
    ----------
    path
        The PNG to write.
    array
        The full-resolution image; the zscale limits come from it, the display from a
        block-averaged copy.
    title
        Figure title.
    stretch
        ``"asinh"`` (the notebook's image display) or ``"linear"`` (its background display).
    xy0
        Parent-pixel origin, so the axes read in the same pixel frame as the notebook.
    unit
        Label of the colour bar.
    limits
        Display limits to use instead of zscale.
    """
    from astropy.visualization import AsinhStretch, ImageNormalize, LinearStretch

    plt = _pyplot()
    vmin, vmax = zscale_limits(array) if limits is None else limits
    if not vmax > vmin:
        # zscale collapses when most pixels are equal (a difference that is mostly 0):
        # use the full range, or for a constant image a small range around it
        vmin, vmax = float(np.nanmin(array)), float(np.nanmax(array))
    if not vmax > vmin:
        level = vmin if np.isfinite(vmin) else 0.0
        half = max(abs(level) * 1e-3, 1e-6)
        vmin, vmax = level - half, level + half
    norm = ImageNormalize(
        vmin=vmin, vmax=vmax, stretch=AsinhStretch() if stretch == "asinh" else LinearStretch()
    )
    shown, block = downsample(array)
    height, width = array.shape
    extent = (xy0[0] - 0.5, xy0[0] + width - 0.5, xy0[1] - 0.5, xy0[1] + height - 0.5)
    # a fixed layout: the constrained layout engine would cost more than the drawing
    fig = plt.figure(figsize=(5.6, 5.0))
    ax = fig.add_axes((0.14, 0.13, 0.66, 0.74))
    cax = fig.add_axes((0.83, 0.13, 0.035, 0.74))
    im = ax.imshow(
        shown, origin="lower", cmap="gray", norm=norm, extent=extent, interpolation="nearest"
    )
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("x [parent pixels]")
    ax.set_ylabel("y [parent pixels]")
    bar = fig.colorbar(im, cax=cax)
    # the unit below the bar: beside it, long tick labels would push it off the figure,
    # above it, it would collide with an offset such as "1e-6"
    bar.ax.set_xlabel(f"{unit}" if unit is not None else "value", fontsize=9)
    note = f"{stretch} stretch, limits [{vmin:.6g}, {vmax:.6g}]"
    if block > 1:
        note += f"; {block}x{block} block means"
    fig.text(0.02, 0.015, note, fontsize=7)
    return _save(fig, Path(path))


@dataclass(frozen=True)
class Panel:
    """One image of a :func:`save_panels` figure: pixels, title, stretch, colour-bar unit.

    ``xy0`` is the parent pixel of ``array[0, 0]`` (default: the figure's).
    """

    array: np.ndarray
    title: str
    stretch: str = "linear"
    unit: Any = None
    xy0: tuple[int, int] | None = None


def save_panels(
    path: str | Path, panels: Sequence[Panel], *, title: str, xy0: tuple[int, int] = (0, 0)
) -> Path:
    """Several images of one frame side by side in one PNG (zscale of each displayed image).

    One figure for several images costs one draw. A linear (background) panel takes its
    limits from block averages of about 150 pixels a side, which smooth backgrounds do not
    mind; an asinh (image) panel from the full-resolution image, as :func:`save_image`,
    since block averages would narrow the noise.
    """
    from astropy.visualization import AsinhStretch, ImageNormalize, LinearStretch

    plt = _pyplot()
    columns = min(len(panels), 3)
    rows = -(-len(panels) // columns)
    fig = plt.figure(figsize=(4.2 * columns, 3.9 * rows + 0.4))
    fig.suptitle(title, fontsize=11)
    for index, panel in enumerate(panels):
        shown, _ = downsample(panel.array)
        source = panel.array if panel.stretch == "asinh" else downsample(shown, 150)[0]
        vmin, vmax = zscale_limits(source)
        if not vmax > vmin:
            vmin, vmax = float(np.nanmin(shown)), float(np.nanmax(shown)) + 1e-6
        stretch = AsinhStretch() if panel.stretch == "asinh" else LinearStretch()
        height, width = panel.array.shape
        x0, y0 = panel.xy0 or xy0
        extent = (x0 - 0.5, x0 + width - 0.5, y0 - 0.5, y0 + height - 0.5)
        ax = fig.add_subplot(rows, columns, index + 1)
        im = ax.imshow(
            shown,
            origin="lower",
            cmap="gray",
            norm=ImageNormalize(vmin=vmin, vmax=vmax, stretch=stretch),
            extent=extent,
            interpolation="nearest",
        )
        ax.set_title(panel.title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.locator_params(nbins=4)  # tract coordinates have five digits: few ticks
        bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
        bar.ax.tick_params(labelsize=7)
        bar.ax.set_xlabel(f"{panel.unit}" if panel.unit is not None else "value", fontsize=8)
    fig.subplots_adjust(left=0.06, right=0.95, bottom=0.06, top=0.88, wspace=0.45, hspace=0.35)
    return _save(fig, Path(path))


def save_histogram(
    path: str | Path, counts: np.ndarray, edges: np.ndarray, *, title: str, unit: Any = None
) -> Path:
    """Save the notebook's grey, log-scaled histogram (``plt.hist(..., log=True)``) as a PNG."""
    plt = _pyplot()
    fig = plt.figure(figsize=(6.4, 4.2))
    ax = fig.add_axes((0.12, 0.13, 0.84, 0.79))
    ax.stairs(counts, edges, fill=True, color="grey")
    ax.set_yscale("log")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"pixel value [{unit}]" if unit is not None else "pixel value")
    ax.set_ylabel(f"pixels per bin ({counts.size} bins)")
    return _save(fig, Path(path))


@dataclass(frozen=True)
class Section:
    """One step of the report: a heading, some text, optional statistics and figures."""

    title: str
    text: str = ""
    stats: BackgroundStats | None = None
    stats_counts: bool = True
    figures: Sequence[Path] = field(default_factory=tuple)


def _embedded_png(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(Path(path).name)}" src="data:image/png;base64,{data}">'


def write_html(path: str | Path, title: str, sections: Sequence[Section], footer: str = "") -> Path:
    """Write one self-contained HTML report (figures embedded), atomically.

    Statistics appear as the notebook prints them, in a ``<pre>`` block per section.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em}"
        "pre{background:#f4f4f4;padding:.6em}img{max-width:48%;margin:.3em;"
        "vertical-align:top}</style>",
        f"</head><body><h1>{html.escape(title)}</h1>",
    ]
    for number, section in enumerate(sections, start=1):
        parts.append(f"<h2>{number}. {html.escape(section.title)}</h2>")
        if section.text:
            parts.append(f"<p>{html.escape(section.text)}</p>")
        if section.stats is not None:
            block = section.stats.format(include_counts=section.stats_counts)
            parts.append(f"<pre>{html.escape(block)}</pre>")
        parts.extend(_embedded_png(figure) for figure in section.figures)
    if footer:
        parts.append(f"<hr><p><small>{html.escape(footer)}</small></p>")
    parts.append("</body></html>")
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path
