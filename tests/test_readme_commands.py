"""README command (a): `make course` sets up and serves the course at the start-here notebook.

(Command (b), `make test`, is what runs this suite; .ci/run calls it on every submission.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_course_serves_the_start_page(tmp_path):
    port, token = _free_port(), "passk-test"
    env = dict(os.environ, JUPYTER_TOKEN=token, BROWSER="true")  # BROWSER=true: open no browser window
    log_path = tmp_path / "make_course.log"  # a file, not a pipe: a full pipe would stall the server
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            ["make", "-s", "course", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/api/contents/notebooks/00_start_here.ipynb?content=0&token={token}"
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.5)
        if status is None:
            log = log_path.read_text(errors="replace")
            pytest.fail(f"`make course` did not serve the start page within 120 s:\n{log[-3000:]}")
        assert status == 200
        # the browser lands on the start page: the server's default URL is that notebook
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=10) as response:
            assert response.geturl().split("?")[0].endswith("/lab/tree/notebooks/00_start_here.ipynb")
        # and no "get notified about official Jupyter news?" pop-up covers it: the course's settings are the defaults
        news = f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}"
        with urllib.request.urlopen(news, timeout=10) as response:
            defaults = {k: v.get("default") for k, v in json.load(response)["schema"]["properties"].items()}
        assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
