"""Running the cases and measuring them: worker processes, timings, peak memory.

A kernel case runs in a worker (``python -m glue_skybkg.cli.bench.measure --worker KEYS``)
that prints one JSON line of measurements; the glue and demo cases are whole programs, run
and timed from here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .cases import prepare

__all__ = [
    "run_demo_case",
    "run_jupyter_viewer_case",
    "run_kernel_cases",
    "run_survey_case",
    "run_viewer_cases",
]

_THREAD_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "QT_QPA_PLATFORM": "offscreen",
}


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
    run = prepare(key, shape, files)
    floor = prepare("floor", shape, files)
    run()
    floor()
    peak = _peak_extra_bytes(run)
    times, floor_times = [], []
    for _ in range(repeats):
        floor_times.append(_timed(floor))
        times.append(_timed(run))
    return {"times": times, "floor_times": floor_times, "peak_extra": peak}


def _run_measured(command: Sequence[str], timeout: float) -> tuple[int, str, str, int]:
    """Run ``command``; its exit status, stdout, stderr and peak resident memory in bytes.

    The peak comes from the kernel's accounting of this one child (``wait4``), so the program
    measured needs no code of its own for it.
    """
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    streams: dict[str, str] = {}

    def drain(name: str, stream: Any) -> None:
        streams[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=(name, stream), daemon=True)
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    return (
        process.returncode,
        streams.get("out", ""),
        streams.get("err", ""),
        usage.ru_maxrss * 1024,
    )


def _last_line(text: str) -> str:
    return (text.strip().splitlines() or ["no output"])[-1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(_THREAD_ENV)
    return env


def run_kernel_cases(
    keys: list[str], shape: tuple[int, int], repeats: int, files: dict[str, str]
) -> dict:
    """Run the cases ``keys`` one after the other in one fresh worker process."""
    command = [
        sys.executable,
        "-m",
        __name__,
        "--worker",
        ",".join(keys),
        "--shape",
        f"{shape[0]}x{shape[1]}",
        "--repeats",
        str(repeats),
        "--files",
        json.dumps(files),
    ]
    _, stdout, stderr, _ = _run_measured(command, timeout=1800)
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {key: {"error": _last_line(stderr)} for key in keys}


def run_viewer_cases(files: tuple[Path, ...], repeats: int) -> dict[str, dict]:
    """The two glue rows, from ``repeats`` fresh processes (each makes one first request).

    ``first_viewer``: request -> drawn, inside a running GlueApplication with every module
    imported (the user clicks Fetch in an open glue).  ``cold_viewer``: from launching python
    to the same drawn viewer (imports, GlueApplication, then the request).
    """
    requests, colds, peaks = [], [], []
    for _ in range(repeats):
        command = [sys.executable, "-m", "glue_skybkg.qt.bench_viewer", *map(str, files)]
        launched = time.time()
        status, stdout, stderr, peak = _run_measured(command, timeout=600)
        values = dict(
            line.split() for line in stdout.splitlines() if line.startswith(("REQUEST", "DRAWN_AT"))
        )
        if status or len(values) < 2:
            error = {"error": "not available: " + _last_line(stderr)}
            return {"first_viewer": error, "cold_viewer": error}
        requests.append(float(values["REQUEST"]))
        colds.append(float(values["DRAWN_AT"]) - launched)
        peaks.append(peak)
    return {
        "first_viewer": {"times": requests, "peak_total": max(peaks)},
        "cold_viewer": {"times": colds, "peak_total": max(peaks)},
    }


def run_jupyter_viewer_case(files: tuple[Path, Path], repeats: int) -> dict:
    """The notebook row: ``open(...)`` to the drawn viewer in a fresh kernel, ``repeats`` times.

    Each run starts its own kernel, which imports the plugin and makes the application
    before the timed cell (the user has run the notebook's first cells).
    """
    requests, peaks = [], []
    for _ in range(repeats):
        command = [sys.executable, "-m", "glue_skybkg.jupyter.bench_viewer", *map(str, files)]
        status, stdout, stderr, peak = _run_measured(command, timeout=600)
        values = dict(line.split() for line in stdout.splitlines() if line.startswith("REQUEST"))
        if status or "REQUEST" not in values:
            return {"error": "not available: " + _last_line(stderr or stdout)}
        requests.append(float(values["REQUEST"]))
        peaks.append(peak)
    return {"times": requests, "peak_total": max(peaks)}


def run_demo_case(out: Path) -> dict:
    """``skybkg demo --no-gui``, twice: the second run's time and peak memory.

    The first run makes the sample and fills the caches.
    """
    command = [sys.executable, "-m", "glue_skybkg.cli", "demo", "--no-gui", "--quiet"]
    command += ["--out", str(out)]
    times, peak = [], 0
    for attempt in range(2):
        start = time.perf_counter()
        status, _, stderr, peak = _run_measured(command, timeout=3600)
        elapsed = time.perf_counter() - start
        if status:
            return {"error": f"failed: {_last_line(stderr)}"}
        if attempt:
            times.append(elapsed)
    return {"times": times, "peak_total": peak}


_SURVEY_VISITS = {"survey_visit": "512055", "survey_three_visits": "512055,1172317,1206010"}
_TREE_SAMPLE_S = 0.05


def _tree_peak(process: subprocess.Popen) -> int:
    """Peak of the summed resident memory of ``process`` and all its descendants, sampled."""
    import psutil  # dask.distributed's dependency, so present wherever the survey runs

    try:
        root = psutil.Process(process.pid)
    except psutil.NoSuchProcess:
        return 0
    peak = 0
    while process.poll() is None:
        total = 0
        try:
            for member in [root, *root.children(recursive=True)]:
                total += member.memory_info().rss
        except psutil.NoSuchProcess:  # a member ended between listing and reading
            pass
        peak = max(peak, total)
        time.sleep(_TREE_SAMPLE_S)
    return peak


def _sample_into(process: subprocess.Popen, peaks: list[int]) -> None:
    peaks.append(_tree_peak(process))


def run_survey_case(key: str, out: Path) -> dict:
    """``skybkg survey sample: --visits ...`` on a local cluster sized to the machine, twice.

    The first run makes the sample and fills the numba caches; the second is timed, its
    peak memory is that of the whole process tree (client, scheduler, workers), and its
    rate is detectors per second per core.
    """
    visits = _SURVEY_VISITS[key]
    command = [sys.executable, "-m", "glue_skybkg.cli", "survey", "sample:", "--visits", visits]
    command += ["--out", str(out), "-q"]
    elapsed, peak = 0.0, 0
    for _ in range(2):
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        )
        peaks: list[int] = []
        sampler = threading.Thread(target=_sample_into, args=(process, peaks))
        sampler.start()
        _, stderr = process.communicate(timeout=3600)
        elapsed = time.perf_counter() - start
        sampler.join()
        peak = peaks[0] if peaks else 0
        if process.returncode:
            return {"error": f"failed: {_last_line(stderr)}"}
    detectors = 189 * len(visits.split(","))
    cores = os.cpu_count() or 1
    rate = detectors / elapsed / cores
    note = f"{rate:.1f} detectors/s/core ({detectors} detectors, {cores} cores)"
    return {"times": [elapsed], "peak_total": peak, "note": note}


def _worker_main(argv: list[str] | None = None) -> int:
    """The worker: run the cases named by ``--worker`` and print their measurements as JSON."""
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("--worker", required=True)
    parser.add_argument("--shape", required=True)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--files", default="{}")
    args = parser.parse_args(argv)
    height, width = (int(v) for v in args.shape.split("x"))
    results = {}
    for key in args.worker.split(","):
        try:
            results[key] = _worker(key, (height, width), args.repeats, json.loads(args.files))
        except Exception as exc:  # reported in the case's row; the other cases still run
            results[key] = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
