"""``skybkg demo``: the seed notebook, step by step, on the sample data set, outside the LSST stack.

Every step goes through the adapters (a Butler repository over the sample when
lsst-daf-butler is installed, the sample folder otherwise), prints what the notebook prints,
saves its figures as PNG files and writes one HTML report; glue then opens the same products.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

import numpy as np
from skybkg_adapters.errors import MissingDependency, SkybkgError

from .analysis import background_stats, difference, format_stats, histogram, restore

__all__ = ["DemoResult", "run_demo", "has_display", "open_gui"]

_QT_BINDINGS = ("PyQt5", "PyQt6", "PySide6", "PySide2")
"""Qt bindings glue-qt can use (through qtpy)."""


@dataclass(frozen=True)
class DemoResult:
    """What a demo run produced.

    ``stats`` maps ``"calexpBackground"``, ``"deepCoadd_calexp_background"`` and
    ``"difference"`` to :func:`~glue_skybkg.analysis.background_stats` dicts; ``products``
    are the sample files glue opens and ``labels`` their dataset names there
    (``calexp_512055_75``); ``timings`` the seconds each step took.
    """

    out: Path
    report: Path
    figures: tuple[Path, ...]
    stats: MappingProxyType
    products: tuple[Path, ...]
    labels: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    timings: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


def has_display() -> bool:
    """Whether a Qt window can be shown: an X11 or Wayland display, or Qt's offscreen platform."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    return os.environ.get("QT_QPA_PLATFORM") == "offscreen"


def _check_writable(out: Path) -> None:
    """Fail early, with what to do, if the report cannot be written into ``out``."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".skybkg-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise SkybkgError(
            f"cannot write the demo output into {out}: {exc.strerror or exc}; "
            "choose a folder you can write to with --out DIR"
        ) from exc


def _open_sample_source(sample):
    """What the demo reads through: the sample's Butler repo if it has one, else its folder."""
    from skybkg_adapters.sample import RUN
    from skybkg_adapters.sources import open_source

    if sample.butler_repo is not None:
        return open_source(f"butler:{sample.butler_repo}?collections={RUN}")
    return open_source(str(sample.root))


class _Steps:
    """One progress bar over the demo's steps; statistics print above it on stdout."""

    def __init__(self, total: int, progress: bool, stdout: TextIO):
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self._bar = tqdm(total=total, desc="skybkg demo", unit="step", disable=not progress,
                         leave=False)  # fmt: skip
        self._stdout = stdout
        self.timings: dict[str, float] = {}
        self._label = ""
        self._start = 0.0

    def start(self, label: str) -> None:
        self._label, self._start = label, time.perf_counter()
        self._bar.set_description(label)

    def done(self) -> None:
        self.timings[self._label] = time.perf_counter() - self._start
        self._bar.update()

    def print(self, text: str) -> None:
        self._tqdm.write(text, file=self._stdout)
        self._stdout.flush()

    def close(self) -> None:
        self._bar.close()


def run_demo(
    out: str | os.PathLike = "skybkg-demo",
    *,
    sample_dir: str | os.PathLike | None = None,
    progress: bool = True,
    stdout: TextIO | None = None,
) -> DemoResult:
    """Run every step of the seed notebook and write the figures and the HTML report.

    Parameters
    ----------
    out
        Folder for the PNG figures and ``report.html`` (created if missing).
    sample_dir
        Folder of the sample data set; default :func:`skybkg_adapters.sample.sample_root`.
    progress
        Show progress bars (on stderr).
    stdout
        Where the notebook's printed output goes; default ``sys.stdout``.

    Returns
    -------
    DemoResult
    """
    from skybkg_adapters.sample import CALEXP_DATA_ID, COADD_DATA_ID, RUN, ensure_sample

    from . import report

    stdout = stdout or sys.stdout
    out = Path(out)
    _check_writable(out)
    sample = ensure_sample(sample_dir, progress=progress)
    steps = _Steps(total=11, progress=progress, stdout=stdout)
    figures: list[Path] = []
    sections: list[report.Section] = []
    calexp_id = f"visit {CALEXP_DATA_ID['visit']}, detector {CALEXP_DATA_ID['detector']}"
    coadd_id = ", ".join(f"{k} {v}" for k, v in COADD_DATA_ID.items())

    def step(label: str, work: Callable[[], Any]) -> Any:
        steps.start(label)
        try:
            return work()
        except OSError as exc:
            raise SkybkgError(
                f"{label} failed: {exc.strerror or exc}"
                + (f" ({exc.filename})" if exc.filename else "")
                + "; check free disk space and that --out is writable"
            ) from exc
        finally:
            steps.done()

    try:
        source = step("open the sample source", lambda: _open_sample_source(sample))
        calexp = step("read calexp", lambda: source.get("calexp", dict(CALEXP_DATA_ID)))
        background = step(
            "read calexpBackground", lambda: source.get("calexpBackground", dict(CALEXP_DATA_ID))
        )
        figures.append(
            step("plot calexp", lambda: report.save_image(
                out / "01_calexp.png", calexp.image, title=f"calexp ({calexp_id})",
                stretch="asinh", xy0=calexp.xy0, unit=calexp.unit))
        )  # fmt: skip
        bkg_image = step("render calexpBackground", background.render)
        bkg_stats = background_stats(bkg_image)
        steps.print(f"calexpBackground ({calexp_id}):\n{format_stats(bkg_stats)}\n")
        counts, edges = histogram(bkg_image, bins=1000)
        figures += step("plot background", lambda: [
            report.save_image(out / "02_calexpBackground.png", bkg_image,
                              title=f"calexpBackground ({calexp_id})", stretch="linear",
                              xy0=background.bbox[:2], unit=calexp.unit),
            report.save_histogram(out / "03_calexpBackground_histogram.png", counts, edges,
                                  title="calexpBackground pixel values (1000 bins, log)",
                                  unit=calexp.unit),
        ])  # fmt: skip
        restored = restore(calexp.image, bkg_image)
        calexp_max, restored_max = float(np.nanmax(calexp.image)), float(np.nanmax(restored))
        steps.print(
            f"calexp maximum pixel value: {calexp_max:.6g}; "
            f"with the background added back: {restored_max:.6g}\n"
        )
        figures.append(
            step("plot restored calexp", lambda: report.save_image(
                out / "04_calexp_restored.png", restored,
                title="calexp + calexpBackground (a new image)", stretch="asinh",
                xy0=calexp.xy0, unit=calexp.unit))
        )  # fmt: skip
        coadd_calexp = step(
            "read deepCoadd_calexp", lambda: source.get("deepCoadd_calexp", dict(COADD_DATA_ID))
        )
        coadd = step("read deepCoadd", lambda: source.get("deepCoadd", dict(COADD_DATA_ID)))
        coadd_background = source.get("deepCoadd_calexp_background", dict(COADD_DATA_ID))
        coadd_bkg_image = coadd_background.render()
        coadd_bkg_stats = background_stats(coadd_bkg_image)
        steps.print(
            f"deepCoadd_calexp_background ({coadd_id}):\n{format_stats(coadd_bkg_stats)}\n"
        )
        diff = difference(coadd.image, coadd_calexp.image.astype(np.float64))
        diff_stats = background_stats(diff)
        steps.print(
            f"deepCoadd - deepCoadd_calexp ({coadd_id}):\n"
            f"{format_stats(diff_stats, include_counts=False)}\n"
        )
        figures += step("plot coadds", lambda: [
            report.save_image(out / "05_deepCoadd_calexp.png", coadd_calexp.image,
                              title=f"deepCoadd_calexp ({coadd_id})", xy0=coadd_calexp.xy0,
                              unit=coadd_calexp.unit),
            report.save_image(out / "06_deepCoadd.png", coadd.image,
                              title=f"deepCoadd ({coadd_id})", xy0=coadd.xy0, unit=coadd.unit),
            report.save_image(out / "07_deepCoadd_calexp_background.png", coadd_bkg_image,
                              title="deepCoadd_calexp_background (residual)", stretch="linear",
                              xy0=coadd_background.bbox[:2], unit=coadd.unit),
            # the difference is the residual level plus round-off: show the round-off
            report.save_image(out / "08_deepCoadd_difference.png",
                              diff - coadd_bkg_stats["mean"],
                              title="deepCoadd - deepCoadd_calexp - residual background\n"
                              f"({coadd_bkg_stats['mean']:.6g} {coadd.unit}): float32 round-off",
                              stretch="linear", xy0=coadd.xy0, unit=coadd.unit,
                              limits=(-4 * diff_stats["std"], 4 * diff_stats["std"])),
        ])  # fmt: skip
        sections = [
            report.Section(
                f"calexp, {calexp_id}",
                "The background-subtracted visit image, asinh stretch between zscale limits.",
                figures=figures[0:1],
            ),
            report.Section(
                "calexpBackground",
                f"The subtracted background ({len(background.layers)} entries, rendered as "
                "afw does), linear stretch; its statistics and the 1000-bin histogram.",
                stats=bkg_stats,
                figures=figures[1:3],
            ),
            report.Section(
                "calexp with the background added back",
                f"A new image (the calexp is untouched). Maximum pixel value {calexp_max:.6g} "
                f"before, {restored_max:.6g} after.",
                figures=figures[3:4],
            ),
            report.Section(
                f"deepCoadd_calexp and deepCoadd, {coadd_id}",
                "No difference is noticeable between the two.",
                figures=figures[4:6],
            ),
            report.Section(
                "deepCoadd_calexp_background",
                "The small residual background: a constant, so the standard deviation is 0.",
                stats=coadd_bkg_stats,
                figures=figures[6:7],
            ),
            report.Section(
                "deepCoadd - deepCoadd_calexp",
                "Equal to the residual background up to float32 round-off.",
                stats=diff_stats,
                stats_counts=False,
                figures=figures[7:8],
            ),
        ]
        where = (
            f"Butler repository {sample.butler_repo}, collection {RUN}"
            if sample.butler_repo is not None
            else "plain files"
        )
        timings = ", ".join(f"{k} {v:.2f} s" for k, v in steps.timings.items())
        footer = f"Sample data: {sample.root} ({where}). Step times: {timings}."
        report_path = step(
            "write report",
            lambda: report.write_html(out / "report.html", "Little Demo: Sky Backgrounds",
                                      sections, footer),
        )  # fmt: skip
    finally:
        steps.close()
    # The notebook's detector first (glue shows the first exposure). Images come before
    # backgrounds, and backgrounds in reverse order of their images: glue attaches each
    # background, in load order, to the latest loaded image of the same bbox still without
    # one, and all calexps (like deepCoadd and deepCoadd_calexp) share one bbox.
    detectors = sorted(sample.detectors, key=lambda d: d != CALEXP_DATA_ID["detector"])
    visit = CALEXP_DATA_ID["visit"]
    calexps = [sample.path("calexp", {"visit": visit, "detector": d}) for d in detectors]
    backgrounds = [
        sample.path("calexpBackground", {"visit": visit, "detector": d})
        for d in reversed(detectors)
    ]
    products = (*calexps, sample.coadd, sample.coadd_calexp, *backgrounds,
                sample.coadd_background)  # fmt: skip
    labels = {
        str(sample.root / product.path): "_".join(
            [product.dataset_type, *(str(v) for v in product.data_id.values())]
        )
        for product in sample.products
    }
    return DemoResult(
        out=out,
        report=report_path,
        figures=tuple(figures),
        stats=MappingProxyType({
            "calexpBackground": bkg_stats,
            "deepCoadd_calexp_background": coadd_bkg_stats,
            "difference": diff_stats,
        }),
        products=products,
        labels=MappingProxyType({str(p): labels[str(p)] for p in products}),
        timings=MappingProxyType(dict(steps.timings)),
    )  # fmt: skip


def open_gui(paths: list[str], labels: Mapping[str, str] | None = None) -> None:
    """Open glue with ``paths`` loaded (backgrounds attached to their images) until closed.

    glue runs in a process of its own: when Qt cannot open a window (a platform plugin or a
    system library missing) it aborts its process, and this turns that into a clear error
    after the demo's report is already written.
    """
    if importlib.util.find_spec("glue_qt") is None or not any(
        importlib.util.find_spec(binding) for binding in _QT_BINDINGS
    ):
        raise MissingDependency(
            "opening glue needs the GUI packages (glue-qt and a Qt binding): "
            "pip install 'glue-skybkg[qt]', or run with --no-gui"
        )
    command = [sys.executable, "-m", "glue_skybkg.qt.launch", *map(str, paths)]
    for path, label in (labels or {}).items():
        command += ["--label", f"{path}={label}"]
    try:
        status = subprocess.run(command, check=False).returncode
    except KeyboardInterrupt:  # Ctrl+C in the terminal ends glue too: the user's choice
        return
    if status not in (0, -signal.SIGINT, -signal.SIGTERM):
        raise SkybkgError(
            f"glue stopped with exit status {status}; the figures and the report are written. "
            "If Qt said it could not load the platform plugin \"xcb\", install the X11 "
            "libraries it names (Debian/Ubuntu: apt-get install libxkbcommon-x11-0 "
            "libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 "
            "libxcb-xinerama0), or run skybkg demo --no-gui"
        )
