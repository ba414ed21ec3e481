"""``chitieu serve``: the nightly flow as a Prefect deployment on a cron schedule.

Prefect schedules only against a real server. When ``PREFECT_API_URL`` is set,
that server is used. Otherwise a local Prefect server is started here, keeping its
database in ``prefect/`` beside the warehouse file (``data/warehouse/prefect/`` by
default), so one machine needs nothing else. Prefect's runner starts each scheduled run
in a fresh subprocess, which imports Prefect, Great Expectations and dbt again;
``chitieu watch`` (flows/watch.py) instead keeps one warm process and runs a night
whenever the landing folder changes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.operations.warmup import wait_until_healthy
from flows.subprocesses import dying_with_parent

DEFAULT_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEPLOYMENT_NAME = "nightly"
SERVER_START_TIMEOUT_S = 120


@contextmanager
def local_prefect_server(home: Path, port: int) -> Iterator[str]:
    """Start ``prefect server start`` on loopback with its database under ``home``.

    The server is told its address in its settings, not only by ``--host``/``--port``:
    the UI it serves asks ``/ui-settings`` where the API is, and the server answers from
    ``PREFECT_UI_API_URL``, which defaults to ``PREFECT_SERVER_API_HOST``/``_PORT``
    (127.0.0.1:4200), whatever ``--port`` says. An operator's own ``PREFECT_UI_API_URL``
    (a reverse proxy in front of the server) still wins.
    """
    home.mkdir(parents=True, exist_ok=True)
    host = "127.0.0.1"
    api_url = f"http://{host}:{port}/api"
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            "PREFECT_SERVER_API_HOST": host,
            "PREFECT_SERVER_API_PORT": str(port),
        }
    )
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("ab")
    server_address = ["--host", host, "--port", str(port)]
    server = subprocess.Popen(
        dying_with_parent([sys.executable, "-m", "prefect", "server", "start", *server_address]),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_healthy(api_url, server, SERVER_START_TIMEOUT_S)
        yield api_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def serve_nightly(
    raw_dir: Path,
    warehouse: Path,
    cron: str = DEFAULT_CRON,
    timezone: str = DEFAULT_TIMEZONE,
    prefect_home: Path | None = None,
    port: int = 4200,
) -> None:
    """Serve the nightly deployment until interrupted, starting a server if none is set."""
    # Prefect is slow to import: only the serve command pays for it.
    from prefect.schedules import Cron
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nightly import nightly_pipeline

    def serve() -> None:
        nightly_pipeline.serve(
            name=DEPLOYMENT_NAME,
            schedules=[Cron(cron, timezone=timezone)],
            parameters={"raw_dir": str(raw_dir), "warehouse": str(warehouse)},
            description="Ward submissions in the landing folder → the published warehouse.",
            tags=["chitieu"],
        )

    # A service manager stops us with SIGTERM: turn it into SystemExit so that the local
    # server started below is stopped too, instead of outliving this process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.environ.get("PREFECT_API_URL"):
        serve()
        return
    home = prefect_home or warehouse.parent / "prefect"
    with (
        local_prefect_server(home, port) as api_url,
        temporary_settings(updates={PREFECT_API_URL: api_url}),
    ):
        print(f"Started a local Prefect server at {api_url} (database in {home})", flush=True)
        serve()
