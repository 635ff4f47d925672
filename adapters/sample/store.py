"""Where the sample lives and how it gets there: generated once, published atomically, reused.

Generation happens in a temporary sibling folder that is renamed into place only when
complete, so an interrupted run never leaves a half-written sample; a marker file records
the sample version, so a sample made by another version is regenerated.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SkybkgError
from .catalog import SAMPLE_VERSION, SEED, SampleSet, all_products, sample_root
from .generate import ProgressCallback, generate_products

__all__ = ["ensure_sample"]

_MARKER = ".skybkg-sample.json"


def _butler_available() -> bool:
    from importlib.util import find_spec

    try:
        return find_spec("lsst.daf.butler") is not None
    except ModuleNotFoundError:
        return False


def _write_marker(folder: Path, with_butler: bool) -> None:
    """Record the finished sample's version (what :func:`_read_marker` checks)."""
    marker = {
        "version": SAMPLE_VERSION,
        "seed": SEED,
        "butler": with_butler,
        "products": [p.path for p in all_products()],
    }
    (folder / _MARKER).write_text(json.dumps(marker, indent=1))


def _read_marker(root: Path, with_butler: bool) -> dict | None:
    """The marker of a complete, current sample in ``root``, else None.

    With ``with_butler`` (lsst-daf-butler installed) a sample made without its Butler
    repository is not current.
    """
    try:
        marker = json.loads((root / _MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("version") != SAMPLE_VERSION:
        return None
    if with_butler and not marker.get("butler"):
        return None
    return marker


def _sample_set(root: Path, marker: Mapping[str, Any]) -> SampleSet:
    return SampleSet(root, butler_repo=root if marker.get("butler") else None)


def _publish(partial: Path, root: Path) -> None:
    """Move a finished sample into place; an old or partial one at ``root`` is replaced."""
    try:
        os.rename(partial, root)
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    stale = root.with_name(f"skybkg-sample-stale-{os.getpid()}")
    os.rename(root, stale)
    os.rename(partial, root)
    shutil.rmtree(stale, ignore_errors=True)


def _write_failure(root: Path, exc: OSError) -> SkybkgError:
    if exc.errno == errno.ENOSPC:
        advice = "free about 300 MB there, or set SKYBKG_SAMPLE_DIR to a folder on a disk with room"
    else:
        advice = "set SKYBKG_SAMPLE_DIR to a folder you can write to"
    reason = exc.strerror or str(exc)
    return SkybkgError(f"could not write the sample data set into {root}: {reason}; {advice}")


def ensure_sample(
    root: str | os.PathLike | None = None, progress: bool | ProgressCallback = True
) -> SampleSet:
    """The sample data set, generated into ``root`` on first use and reused afterwards.

    Parameters
    ----------
    root
        Folder of the sample; default :func:`sample_root`.
    progress
        Show a progress bar while generating; a ``(done, total, step)`` callable is told
        each step too (a GUI shows its own bar with it).

    Returns
    -------
    SampleSet
        Paths and data ids of every product.

    Notes
    -----
    Generation happens in a temporary sibling folder that is renamed into place only when
    complete, so an interrupted run never leaves a half-written sample. A sample made by
    another version of this module, or without the Butler repository that an installed
    lsst-daf-butler now allows, is regenerated.
    """
    root = Path(root) if root is not None else sample_root()
    with_butler = _butler_available()
    marker = _read_marker(root, with_butler)
    if marker is not None:
        return _sample_set(root, marker)
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        # no dot in the name: the Butler would read what follows one as a config-file format
        partial = Path(tempfile.mkdtemp(prefix="skybkg-sample-partial-", dir=root.parent))
    except OSError as exc:
        raise _write_failure(root, exc) from exc
    try:
        generate_products(partial, progress, with_butler)
        _write_marker(partial, with_butler)
        finished = _read_marker(root, with_butler)
        if finished is not None:
            # another process finished first; keep its copy
            shutil.rmtree(partial, ignore_errors=True)
            return _sample_set(root, finished)
        _publish(partial, root)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise _write_failure(root, exc) from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return _sample_set(root, _read_marker(root, with_butler) or {})
