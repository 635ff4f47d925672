"""Running a row-block kernel over the rows of a render, optionally on a few threads.

The render kernels release the GIL (numba ``nogil``), so Python threads can run blocks of
rows in parallel. By default a render uses one thread: the survey runs many renders at once
on dask workers, one per core, and on the shared 2-core machines here threads measured
slower under load (a 32x32 spline over 4072x4000 took 69 ms threaded against 19 ms on one
core while other processes ran). :func:`set_render_threads` or ``SKYBKG_RENDER_THREADS``
opts in. With threads, blocks are handed out one at a time from a shared counter and the
caller works through them too, so a helper that is not scheduled only means the caller
does more of the blocks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["render_threads", "row_blocks", "run_blocks", "set_render_threads"]

_ROWS_PER_BLOCK = 128  # below this, handing a block to a thread costs more than it saves
_BLOCKS_PER_THREAD = 4
_ENV = "SKYBKG_RENDER_THREADS"

_chosen: int | None = None
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def set_render_threads(threads: int | None) -> None:
    """Use ``threads`` threads per render from now on (None: back to the default).

    The default is ``$SKYBKG_RENDER_THREADS`` if set, else 1.
    """
    global _chosen
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer or None; got {threads!r}")
    _chosen = threads


def render_threads() -> int:
    """How many threads a render uses (see :func:`set_render_threads`)."""
    if _chosen is not None:
        return _chosen
    text = os.environ.get(_ENV, "").strip()
    if not text:
        return 1
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"${_ENV} must be a positive integer; got {text!r}") from None
    if value < 1:
        raise ValueError(f"${_ENV} must be a positive integer; got {text!r}")
    return value


def _helpers(threads: int) -> ThreadPoolExecutor:
    """The shared helper threads (one fewer than ``threads``: the caller is the last one)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < threads - 1:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(threads - 1, thread_name_prefix="skybkg-render")
            _pool_size = threads - 1
        return _pool


def row_blocks(n_rows: int) -> np.ndarray:
    """Edges ``e`` of the row blocks: block ``b`` is rows ``e[b] .. e[b+1]-1``."""
    threads = render_threads()
    count = (
        1 if threads == 1 else max(1, min(n_rows // _ROWS_PER_BLOCK, _BLOCKS_PER_THREAD * threads))
    )
    return np.linspace(0, n_rows, count + 1).astype(np.int64)


def run_blocks(kernel: Callable[[int, int], object], edges: np.ndarray) -> list:
    """``[kernel(e[b], e[b+1]) for b ...]``, the blocks spread over the render threads.

    The first exception a kernel raises is raised here, once every thread has stopped.
    """
    n_blocks = len(edges) - 1
    threads = min(render_threads(), n_blocks)
    if threads <= 1:
        return [kernel(int(edges[b]), int(edges[b + 1])) for b in range(n_blocks)]
    results: list = [None] * n_blocks
    next_block = iter(range(n_blocks))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                b = next(next_block, None)
            if b is None:
                return
            results[b] = kernel(int(edges[b]), int(edges[b + 1]))

    pool = _helpers(threads)
    helpers = [pool.submit(work) for _ in range(threads - 1)]
    try:
        work()
    finally:
        for helper in helpers:
            helper.result()
    return results
