"""The benchmark's rows, verdicts and printed table."""

from __future__ import annotations

import statistics

from .cases import ANCHORS, Case

__all__ = ["MIB", "format_table", "make_row", "target_text", "verdict"]

MIB = 1 << 20
"""Bytes in a MiB."""


def verdict(case: Case, row: dict, floor_ms: float | None) -> str:
    """``PASS`` when ``row`` meets every target of ``case``, ``MISS`` if not, ``-`` without one."""
    checks = []
    if (
        case.target is None
        and case.mem_target_images is None
        and case.min_speedup is None
        and case.mem_target_mib is None
    ):
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
        checks.append(
            row.get("peak_extra_mib") is not None
            and row["peak_extra_mib"] <= case.mem_target_images * row["image_mib"]
        )
    if case.min_speedup is not None:
        checks.append(row.get("speedup") is not None and row["speedup"] >= case.min_speedup)
    if case.mem_target_mib is not None:
        checks.append(
            row.get("peak_extra_mib") is not None and row["peak_extra_mib"] < case.mem_target_mib
        )
    return "PASS" if all(checks) else "MISS"


def target_text(case: Case) -> str:
    """The targets of ``case`` in words (``<= 4x floor, >= 5x faster``), or ``-``."""
    parts = []
    if case.target is not None:
        kind, limit = case.target
        parts.append(f"<= {limit:g}x floor" if kind == "floor" else f"<= {limit:g} s")
    if case.min_speedup is not None:
        parts.append(f">= {case.min_speedup:g}x faster")
    if case.mem_target_images is not None:
        parts.append(f"mem <= {case.mem_target_images:g} image")
    if case.mem_target_mib is not None:
        parts.append(f"tree mem < {case.mem_target_mib / 1024:g} GiB")
    return ", ".join(parts) or "-"


def make_row(case: Case, result: dict, image_mib: float) -> dict:
    """One row of the table from a case's measurements (medians; errors become its note)."""
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
        "peak_extra_mib": None if peak is None else peak / MIB,
        "peak_is_total": "peak_total" in result,
        "image_mib": image_mib,
        "note": result.get("note", "")
        if ms is not None
        else _short(result.get("error", "not run")),
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
    head = (
        f"skybkg bench{' --quick' if result['quick'] else ''}: {shape[1]} x {shape[0]} "
        f"float32, medians of {result['repeats']}, single thread, "
        + ("kernel cases in one process" if result["quick"] else "each case a fresh process")
    )
    columns = (
        f"{'case':<56} {'ms':>9} {'x floor':>8} {'speed-up':>9} {'issue ms':>9} "
        f"{'peak MiB':>9}  {'target':<38} verdict"
    )
    load = result.get("load")
    if load is not None:
        head += (
            f"; {result['cpus']} CPUs, 1-min load average {load[0]:.1f} at the start, "
            f"{load[1]:.1f} at the end"
        )
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
        f"{shape[0] * shape[1] * 4 / MIB:.1f} MiB; the issue's notebook statistics anchor is "
        "+389 MiB. The issue's GZIP_2 anchor (640 ms) is one plane; that row reads all three."
    )
    return "\n".join(lines)
