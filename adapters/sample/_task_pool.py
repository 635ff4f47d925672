"""Independent tasks run on two cores: in this process and in one worker process.

Made for work that holds the GIL (astropy's tile compression calls zlib per row), where
threads do not help. The worker is a plain ``python -m`` subprocess fed task names on
stdin, not :mod:`multiprocessing`: its spawn start method re-runs the caller's
``__main__``, which breaks scripts without an ``if __name__ == "__main__"`` guard.
"""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence

from ..errors import SkybkgError

__all__ = ["run_tasks"]


def run_tasks(
    function: Callable[[str, str], None],
    argument: str,
    tasks: Sequence[str],
    done: Callable[[], None],
) -> None:
    """Call ``function(argument, task)`` for every task, here and in a worker process.

    Parameters
    ----------
    function
        A module-level function (the worker imports it by module and name).
    argument
        Its first argument, the same for every task.
    tasks
        Task names, taken in order by whichever process is free.
    done
        Called (in some thread of this process) after each finished task.

    Raises
    ------
    OSError, SkybkgError
        The first failure, here or in the worker (with the worker's errno and message);
        no new task starts after it.
    """
    pending = deque(tasks)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def take() -> str | None:
        with lock:
            return None if failures or not pending else pending.popleft()

    target = f"{function.__module__}:{function.__qualname__}"
    worker = subprocess.Popen(
        [sys.executable, "-m", __name__, target, argument],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    stdin, stdout = worker.stdin, worker.stdout
    assert stdin is not None  # a pipe
    assert stdout is not None  # a pipe

    def feed() -> None:
        try:
            while (task := take()) is not None:
                stdin.write(f"{task}\n")
                stdin.flush()
                reply = stdout.readline().strip()
                if reply != "ok":
                    failures.append(_reported(reply))
                    return
                done()
        except OSError as exc:  # the worker died mid-conversation
            failures.append(exc)
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        while (task := take()) is not None:
            function(argument, task)
            done()
    except BaseException as exc:
        failures.append(exc)
    finally:
        feeder.join()
        worker.wait()
    if failures:
        raise failures[0]


def _reported(reply: str) -> BaseException:
    """The exception a worker reported as ``error <errno> <message>`` (or died without)."""
    if not reply.startswith("error "):
        return SkybkgError("a worker process stopped unexpectedly; see the messages above")
    code, _, message = reply[len("error ") :].partition(" ")
    if code.isdigit() and int(code):
        return OSError(int(code), message)
    return SkybkgError(message)


def _serve(target: str, argument: str) -> int:
    """The worker: run ``target(argument, line)`` per stdin line and answer on stdout."""
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    replies = sys.stdout
    sys.stdout = sys.stderr  # whatever a task prints must not garble the replies
    for line in sys.stdin:
        try:
            function(argument, line.strip())
        except Exception as exc:  # reported to the parent, which raises it
            errno = exc.errno if isinstance(exc, OSError) and exc.errno else 0
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            replies.write(f"error {errno} {reason}".replace("\n", " ") + "\n")
            replies.flush()
            return 1
        replies.write("ok\n")
        replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(*sys.argv[1:3]))
