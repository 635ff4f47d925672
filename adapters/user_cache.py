"""glue-skybkg's folder in the user's cache: downloads and the sample data set live under it."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["user_cache_dir"]


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/glue-skybkg`` (``~/.cache/glue-skybkg`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "glue-skybkg"
