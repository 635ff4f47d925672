"""JupyterLab on 127.0.0.1 and the system Chromium through Playwright, for the browser test.

No browser is ever downloaded: Playwright drives Debian's ``chromium`` (``.ci/run`` installs
it).  Everything waits with a deadline, so a stuck page fails the test instead of hanging.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--enable-unsafe-swiftshader",  # the image is WebGL: software rendering, without the warning
    "--disable-dev-shm-usage",
]

KERNEL_IDLE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""
"""True once the notebook's kernel is connected and idle (JupyterLab's own objects)."""


def chromium() -> str | None:
    """Debian's Chromium, or None where it is not installed."""
    return shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(root: Path, home: Path, env: dict[str, str], timeout: float) -> Iterator[str]:
    """A JupyterLab server on a random port with a token; yields the URL of ``root``'s tree.

    ``home`` is the server's and the kernels' HOME; JupyterLab's news toast is turned off so
    that nothing covers the page, and every cell is kept in the page.  The server is stopped
    (its kernels with it) on exit.
    """
    port, token = _free_port(), secrets.token_hex(16)
    settings = home / "lab-settings"
    notifications = settings / "@jupyterlab" / "apputils-extension"
    notifications.mkdir(parents=True)
    (notifications / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"})
    )
    # JupyterLab 4 leaves cells outside the window out of the page; the test reads them all
    notebook = settings / "@jupyterlab" / "notebook-extension"
    notebook.mkdir(parents=True)
    (notebook / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        **env,
    }
    log = (home / "jupyter-lab.log").open("w")
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
    ]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _answers(f"{base}/api/status?token={token}"):
            if server.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {(home / 'jupyter-lab.log').read_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"jupyter lab did not answer within {timeout} s")
            time.sleep(0.2)
        yield f"{base}/lab/tree/{{name}}?token={token}&reset"
    finally:
        server.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def grey_std(png: bytes, central: float = 0.7) -> float:
    """Grey-level standard deviation (0-255) of the central part of a PNG."""
    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    height, width = grey.shape
    dy, dx = int(height * (1 - central) / 2), int(width * (1 - central) / 2)
    return float(grey[dy : height - dy, dx : width - dx].std())


def settled_screenshot(page, locator, deadline: float, interval: float = 0.5) -> bytes:
    """An element screenshot once three in a row are equal with the kernel idle.

    Two equal captures can come before the kernel's last update arrives; three with the
    kernel idle do not.
    """
    last, same = None, 0
    while time.monotonic() < deadline:
        shot = locator.screenshot()
        idle = page.evaluate(KERNEL_IDLE_JS)
        same = same + 1 if shot == last and idle else 0
        if same >= 2:
            return shot
        last = shot
        time.sleep(interval)
    raise TimeoutError("the viewer never settled")
