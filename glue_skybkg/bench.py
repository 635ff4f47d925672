"""``skybkg bench``: our kernels side by side with the anchors of issue 6, at the memory floor.

Every case runs in a fresh Python process (so import and JIT-cache costs and peak memory are its
own), single threaded (``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS`` ... set to 1), on the same
deterministic 4072 x 4000 inputs, and reports the median of its repeats.  The floor is allocating
and filling one float32 image, timed alternately with each case in the case's process; ratios to
it travel between machines and survive load drift, absolute times do not.  ``--quick`` runs
every case on tiny inputs with two repeats (the kernel cases in one process): a correctness run
for CI.

Peak extra memory is the rise of the process's resident high-water mark (``VmHWM``, reset through
``/proc/self/clear_refs``) over its resident size just before one run of the case, so it counts
every allocation the case makes, numba's and cfitsio's included.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

__all__ = [
    "FULL_SHAPE",
    "QUICK_SHAPE",
    "ANCHORS",
    "Case",
    "CASES",
    "run_bench",
    "format_table",
    "add_bench_arguments",
]

FULL_SHAPE = (4072, 4000)
"""(height, width) of an LSSTCam detector: the benchmark's inputs."""
QUICK_SHAPE = (136, 128)
"""Inputs of ``--quick``: small, with room for the 32 x 32 bins of the background."""
_BINS = 32
_HIST_BINS = 1000
_SEED = 20230922
_MIB = 1 << 20

ANCHORS = {
    "floor": 8.0,
    "stats_notebook": 262.0,
    "hist_numpy": 105.0,
    "hist_fast": 30.0,
    "read_astropy_plain": 24.0,
    "read_astropy_gzip": 640.0,
    "restore_inplace": 5.0,
    "render_lsst_images": 183.0,
    "render_scipy": 172.0,
}
"""Issue 6's anchors in ms, medians on its reference machine (notebook statistics: +389 MiB)."""

_THREAD_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "QT_QPA_PLATFORM": "offscreen",
}


@dataclass(frozen=True)
class Case:
    """One benchmarked operation.

    ``group`` gathers rows compared with each other; ``versus`` names the row this one is
    compared with (speed-up column); ``target`` is the issue's target as ``(kind, limit)``:
    ``("floor", k)`` time <= k x the floor, ``("seconds", s)`` wall time <= s.
    """

    key: str
    group: str
    label: str
    versus: str | None = None
    target: tuple[str, float] | None = None
    mem_target_images: float | None = None
    min_speedup: float | None = None


CASES = (
    Case("floor", "floor", "np.empty + fill (float32 image)"),
    Case("render_ours_dp02", "render", "ours: 4 Chebyshev order-1 entries (DP0.2-like)",
         "render_scipy", ("floor", 4)),
    Case("render_ours_akima", "render", "ours: one 32x32 Akima entry", "render_scipy",
         ("floor", 4)),
    Case("render_scipy", "render", "scipy Akima1DInterpolator, columns then rows"),
    Case("render_lsst_images", "render", "lsst-images"),
    Case("stats_ours", "statistics", "ours: background_stats", "stats_notebook",
         ("floor", 5), mem_target_images=1.0, min_speedup=5.0),
    Case("stats_notebook", "statistics", "notebook: float64 copy, flatten, numpy"),
    Case("hist_ours", "histogram", "ours: histogram, 1000 bins, finite range", "hist_numpy",
         ("floor", 3)),
    Case("hist_numpy", "histogram", "np.histogram, 1000 bins, range=(nanmin, nanmax)"),
    Case("hist_fast", "histogram", "fast_histogram.histogram1d, same range"),
    Case("read_ours_gzip", "read", "ours: read_exposure GZIP_2 + mask + variance",
         "read_astropy_gzip"),
    Case("read_astropy_gzip", "read", "astropy: all planes of the GZIP_2 file"),
    Case("read_ours_plain", "read", "ours: read_exposure uncompressed, image plane",
         "read_astropy_plain"),
    Case("read_astropy_plain", "read", "astropy: uncompressed image plane"),
    Case("restore_ours", "restore", "ours: restore (new array)", "restore_inplace",
         ("floor", 2)),
    Case("restore_inplace", "restore", "image += background, in place"),
    Case("first_viewer", "glue", "request -> first drawn viewer (glue already running)",
         target=("seconds", 1.5)),
    Case("cold_viewer", "glue", "cold start: python -> first drawn viewer (information)"),
    Case("demo", "demo", "skybkg demo --no-gui (second run)"),
)
"""Every row of the table, in print order."""


# ------------------------------------------------------------------------------- the inputs


def _dp02_model(shape: tuple[int, int]):
    """A DP0.2-like calexpBackground: four Chebyshev order-1 entries over 32 x 32 bins."""
    from skybkg_adapters import ApproxStyle, BackgroundLayer, BackgroundModel

    height, width = shape
    rng = np.random.default_rng(_SEED)
    yy, xx = np.mgrid[0:_BINS, 0:_BINS] / (_BINS - 1)
    levels = (1200.0, 40.0, -8.0, 2.0)
    layers = []
    for i, level in enumerate(levels):
        values = level * (1 + 0.05 * xx + 0.03 * yy + 0.01 * i * xx * yy)
        values = values + rng.normal(0, abs(level) * 0.002, values.shape)
        layers.append(BackgroundLayer(
            values=values, bbox=(0, 0, width, height), approx_style=ApproxStyle.CHEBYSHEV,
            approx_order_x=1, approx_order_y=1,
        ))
    return BackgroundModel(tuple(layers))


def _akima_layer(shape: tuple[int, int]):
    """One 32 x 32 entry rendered by Akima interpolation (no Chebyshev approximation)."""
    from skybkg_adapters import BackgroundLayer, BackgroundModel

    height, width = shape
    rng = np.random.default_rng(_SEED + 1)
    yy, xx = np.mgrid[0:_BINS, 0:_BINS] / (_BINS - 1)
    values = 1200 + 60 * np.sin(3 * xx) * np.cos(2 * yy) + rng.normal(0, 2, xx.shape)
    return BackgroundModel((BackgroundLayer(values=values, bbox=(0, 0, width, height)),))


def _calexp_pixels(shape: tuple[int, int]) -> np.ndarray:
    """A calexp-like background-subtracted image: sky noise around zero, float32."""
    rng = np.random.default_rng(_SEED + 2)
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(25.0)


def _write_calexp(folder: Path, shape: tuple[int, int]) -> dict[str, Path]:
    """The read cases' files: one calexp written GZIP_2 (as the Butler does) and uncompressed."""
    from skybkg_adapters import SkyImage, write_exposure

    image = _calexp_pixels(shape)
    rng = np.random.default_rng(_SEED + 3)
    mask = (rng.random(shape) < 0.02).astype(np.int32) << 5
    variance = np.full(shape, 625.0, dtype=np.float32)
    exposure = SkyImage(image, mask, variance, mask_planes={"BAD": 0, "DETECTED": 5})
    paths = {"gzip": folder / "calexp_gzip2.fits", "plain": folder / "calexp_plain.fits"}
    write_exposure(paths["gzip"], exposure, compress="GZIP_2")
    write_exposure(paths["plain"], exposure)
    return paths


# ------------------------------------------------------------- the cases (run in a worker)


def _scipy_akima(model, shape: tuple[int, int]) -> np.ndarray:
    """Separable Akima through scipy: along y for every bin column, then along x for every row."""
    from scipy.interpolate import Akima1DInterpolator
    from skybkg_adapters import bin_centers

    height, width = shape
    layer = model.layers[0]
    ny, nx = layer.values.shape
    ycen = np.asarray(bin_centers(height, ny), dtype=np.float64)
    xcen = np.asarray(bin_centers(width, nx), dtype=np.float64)
    columns = Akima1DInterpolator(ycen, layer.values, axis=0, extrapolate=True)(np.arange(height))
    rows = Akima1DInterpolator(xcen, columns, axis=1, extrapolate=True)(np.arange(width))
    return rows.astype(np.float32)


def _notebook_stats(array: np.ndarray) -> tuple:
    temp = np.asarray(array, dtype="float")
    values = temp.flatten()
    del temp
    n_nan = len(np.where(np.isnan(values))[0])
    return (len(values), n_nan, np.min(values), np.max(values), np.mean(values),
            np.median(values), np.std(values))


def _prepare(key: str, shape: tuple[int, int], files: dict[str, str]) -> Callable[[], Any]:
    """The inputs of case ``key`` and a zero-argument function running it once."""
    from glue_skybkg import analysis

    if key == "floor":
        return lambda: np.empty(shape, dtype=np.float32).fill(1.0)
    if key == "render_ours_dp02":
        model = _dp02_model(shape)
        return model.render
    if key == "render_ours_akima":
        model = _akima_layer(shape)
        return model.render
    if key == "render_scipy":
        model = _akima_layer(shape)
        return lambda: _scipy_akima(model, shape)
    if key == "render_lsst_images":
        import lsst.images  # noqa: F401  (raises ImportError: reported as not importable)

        raise NotImplementedError("lsst.images is importable but this benchmark has no "
                                  "adapter for its background API yet")
    if key in ("stats_ours", "stats_notebook", "hist_ours", "hist_numpy", "hist_fast"):
        background = _dp02_model(shape).render()
        return {
            "stats_ours": lambda: analysis.background_stats(background),
            "stats_notebook": lambda: _notebook_stats(background),
            "hist_ours": lambda: analysis.histogram(background, _HIST_BINS),
            "hist_numpy": lambda: np.histogram(background, _HIST_BINS, range=_notebook_range(
                background)),
            "hist_fast": lambda: _fast_histogram(background),
        }[key]
    if key in ("restore_ours", "restore_inplace"):
        background = _dp02_model(shape).render()
        image = _calexp_pixels(shape)
        if key == "restore_ours":
            return lambda: analysis.restore(image, background)
        return lambda: np.add(image, background, out=image)
    if key.startswith("read_"):
        return _reader(key, files)
    raise KeyError(f"no benchmark case {key!r}; the cases are {[c.key for c in CASES]}")


def _notebook_range(values: np.ndarray) -> tuple[float, float]:
    """The notebook's histogram range: every row pays for finding it, as ours does."""
    return float(np.nanmin(values)), float(np.nanmax(values))


def _fast_histogram(values: np.ndarray) -> np.ndarray:
    from fast_histogram import histogram1d

    return histogram1d(values, _HIST_BINS, range=_notebook_range(values))


def _reader(key: str, files: dict[str, str]) -> Callable[[], Any]:
    import skybkg_adapters as sa
    from astropy.io import fits

    def ours_gzip():
        img = sa.read_exposure(files["gzip"])
        return float(img.image[-1, -1]) + float(img.mask[-1, -1]) + float(img.variance[-1, -1])

    def ours_plain():
        img = sa.read_exposure(files["plain"])
        return float(img.image.sum(dtype=np.float64))

    def astropy_gzip():
        with fits.open(files["gzip"]) as hdul:
            return [hdu.data for hdu in hdul if hdu.is_image and hdu.data is not None]

    def astropy_plain():
        with fits.open(files["plain"], memmap=False) as hdul:
            hdu = next(h for h in hdul if h.is_image and h.data is not None)
            return float(hdu.data.sum(dtype=np.float64))

    return {"read_ours_gzip": ours_gzip, "read_ours_plain": ours_plain,
            "read_astropy_gzip": astropy_gzip, "read_astropy_plain": astropy_plain}[key]


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {field}")


def _peak_extra_bytes(run: Callable[[], Any]) -> int | None:
    """Rise of the resident high-water mark during one ``run()`` (None where Linux lacks it)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current resident size
        before = _status_kib("VmRSS")
        result = run()
        peak = _status_kib("VmHWM")
        del result
    except OSError:
        return None
    return max(peak - before, 0) * 1024


def _timed(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def _worker(key: str, shape: tuple[int, int], repeats: int, files: dict[str, str]) -> dict:
    """Run case ``key`` in this process: one warm-up (JIT, caches), the memory run, the timings.

    The floor is timed in the same process, alternating with the case, so that the case's
    ratio to the floor holds even when the shared machine's load drifts between processes.
    """
    run = _prepare(key, shape, files)
    floor = _prepare("floor", shape, files)
    run()
    floor()
    peak = _peak_extra_bytes(run)
    times, floor_times = [], []
    for _ in range(repeats):
        floor_times.append(_timed(floor))
        times.append(_timed(run))
    return {"times": times, "floor_times": floor_times, "peak_extra": peak}


_VIEWER_SCRIPT = r"""
import sys, time
import skybkg_adapters as sa
from glue_skybkg.actions import attach_background
from glue_skybkg.gluedata import image_to_data
from glue_skybkg.qt.display import show_component
from glue_qt.app import GlueApplication
from qtpy.QtWidgets import QApplication

app = GlueApplication()
QApplication.instance().processEvents()
# the user clicks Fetch in the open glue: read both products, build the Data, attach, show
start = time.perf_counter()
image = image_to_data(sa.read_exposure(sys.argv[1]), label="calexp")
attach_background(image, sa.read_background(sys.argv[2]))
app.data_collection.append(image)
viewer = show_component(app, image, "image", "notebook")
viewer.axes.figure.canvas.draw()
print("REQUEST", time.perf_counter() - start, flush=True)
print("DRAWN_AT", time.time(), flush=True)
"""
"""One request in a fresh headless glue: timed from the request, and its wall-clock end."""


def _viewer_files(folder: Path, shape: tuple[int, int]) -> tuple[Path, Path]:
    """A sample-like calexp (GZIP_2) and its 4-entry calexpBackground, for the viewer case."""
    from skybkg_adapters import SkyImage, write_background, write_exposure

    model = _dp02_model(shape)
    calexp = folder / "viewer_calexp.fits"
    background = folder / "viewer_calexpBackground.fits"
    image = _calexp_pixels(shape)
    mask = np.zeros(shape, dtype=np.int32)
    variance = np.full(shape, 625.0, dtype=np.float32)
    write_exposure(calexp, SkyImage(image, mask, variance, mask_planes={"BAD": 0}),
                   compress="GZIP_2")
    write_background(background, model)
    return calexp, background


# --------------------------------------------------------------------------- the driver


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(_THREAD_ENV)
    return env


def _run_workers(keys: list[str], shape, repeats: int, files: dict[str, str]) -> dict:
    """Run the cases ``keys`` one after the other in one fresh worker process."""
    command = [
        sys.executable, "-m", "glue_skybkg.bench", "--worker", ",".join(keys),
        "--shape", f"{shape[0]}x{shape[1]}", "--repeats", str(repeats),
        "--files", json.dumps(files),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=1800)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    error = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {key: {"error": error} for key in keys}


def _run_viewer(files: tuple[Path, Path], repeats: int) -> dict[str, dict]:
    """The two glue rows, from ``repeats`` fresh processes (each makes one first request).

    ``first_viewer``: request -> drawn, inside a running GlueApplication with every module
    imported (the user clicks Fetch in an open glue).  ``cold_viewer``: from launching python
    to the same drawn viewer (imports, GlueApplication, then the request).
    """
    requests, colds, peaks = [], [], []
    for _ in range(repeats):
        command = [sys.executable, "-c", _VIEWER_SCRIPT + _RSS_EPILOGUE, *map(str, files)]
        launched = time.time()
        done = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=600)
        values = dict(line.split() for line in done.stdout.splitlines()
                      if line.startswith(("REQUEST", "DRAWN_AT", "RSS")))
        if done.returncode or len(values) < 3:
            error = {"error": "not available: "
                     + (done.stderr.strip().splitlines() or ["no output"])[-1]}
            return {"first_viewer": error, "cold_viewer": error}
        requests.append(float(values["REQUEST"]))
        colds.append(float(values["DRAWN_AT"]) - launched)
        peaks.append(int(values["RSS"]))
    return {"first_viewer": {"times": requests, "peak_total": max(peaks)},
            "cold_viewer": {"times": colds, "peak_total": max(peaks)}}


_RSS_EPILOGUE = r"""
import resource
print("RSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, flush=True)
"""


def _run_demo(out: Path) -> dict:
    script = (
        "import sys\nfrom glue_skybkg.cli import main\n"
        "rc = main(['demo', '--no-gui', '--quiet', '--out', sys.argv[1]])\n"
        + _RSS_EPILOGUE + "sys.exit(rc)\n"
    )
    times, peak = [], 0
    for attempt in range(2):  # the first run makes the sample and fills the caches
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True,
                              text=True, env=_env(), timeout=3600)
        elapsed = time.perf_counter() - start
        if done.returncode:
            error = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {"error": f"failed: {error}"}
        if attempt:
            times.append(elapsed)
            peak = int(next(line for line in done.stdout.splitlines()
                            if line.startswith("RSS")).split()[1])
    return {"times": times, "peak_total": peak}


def _verdict(case: Case, row: dict, floor_ms: float | None) -> str:
    checks = []
    if case.target is None and case.mem_target_images is None and case.min_speedup is None:
        return "-"
    if row.get("ms") is None:
        return "MISS"
    if case.target is not None:
        kind, limit = case.target
        if kind == "floor":
            checks.append(floor_ms is not None and row["ms"] <= limit * floor_ms)
        else:
            checks.append(row["ms"] <= limit * 1000)
    if case.mem_target_images is not None:
        checks.append(row.get("peak_extra_mib") is not None
                      and row["peak_extra_mib"] <= case.mem_target_images * row["image_mib"])
    if case.min_speedup is not None:
        checks.append(row.get("speedup") is not None and row["speedup"] >= case.min_speedup)
    return "PASS" if all(checks) else "MISS"


def _target_text(case: Case) -> str:
    parts = []
    if case.target is not None:
        kind, limit = case.target
        parts.append(f"<= {limit:g}x floor" if kind == "floor" else f"<= {limit:g} s")
    if case.min_speedup is not None:
        parts.append(f">= {case.min_speedup:g}x faster")
    if case.mem_target_images is not None:
        parts.append(f"mem <= {case.mem_target_images:g} image")
    return ", ".join(parts) or "-"


def run_bench(quick: bool = False, out: TextIO | None = sys.stdout, keys=None) -> dict:
    """Run every case, print the table to ``out`` and return it as a dict.

    Parameters
    ----------
    quick
        Tiny inputs and one or two repeats: checks every case runs (CI), times mean nothing.
    out
        Where the table goes (None: do not print).
    keys
        Only these case keys (default: all of :data:`CASES`).

    Returns
    -------
    dict
        ``{"quick", "shape", "rows": {key: row}}``; each row has ``group``, ``label``, ``ms``
        (median, or None), ``floor_ms`` (the floor timed in the same process), ``x_floor``,
        ``versus``, ``speedup``, ``anchor_ms`` (the issue's reference figure),
        ``peak_extra_mib``, ``target``, ``verdict`` and ``note``.
    """
    shape = QUICK_SHAPE if quick else FULL_SHAPE
    repeats = 2 if quick else 7
    cases = [c for c in CASES if keys is None or c.key in keys]
    image_mib = shape[0] * shape[1] * 4 / _MIB
    rows: dict[str, dict] = {}
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    with tempfile.TemporaryDirectory(prefix="skybkg-bench-") as tmp:
        folder = Path(tmp)
        files = {k: str(v) for k, v in _write_calexp(folder, shape).items()}
        kernels = [c.key for c in cases if c.group not in ("glue", "demo")]
        # --quick checks that the cases run: one worker for all of them is enough
        batches = [kernels] if quick else [[key] for key in kernels]
        results = {}
        for batch in batches:
            results.update(_run_workers(batch, shape, repeats, files))
        for case in cases:
            if case.key in ("first_viewer", "cold_viewer") and case.key not in results:
                results.update(_run_viewer(_viewer_files(folder, shape), repeats))
            elif case.key == "demo":
                results[case.key] = (
                    {"error": "skipped with --quick (it needs the full-size sample)"}
                    if quick else _run_demo(folder / "demo"))
            rows[case.key] = _row(case, results[case.key], image_mib)
    for case in cases:
        row = rows[case.key]
        floor_ms = row["floor_ms"] = row["floor_ms"] or rows.get("floor", {}).get("ms")
        timed_in_worker = case.group not in ("glue", "demo")  # those are whole programs
        row["x_floor"] = (row["ms"] / floor_ms if timed_in_worker and row["ms"] is not None
                          and floor_ms else None)
        other = rows.get(case.versus or "", {}).get("ms")
        row["speedup"] = None if row["ms"] is None or not other else other / row["ms"]
        row["target"] = _target_text(case)
        row["verdict"] = "quick" if quick else _verdict(case, row, floor_ms)
    result = {"quick": quick, "shape": shape, "repeats": repeats, "rows": rows,
              "load": (load_before, os.getloadavg()[0]), "cpus": os.cpu_count()}
    if out is not None:
        print(format_table(result), file=out)
    return result


def _row(case: Case, result: dict, image_mib: float) -> dict:
    times = result.get("times")
    ms = 1000 * statistics.median(times) if times else None
    floor_times = result.get("floor_times")
    peak = result.get("peak_extra", result.get("peak_total"))
    return {
        "group": case.group,
        "label": case.label,
        "ms": ms,
        "versus": case.versus,
        "floor_ms": 1000 * statistics.median(floor_times) if floor_times else None,
        "anchor_ms": ANCHORS.get(case.key),
        "peak_extra_mib": None if peak is None else peak / _MIB,
        "peak_is_total": "peak_total" in result,
        "image_mib": image_mib,
        "note": "" if ms is not None else _short(result.get("error", "not run")),
    }


def _short(text: str) -> str:
    if "ModuleNotFoundError" in text or "ImportError" in text:
        return "not importable: " + text.split(":", 1)[-1].strip()
    return text[:90]


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(result: dict) -> str:
    """The benchmark as a fixed-width text table (one line per case, grouped)."""
    shape = result["shape"]
    head = (f"skybkg bench{' --quick' if result['quick'] else ''}: {shape[1]} x {shape[0]} "
            f"float32, medians of {result['repeats']}, single thread, "
            + ("kernel cases in one process" if result["quick"] else "each case a fresh process"))
    columns = (f"{'case':<56} {'ms':>9} {'x floor':>8} {'speed-up':>9} {'issue ms':>9} "
               f"{'peak MiB':>9}  {'target':<38} verdict")
    load = result.get("load")
    if load is not None:
        head += (f"; {result['cpus']} CPUs, 1-min load average {load[0]:.1f} at the start, "
                 f"{load[1]:.1f} at the end")
    lines = [head, columns, "-" * len(columns)]
    group = None
    for row in result["rows"].values():
        if row["group"] != group:
            group = row["group"]
            lines.append(f"[{group}]")
        speed = "-" if row["speedup"] is None else f"{row['speedup']:.1f}x"
        peak = _fmt(row["peak_extra_mib"], ".1f")
        if row["peak_is_total"] and row["peak_extra_mib"] is not None:
            peak += "*"
        lines.append(
            f"  {row['label']:<54} {_fmt(row['ms'], '.1f'):>9} {_fmt(row['x_floor'], '.2f'):>8} "
            f"{speed:>9} {_fmt(row['anchor_ms'], '.0f'):>9} {peak:>9}  {row['target']:<38} "
            f"{row['verdict']}" + (f"  ({row['note']})" if row["note"] else "")
        )
    lines.append(
        "x floor: this row's median / the floor's median timed alternately in the same process. "
        "speed-up: the compared row's time / this row's (ours vs notebook, numpy, astropy, "
        "scipy, in place). issue ms: the anchors measured on the issue's reference machine. "
        f"peak MiB: peak extra resident memory of one run (* = whole process); one image = "
        f"{shape[0] * shape[1] * 4 / _MIB:.1f} MiB; the issue's notebook statistics anchor is "
        "+389 MiB. The issue's GZIP_2 anchor (640 ms) is one plane; that row reads all three."
    )
    return "\n".join(lines)


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``skybkg bench``'s options (``--quick``) to ``parser``."""
    parser.add_argument("--quick", action="store_true",
                        help="tiny inputs, one or two repeats: checks every case runs (CI)")


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glue_skybkg.bench")
    add_bench_arguments(parser)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=7, help=argparse.SUPPRESS)
    parser.add_argument("--files", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        height, width = (int(v) for v in args.shape.split("x"))
        results = {}
        for key in args.worker.split(","):
            try:
                results[key] = _worker(key, (height, width), args.repeats,
                                       json.loads(args.files))
            except Exception as exc:  # reported in the case's row; the other cases still run
                results[key] = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(results), flush=True)
        return 0
    run_bench(quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
