"""A real ``dagster-webserver`` for the UI tests, and the Debian Chromium they drive.

The webserver runs from this virtualenv on a free loopback port, in its own
process group (it starts a gRPC code server beside it: stopping the group
stops both), with a throw-away ``DAGSTER_HOME``. It only needs the parsed dbt
manifest: the asset graph is built from it, no warehouse has to exist.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dagster_project.settings import PROJECT_ROOT

VENV_BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 120
CHROMIUM = Path("/usr/bin/chromium")
# The network is closed here: without these, Chromium keeps opening connections to the outside.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DagsterWebserver:
    """``dagster-webserver -w workspace.yaml`` on 127.0.0.1; ``stop()`` ends its whole process group."""

    def __init__(self, home: Path, scratch: Path) -> None:
        self.home = home
        self.scratch = scratch
        self.log_path = home / "webserver.log"
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, last: int = 8000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-last:]
        except OSError:
            return "(no log)"

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        # No telemetry: the page would otherwise load a script from the internet.
        (self.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            # Point the code location away from the developer's files; loading it must not need them.
            "TRUSTQA_DUCKDB_PATH": str(self.scratch / "trustqa.duckdb"),
            "TRUSTQA_DATA_DOCS_DIR": str(self.scratch / "data_docs"),
        }
        env.pop("DAGSTER_IS_DEV_CLI", None)  # no re-parse of the dbt project: the manifest is prepared
        for _ in range(3):
            self.port = free_port()
            command = [
                str(VENV_BIN / "dagster-webserver"),
                "-w",
                str(PROJECT_ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ]
            with open(self.log_path, "w") as log:
                self.proc = subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            try:
                self._wait_until_ready()
                return
            except _PortTaken:
                self.stop()  # another process took the port between free_port() and the bind: try another
            except BaseException:
                self.stop()
                raise
        pytest.fail(f"dagster-webserver could not bind a free port:\n{self.log()}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log().lower():
                    raise _PortTaken
                pytest.fail(f"dagster-webserver exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=5) as r:
                    json.load(r)
                location = self._location_status()
                if location is not None:
                    status, typename, message = location
                    if status == "LOADED" and typename == "RepositoryLocation":
                        return
                    if status == "LOADED":
                        pytest.fail(f"the code location failed to load: {typename}: {message}\n{self.log()}")
                    last_error = f"code location {status}"
            except (OSError, ValueError) as exc:  # not listening yet, or a half-started server
                last_error = repr(exc)
            time.sleep(0.5)
        pytest.fail(f"dagster-webserver not ready after {READY_TIMEOUT_S} s ({last_error}):\n{self.log()}")

    def _location_status(self) -> tuple[str, str, str] | None:
        data = self.graphql(
            """{ workspaceOrError { __typename ... on Workspace { locationEntries {
                 name loadStatus
                 locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
        )
        entries = data["workspaceOrError"].get("locationEntries") or []
        for entry in entries:
            if entry["name"] == "trustqa":
                error = entry["locationOrLoadError"] or {}
                return entry["loadStatus"], error.get("__typename", ""), error.get("message", "")
        return None

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """POST to ``/graphql``; returns ``data`` and fails the test on GraphQL errors."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                answer = json.load(r)
        except urllib.error.HTTPError as exc:  # Dagster answers 400 with the GraphQL errors in the body
            answer = json.loads(exc.read() or b"{}")
        if answer.get("errors"):
            pytest.fail(f"GraphQL errors: {json.dumps(answer['errors'], indent=1)[:4000]}")
        return answer["data"]

    def stop(self) -> None:
        """SIGTERM to the process group, a few seconds' grace, then SIGKILL (dagster may ignore SIGTERM)."""
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the webserver leads its own group
        _killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        _killpg(pgid, signal.SIGKILL)  # also the code server, should it outlive the webserver
        self.proc.wait(timeout=10)
        self.proc = None


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


class _PortTaken(Exception):
    pass


def ensure_chromium() -> Path:
    """Debian's ``chromium``, which ``make test`` sets up before the tests (``make browser``); skip without it.

    The tests only look for it: installing a browser is a set-up step, not a test's.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            f"no {CHROMIUM}: `make browser` (run by `make test`) installs Debian's chromium package "
            "with apt-get as root; as another user, install it yourself"
        )
    return CHROMIUM
