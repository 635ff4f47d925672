"""The benchmark's notebook program: ``open(...)`` in a running kernel, timed to the drawn viewer.

Run as ``python -m glue_skybkg.jupyter.bench_viewer CALEXP BACKGROUND`` by ``skybkg bench``:
it starts an IPython kernel (as JupyterLab does), imports the plugin and makes the
application there, then runs the cell a user runs, ``skyj.open(CALEXP, BACKGROUND, app=app)``
(displayed, so its widgets are sent), and reports the plot size as the page would, which
draws the image; it prints ``REQUEST <seconds>`` from the call to the drawn image.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_SETUP = """
import time
import glue_skybkg.jupyter as skyj
from glue_jupyter.app import JupyterApplication
app = JupyterApplication()
"""

_CELL = """
start = time.perf_counter()
skyj.open({calexp!r}, {background!r}, app=app)
image = skyj.report_size(skyj.panel(app).viewer, 600, 400)
assert image[..., :3].std() > 0, "the viewer drew no image"
print("REQUEST", time.perf_counter() - start, flush=True)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Time one ``open`` in a fresh kernel; prints the ``REQUEST`` line (or the kernel's error)."""
    from jupyter_client.manager import start_new_kernel

    calexp, background = argv if argv is not None else sys.argv[1:3]
    manager, client = start_new_kernel(kernel_name="python3")
    lines: list[str] = []

    def collect(message: dict) -> None:
        content = message["content"]
        if message["msg_type"] == "stream":
            lines.append(content["text"])
        elif message["msg_type"] == "error":
            lines.append("\n".join(content["traceback"]))

    try:
        for code in (_SETUP, _CELL.format(calexp=calexp, background=background)):
            reply = client.execute_interactive(code, timeout=300, output_hook=collect)
            if reply["content"]["status"] != "ok":
                print("".join(lines), file=sys.stderr)
                return 1
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    print("".join(lines), end="", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
