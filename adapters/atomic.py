"""Atomic file output: a file appears complete under its final name, or not at all."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_output"]


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    The temporary file lives in the same folder so :func:`os.replace` is an atomic
    rename on one file system. If the body raises, the temporary file is removed and
    ``path`` is left untouched (a previous version of it survives).
    """
    final = Path(path)
    # O_EXCL makes the name ours alone; mode 0o666 lets the umask decide the final
    # permissions, as for any normally created file (mkstemp would force 0600).
    tmp = final.with_name(f".{final.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
