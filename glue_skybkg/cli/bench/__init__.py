"""``skybkg bench``: our kernels side by side with the anchors of the issues, at the memory floor.

Every case runs in a fresh Python process (so import and JIT-cache costs and peak memory are its
own), single threaded (``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS`` ... set to 1), on the same
deterministic 4072 x 4000 inputs, and reports the median of its repeats.  The floor is allocating
and filling one float32 image, timed alternately with each case in the case's process; ratios to
it travel between machines and survive load drift, absolute times do not.  ``--quick`` runs
every case on tiny inputs with two repeats (the kernel cases in one process): a correctness run
for CI.

:mod:`.cases` holds the cases and their inputs, :mod:`.measure` runs and measures them (in
worker processes), :mod:`.table` turns the measurements into rows, verdicts and the table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from .cases import CASES, FULL_SHAPE, QUICK_SHAPE, dp2_viewer_file, viewer_files, write_calexp
from .lsst_images import LSST_IMAGES_KEYS, run_lsst_images_cases
from .measure import (
    run_demo_case,
    run_jupyter_viewer_case,
    run_kernel_cases,
    run_survey_case,
    run_viewer_cases,
)
from .table import MIB, format_table, make_row, target_text, verdict

__all__ = ["add_command", "run", "run_bench"]


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``skybkg bench``."""
    parser = commands.add_parser("bench", help="time and memory of every step on this machine")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny inputs, one or two repeats: checks every case runs (CI)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark from parsed arguments; the table goes to stdout."""
    run_bench(quick=args.quick)
    return 0


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
    image_mib = shape[0] * shape[1] * 4 / MIB
    rows: dict[str, dict] = {}
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    with tempfile.TemporaryDirectory(prefix="skybkg-bench-") as tmp:
        folder = Path(tmp)
        files = {k: str(v) for k, v in write_calexp(folder, shape).items()}
        kernels = [
            c.key
            for c in cases
            if c.group not in ("glue", "demo", "survey") and c.key not in LSST_IMAGES_KEYS
        ]
        # --quick checks that the cases run: one worker for all of them is enough
        batches = [kernels] if quick else [[key] for key in kernels]
        results = {}
        for batch in batches:
            results.update(run_kernel_cases(batch, shape, repeats, files))
        anchors = [c.key for c in cases if c.key in LSST_IMAGES_KEYS]
        if anchors:
            results.update(run_lsst_images_cases(anchors, shape, repeats, folder))
        for case in cases:
            if case.key in ("first_viewer", "cold_viewer") and case.key not in results:
                results.update(run_viewer_cases(viewer_files(folder, shape), repeats))
            elif case.key == "jupyter_viewer":
                results[case.key] = run_jupyter_viewer_case(viewer_files(folder, shape), repeats)
            elif case.key == "first_viewer_dp2":
                dp2 = run_viewer_cases((dp2_viewer_file(folder, shape),), repeats)
                results[case.key] = dp2["first_viewer"]
            elif case.key == "demo":
                results[case.key] = (
                    {"error": "skipped with --quick (it needs the full-size sample)"}
                    if quick
                    else run_demo_case(folder / "demo")
                )
            elif case.group == "survey":
                results[case.key] = (
                    {"error": "skipped with --quick (it needs the full-size sample)"}
                    if quick
                    else run_survey_case(case.key, folder / case.key)
                )
            rows[case.key] = make_row(case, results[case.key], image_mib)
    for case in cases:
        row = rows[case.key]
        floor_ms = row["floor_ms"] = row["floor_ms"] or rows.get("floor", {}).get("ms")
        timed_in_worker = case.group not in ("glue", "demo", "survey")  # whole programs
        row["x_floor"] = (
            row["ms"] / floor_ms if timed_in_worker and row["ms"] is not None and floor_ms else None
        )
        versus = rows.get(case.versus or "", {})
        # an anchor that cannot be measured here is compared by its quoted figure
        other = versus.get("ms") or (None if quick else versus.get("anchor_ms"))
        row["speedup"] = None if row["ms"] is None or not other else other / row["ms"]
        row["target"] = target_text(case)
        row["verdict"] = "quick" if quick else verdict(case, row, floor_ms)
    result = {
        "quick": quick,
        "shape": shape,
        "repeats": repeats,
        "rows": rows,
        "load": (load_before, os.getloadavg()[0]),
        "cpus": os.cpu_count(),
    }
    if out is not None:
        print(format_table(result), file=out)
    return result
