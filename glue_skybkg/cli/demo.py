"""``skybkg demo``: the seed notebook, step by step, on the sample data set, outside the LSST stack.

Every step goes through the adapters (a Butler repository over the sample when
lsst-daf-butler is installed, the sample folder otherwise), prints what the notebook prints,
saves its figures as PNG files and writes one HTML report; glue then opens the same products.
"""

from __future__ import annotations

import argparse
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
from typing import TextIO, TypeVar

import numpy as np

from skybkg_adapters import MissingDependency, SkybkgError, Source, open_source, product_label
from skybkg_adapters.sample import CALEXP_DATA_ID, COADD_DATA_ID, RUN, SampleSet, ensure_sample

from ..analysis import BackgroundStats, background_stats, difference, histogram, restore
from . import report
from .demo_dp2 import DP2_STEP_COUNT, dp2_steps
from .sample import add_sample_options

__all__ = ["DemoResult", "add_command", "has_display", "open_gui", "run", "run_demo"]

_QT_BINDINGS = ("PyQt5", "PyQt6", "PySide6", "PySide2")
"""Qt bindings glue-qt can use (through qtpy)."""
_T = TypeVar("_T")


@dataclass(frozen=True)
class DemoResult:
    """What a demo run produced.

    ``stats`` maps ``"calexpBackground"``, ``"deepCoadd_calexp_background"`` and
    ``"difference"`` to their :class:`~glue_skybkg.analysis.BackgroundStats`; ``products``
    are the sample files glue opens and ``labels`` their dataset names there
    (``calexp_512055_75``); ``timings`` the seconds each step took.
    """

    out: Path
    report: Path
    figures: tuple[Path, ...]
    stats: Mapping[str, BackgroundStats]
    products: tuple[Path, ...]
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    timings: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``skybkg demo``."""
    parser = commands.add_parser(
        "demo",
        help="run the 'Little Demo: Sky Backgrounds' notebook on the sample data, then open glue",
        description="Every step of the seed notebook on the sample data set: statistics on "
        "stdout, PNG figures and report.html in --out, then glue with the products loaded.",
    )
    parser.add_argument(
        "--out",
        default="skybkg-demo",
        metavar="DIR",
        help="folder for the figures and report.html (default: %(default)s)",
    )
    parser.add_argument("--no-gui", action="store_true", help="do not open glue at the end")
    add_sample_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo from parsed arguments, then open glue when a display allows it."""
    result = run_demo(args.out, sample_dir=args.sample_dir, progress=not args.quiet)
    print(f"Figures and report written to {result.out.resolve()}")
    print(f"Report: {result.report.resolve()}")
    if args.no_gui:
        return 0
    if not has_display():
        print("No display found (DISPLAY/WAYLAND_DISPLAY unset): not opening glue.")
        return 0
    open_gui([str(path) for path in result.products], result.labels)
    return 0


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


def _open_sample_source(sample: SampleSet) -> Source:
    """What the demo reads through: the sample's Butler repo if it has one, else its folder."""
    if sample.butler_repo is not None:
        return open_source(f"butler:{sample.butler_repo}?collections={RUN}")
    return open_source(str(sample.root))


class _Steps:
    """One progress bar over the demo's steps; statistics print above it on stdout.

    :meth:`run` times a step and turns an OSError (a full disk, an unwritable folder) into a
    one-line SkybkgError saying what to check.
    """

    def __init__(self, total: int, progress: bool, stdout: TextIO):
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self._bar = tqdm(
            total=total, desc="skybkg demo", unit="step", disable=not progress, leave=False
        )
        self._stdout = stdout
        self.timings: dict[str, float] = {}

    def run(self, label: str, work: Callable[[], _T]) -> _T:
        """``work()`` as the step ``label``: timed, counted on the bar, OSError made readable."""
        self._bar.set_description(label)
        start = time.perf_counter()
        try:
            return work()
        except OSError as exc:
            raise SkybkgError(
                f"{label} failed: {exc.strerror or exc}"
                + (f" ({exc.filename})" if exc.filename else "")
                + "; check free disk space and that --out is writable"
            ) from exc
        finally:
            self.timings[label] = time.perf_counter() - start
            self._bar.update()

    def print(self, text: str) -> None:
        """Print above the bar, as the notebook prints its output."""
        self._tqdm.write(text, file=self._stdout)
        self._stdout.flush()

    def close(self) -> None:
        """Remove the bar."""
        self._bar.close()


@dataclass
class _Run:
    """What the steps share: the output folder, the source, the figures and statistics so far."""

    out: Path
    source: Source
    steps: _Steps
    figures: list[Path] = field(default_factory=list)
    stats: dict[str, BackgroundStats] = field(default_factory=dict)
    sections: list[report.Section] = field(default_factory=list)


_CALEXP_ID = f"visit {CALEXP_DATA_ID['visit']}, detector {CALEXP_DATA_ID['detector']}"
_COADD_ID = ", ".join(f"{k} {v}" for k, v in COADD_DATA_ID.items())
_STEP_COUNT = 11 + DP2_STEP_COUNT


def _visit_steps(run: _Run) -> None:
    """The notebook's first half: calexp, its background, statistics, histogram, restore."""
    steps, out = run.steps, run.out
    calexp = steps.run("read calexp", lambda: run.source.get("calexp", dict(CALEXP_DATA_ID)))
    background = steps.run(
        "read calexpBackground", lambda: run.source.get("calexpBackground", dict(CALEXP_DATA_ID))
    )
    calexp_figure = steps.run(
        "plot calexp",
        lambda: report.save_image(
            out / "01_calexp.png",
            calexp.image,
            title=f"calexp ({_CALEXP_ID})",
            stretch="asinh",
            xy0=calexp.xy0,
            unit=calexp.unit,
        ),
    )
    bkg_image = steps.run("render calexpBackground", background.render)
    stats = run.stats["calexpBackground"] = background_stats(bkg_image)
    steps.print(f"calexpBackground ({_CALEXP_ID}):\n{stats.format()}\n")
    counts, edges = histogram(bkg_image, bins=1000)
    background_figures = steps.run(
        "plot background",
        lambda: [
            report.save_image(
                out / "02_calexpBackground.png",
                bkg_image,
                title=f"calexpBackground ({_CALEXP_ID})",
                stretch="linear",
                xy0=background.bbox.xy0,
                unit=calexp.unit,
            ),
            report.save_histogram(
                out / "03_calexpBackground_histogram.png",
                counts,
                edges,
                title="calexpBackground pixel values (1000 bins, log)",
                unit=calexp.unit,
            ),
        ],
    )
    restored = restore(calexp.image, bkg_image)
    calexp_max, restored_max = float(np.nanmax(calexp.image)), float(np.nanmax(restored))
    steps.print(
        f"calexp maximum pixel value: {calexp_max:.6g}; "
        f"with the background added back: {restored_max:.6g}\n"
    )
    restored_figure = steps.run(
        "plot restored calexp",
        lambda: report.save_image(
            out / "04_calexp_restored.png",
            restored,
            title="calexp + calexpBackground (a new image)",
            stretch="asinh",
            xy0=calexp.xy0,
            unit=calexp.unit,
        ),
    )
    run.figures += [calexp_figure, *background_figures, restored_figure]
    run.sections += [
        report.Section(
            f"calexp, {_CALEXP_ID}",
            "The background-subtracted visit image, asinh stretch between zscale limits.",
            figures=[calexp_figure],
        ),
        report.Section(
            "calexpBackground",
            f"The subtracted background ({len(background.layers)} entries, rendered as "
            "afw does), linear stretch; its statistics and the 1000-bin histogram.",
            stats=stats,
            figures=background_figures,
        ),
        report.Section(
            "calexp with the background added back",
            f"A new image (the calexp is untouched). Maximum pixel value {calexp_max:.6g} "
            f"before, {restored_max:.6g} after.",
            figures=[restored_figure],
        ),
    ]


def _coadd_steps(run: _Run) -> None:
    """The notebook's second half: the two coadds, the residual background, their difference."""
    steps, out = run.steps, run.out
    coadd_calexp = steps.run(
        "read deepCoadd_calexp", lambda: run.source.get("deepCoadd_calexp", dict(COADD_DATA_ID))
    )
    coadd = steps.run("read deepCoadd", lambda: run.source.get("deepCoadd", dict(COADD_DATA_ID)))
    coadd_background = run.source.get("deepCoadd_calexp_background", dict(COADD_DATA_ID))
    bkg_image = coadd_background.render()
    bkg_stats = run.stats["deepCoadd_calexp_background"] = background_stats(bkg_image)
    steps.print(f"deepCoadd_calexp_background ({_COADD_ID}):\n{bkg_stats.format()}\n")
    diff = difference(coadd.image, coadd_calexp.image)
    diff_stats = run.stats["difference"] = background_stats(diff)
    steps.print(
        f"deepCoadd - deepCoadd_calexp ({_COADD_ID}):\n{diff_stats.format(include_counts=False)}\n"
    )
    figures = steps.run(
        "plot coadds",
        lambda: [
            report.save_image(
                out / "05_deepCoadd_calexp.png",
                coadd_calexp.image,
                title=f"deepCoadd_calexp ({_COADD_ID})",
                xy0=coadd_calexp.xy0,
                unit=coadd_calexp.unit,
            ),
            report.save_image(
                out / "06_deepCoadd.png",
                coadd.image,
                title=f"deepCoadd ({_COADD_ID})",
                xy0=coadd.xy0,
                unit=coadd.unit,
            ),
            report.save_image(
                out / "07_deepCoadd_calexp_background.png",
                bkg_image,
                title="deepCoadd_calexp_background (residual)",
                stretch="linear",
                xy0=coadd_background.bbox.xy0,
                unit=coadd.unit,
            ),
            # the difference is the residual level plus round-off: show the round-off
            report.save_image(
                out / "08_deepCoadd_difference.png",
                diff - bkg_stats.mean,
                title="deepCoadd - deepCoadd_calexp - residual background\n"
                f"({bkg_stats.mean:.6g} {coadd.unit}): float32 round-off",
                stretch="linear",
                xy0=coadd.xy0,
                unit=coadd.unit,
                limits=(-4 * diff_stats.std, 4 * diff_stats.std),
            ),
        ],
    )
    run.figures += figures
    run.sections += [
        report.Section(
            f"deepCoadd_calexp and deepCoadd, {_COADD_ID}",
            "No difference is noticeable between the two.",
            figures=figures[0:2],
        ),
        report.Section(
            "deepCoadd_calexp_background",
            "The small residual background: a constant, so the standard deviation is 0.",
            stats=bkg_stats,
            figures=figures[2:3],
        ),
        report.Section(
            "deepCoadd - deepCoadd_calexp",
            "Equal to the residual background up to float32 round-off.",
            stats=diff_stats,
            stats_counts=False,
            figures=figures[3:4],
        ),
    ]


def _gui_products(sample: SampleSet) -> tuple[tuple[Path, ...], dict[str, str]]:
    """The files glue opens after the demo, in load order, and their dataset names.

    The notebook's detector first (glue's views show the first calexp); each background
    attaches to the image its data id names, whatever the order.
    """
    detectors = sorted(sample.detectors, key=lambda d: d != CALEXP_DATA_ID["detector"])
    visit = CALEXP_DATA_ID["visit"]
    products = (
        *(
            sample.path(kind, {"visit": visit, "detector": d})
            for d in detectors
            for kind in ("calexp", "calexpBackground")
        ),
        sample.coadd,
        sample.coadd_calexp,
        sample.coadd_background,
    )
    labels = {
        str(sample.root / product.path): product_label(product.dataset_type, product.data_id)
        for product in sample.products
    }
    return products, {str(p): labels[str(p)] for p in products}


def run_demo(
    out: str | os.PathLike[str] = "skybkg-demo",
    *,
    sample_dir: str | os.PathLike[str] | None = None,
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
    out = Path(out)
    _check_writable(out)
    sample = ensure_sample(sample_dir, progress=progress)
    steps = _Steps(total=_STEP_COUNT, progress=progress, stdout=stdout or sys.stdout)
    try:
        source = steps.run("open the sample source", lambda: _open_sample_source(sample))
        run = _Run(out, source, steps)
        _visit_steps(run)
        _coadd_steps(run)
        dp2_steps(run, sample.root)
        where = (
            f"Butler repository {sample.butler_repo}, collection {RUN}"
            if sample.butler_repo is not None
            else "plain files"
        )
        timings = ", ".join(f"{k} {v:.2f} s" for k, v in steps.timings.items())
        footer = f"Sample data: {sample.root} ({where}). Step times: {timings}."
        report_path = steps.run(
            "write report",
            lambda: report.write_html(
                out / "report.html", "Little Demo: Sky Backgrounds", run.sections, footer
            ),
        )
    finally:
        steps.close()
    products, labels = _gui_products(sample)
    return DemoResult(
        out=out,
        report=report_path,
        figures=tuple(run.figures),
        stats=MappingProxyType(dict(run.stats)),
        products=products,
        labels=MappingProxyType(labels),
        timings=MappingProxyType(dict(steps.timings)),
    )


def open_gui(paths: list[str], labels: Mapping[str, str] | None = None) -> None:
    """Open glue with ``paths`` loaded and the example sessions' views, until it is closed.

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
            'If Qt said it could not load the platform plugin "xcb", install the X11 '
            "libraries it names (Debian/Ubuntu: apt-get install libxkbcommon-x11-0 "
            "libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 "
            "libxcb-xinerama0), or run skybkg demo --no-gui"
        )
