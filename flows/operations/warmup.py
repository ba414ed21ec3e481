"""A cold process's fixed costs, paid side by side rather than one after the other.

A fresh ``chitieu run`` with no ``PREFECT_API_URL`` needs Prefect's temporary API server,
which Prefect would start on the flow's first call: a subprocess that imports Prefect's
whole server and opens its database. Before that, the CLI imports Prefect, Great
Expectations and dbt, each slow to import. Prefect's own way to start that server from
this process (``SubprocessASGIServer``) first imports the server's modules here too
(this process's time, for a server that runs elsewhere). Figures: docs/performance.md.

So the CLI starts the same server subprocess itself, before it imports anything heavy: the
server comes up on the other core while this process imports the libraries it needs anyway,
and the night starts with both ready. The flow then talks to it as Prefect would have.
"""

from __future__ import annotations

import atexit
import gc
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flows.subprocesses import dying_with_parent

# What Prefect's SubprocessASGIServer (prefect.server.api.server) adds to the server's
# environment: an ephemeral server (no UI, no background services) that is the final app.
TEMPORARY_SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
# uvicorn exits with 3 when its port was taken between choosing it and binding it.
_PORT_TAKEN_EXIT_CODE = 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def temporary_server_command(port: int) -> list[str]:
    """The command Prefect runs for its temporary server (``SubprocessASGIServer``)."""
    spec = importlib.util.find_spec("prefect")
    assert spec is not None and spec.submodule_search_locations, "prefect is not installed"
    app_dir = Path(next(iter(spec.submodule_search_locations))).parent
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(app_dir),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]


class ServerExited(RuntimeError):
    """A Prefect server process exited before it answered."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(f"The Prefect server exited with code {exit_code} before it answered")
        self.exit_code = exit_code


def wait_until_healthy(api_url: str, process: subprocess.Popen, timeout_s: float) -> None:
    """Wait until the Prefect API at ``api_url`` answers its health check.

    Raises :class:`ServerExited` if ``process`` (the server) exits first, TimeoutError after
    ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        exit_code = process.poll()
        if exit_code is not None:
            raise ServerExited(exit_code)
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    raise TimeoutError(f"The Prefect server did not answer at {api_url} in {timeout_s:.0f} s")


@dataclass
class EarlyPrefectServer:
    """Prefect's temporary API server, started by this process before it imports Prefect."""

    process: subprocess.Popen
    port: int
    # A forked child inherits the exit hook; only the process that started the server stops it.
    owner_pid: int = field(default_factory=os.getpid)

    @classmethod
    def start(cls) -> EarlyPrefectServer:
        """Start the server subprocess on a free loopback port; does not wait for it."""
        port = _free_port()
        process = subprocess.Popen(
            dying_with_parent(temporary_server_command(port)),
            env={**os.environ, **TEMPORARY_SERVER_ENV},
            # The CLI's stdout carries the run summary (or its JSON): the server keeps off it.
            stdout=subprocess.DEVNULL,
        )
        server = cls(process, port)
        # Stopped at exit, as Prefect stops its own: registered before Prefect's log and
        # event workers exist, so it runs after they have sent their last records.
        atexit.register(server.stop)
        return server

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_until_ready(self, timeout_s: float) -> str:
        """Wait until the server answers its health check; its API URL.

        Restarts it on another port if its port was taken meanwhile, as Prefect does.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                wait_until_healthy(self.api_url, self.process, deadline - time.monotonic())
                return self.api_url
            except ServerExited as exited:
                if exited.exit_code != _PORT_TAKEN_EXIT_CODE:
                    raise
                replacement = EarlyPrefectServer.start()
                self.process, self.port = replacement.process, replacement.port

    def stop(self) -> None:
        """Stop the server and wait for it (killed if it does not stop in 10 s)."""
        if os.getpid() == self.owner_pid and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _configured_server_or_none() -> tuple[str | None, bool]:
    """Prefect's own view: the configured API URL, and whether temporary servers are allowed."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    return PREFECT_API_URL.value() or None, bool(PREFECT_SERVER_EPHEMERAL_ENABLED.value())


def _may_need_temporary_server() -> bool:
    """Whether this process will (probably) need Prefect's temporary server.

    Once Prefect is imported its settings say so exactly (a test harness sets them
    in-process). Before that only the environment can be read for free; a profile that
    names a server is checked once Prefect is imported, and the early server stopped then.
    """
    if "prefect.settings" in sys.modules:
        api_url, temporary_allowed = _configured_server_or_none()
        return api_url is None and temporary_allowed
    allowed = os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "true").lower()
    return not os.environ.get("PREFECT_API_URL") and allowed not in {"0", "false", "no", "off"}


def _startup_timeout_s() -> float:
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    return float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())


def import_heavy_libraries() -> None:
    """Import Prefect's flow engine, Great Expectations and dbt (imports only).

    Done before any process pool forks: a fork is only unsafe *during* an import on
    another thread, never after it.
    """
    # Prefect first: it sets up its logging on import, before the others configure theirs.
    import prefect.flow_engine  # noqa: F401

    # isort: split
    import dbt.cli.main  # noqa: F401
    import great_expectations  # noqa: F401


@contextmanager
def cold_process_ready() -> Iterator[None]:
    """Start Prefect's temporary server first, import the heavy libraries meanwhile, then
    run the block against that server. The server stops when the process exits, as
    Prefect's own does: its log and event workers send their last records at exit.

    When a Prefect server is configured (``PREFECT_API_URL``, in the environment, a profile
    or a test harness) or temporary servers are disabled, only the imports are done and the
    block runs as Prefect would run it anyway.
    """
    early = EarlyPrefectServer.start() if _may_need_temporary_server() else None
    import_heavy_libraries()
    # The libraries' objects (hundreds of thousands) live as long as the process: frozen,
    # they are left out of the night's full collections, which walked them all again.
    # Unreferenced objects are still freed.
    gc.freeze()
    if early is not None:
        api_url, temporary_allowed = _configured_server_or_none()
        if api_url is not None or not temporary_allowed:
            early.stop()  # a profile names a server after all: Prefect uses that one
            early = None
    if early is None:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api_url = early.wait_until_ready(_startup_timeout_s())
    # Not stopped when the block ends, even by an error: Prefect's workers still send the
    # flow's last logs and events at exit, and the exit hook stops the server after them.
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield
