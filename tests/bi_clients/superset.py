"""Apache Superset for the tests: installed in its own environment, initialised, served locally.

Superset is installed with :func:`tests.bi_clients.environments.python_env` (cached under
``.cache/bi-clients/``), never into the project's ``.venv``: it pins SQLAlchemy below 2
and DuckDB below 2. Its metadata database is initialised once per installed environment
(``superset db upgrade``, an admin, ``superset init``) and kept beside it as a template;
each test copies the template, so a cached run starts a server in seconds.

Installing and initialising take minutes on a cold machine. :func:`start_preparing`
starts them in a thread as soon as the test session knows a Superset test will run
(``tests/conftest.py``), so they overlap the rest of the suite; :func:`prepared` waits for
them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.bi_clients.environments import python_env, run_checked

# What a user installs next to Superset, every package pinned exactly. Superset's own
# `[duckdb]` extra allows duckdb<2 only; duckdb 1.5 reads the warehouse as published
# (storage v1.0.0), and duckdb-engine is the SQLAlchemy dialect Superset connects with.
SUPERSET_REQUIREMENTS = (
    "apache-superset==6.1.0",
    "duckdb==1.5.6",
    "duckdb-engine==0.17.0",
    # Superset 6.1.0 imports these without declaring them (they used to arrive with
    # flask-limiter<4 and google-auth<2.50): `superset` fails to start without rich, and
    # every DuckDB connection fails ("Could not load database driver") without cachetools.
    "rich==15.0.0",
    "cachetools==7.3.3",
    # flask-caching 2.4+ passes ignore_delete_many_errors to Superset's metastore cache,
    # which refuses it: the app does not start. 2.3.1 is what Superset's lock file pins.
    "flask-caching==2.3.1",
)
ADMIN_USER = "admin"
ADMIN_PASSWORD = "chitieu-test-admin"
# The key that encrypts what the metadata database keeps secret: the template and every
# copy of it must be opened with the same one. Test instances only, on 127.0.0.1.
SECRET_KEY = "chitieu-superset-test-key-not-for-any-real-instance"
PREPARE_TIMEOUT_S = 1500  # a cold install (see environments.INSTALL_TIMEOUT_S) and init
START_TIMEOUT_S = 120
_INIT_TIMEOUT_S = 600
_TEMPLATE_MARKER = "chitieu-initialised"


@dataclass(frozen=True)
class SupersetInstall:
    """An installed Superset and an initialised metadata database to copy."""

    python: Path
    metadata_template: Path

    @property
    def superset(self) -> Path:
        return self.python.with_name("superset")


def superset_config(metadata: Path) -> str:
    """The text of a ``superset_config.py`` for a test instance whose metadata is ``metadata``."""
    return f"""\
SECRET_KEY = {SECRET_KEY!r}
SQLALCHEMY_DATABASE_URI = {"sqlite:///" + str(metadata)!r}
"""


def superset_environment(home: Path) -> dict[str, str]:
    """The environment of a ``superset`` command for the instance kept in ``home``."""
    return {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(home / "superset_config.py"),
        # Uploads and the default data folder go here, not to ~/.superset.
        "SUPERSET_HOME": str(home),
        # Superset's DEBUG follows it: a developer's shell must not change the server.
        "FLASK_DEBUG": "0",
    }


def _configure(home: Path, metadata: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "superset_config.py").write_text(superset_config(metadata), encoding="utf-8")
    return superset_environment(home)


def _initialised_template(superset: Path) -> Path:
    """The metadata database of a fresh Superset with its admin, made once per environment."""
    home = superset.parent.parent / "chitieu-superset-template"
    metadata = home / "superset.db"
    home.mkdir(exist_ok=True)
    with open(home.with_name(home.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / _TEMPLATE_MARKER).is_file():
            return metadata
        metadata.unlink(missing_ok=True)
        env = _configure(home, metadata)
        run_checked([superset, "db", "upgrade"], env=env, timeout_s=_INIT_TIMEOUT_S)
        run_checked(
            [
                superset,
                "fab",
                "create-admin",
                "--username",
                ADMIN_USER,
                "--firstname",
                "chitieu",
                "--lastname",
                "test",
                "--email",
                "admin@localhost",
                "--password",
                ADMIN_PASSWORD,
            ],
            env=env,
            timeout_s=_INIT_TIMEOUT_S,
        )
        run_checked([superset, "init"], env=env, timeout_s=_INIT_TIMEOUT_S)
        (home / _TEMPLATE_MARKER).write_text("", encoding="utf-8")
    return metadata


def prepare_superset() -> SupersetInstall:
    """Install Superset (or find it in the cache) and initialise its template metadata."""
    python = python_env("superset-6.1", SUPERSET_REQUIREMENTS)
    return SupersetInstall(python, _initialised_template(python.with_name("superset")))


_preparation: Future[SupersetInstall] | None = None
_preparation_lock = threading.Lock()


def _prepare_into(future: Future[SupersetInstall]) -> None:
    try:
        future.set_result(prepare_superset())
    except BaseException as error:  # the test that waits reports it
        future.set_exception(error)


def start_preparing() -> None:
    """Start :func:`prepare_superset` in a background thread, once per process."""
    global _preparation
    with _preparation_lock:
        if _preparation is None:
            _preparation = Future()
            # A daemon: a session that ends early (-x) does not wait for an install.
            threading.Thread(
                target=_prepare_into, args=(_preparation,), name="superset-install", daemon=True
            ).start()


def prepared() -> SupersetInstall:
    """The installed and initialised Superset, waiting for the background preparation."""
    start_preparing()
    assert _preparation is not None
    return _preparation.result(timeout=PREPARE_TIMEOUT_S)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"Superset exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/health", timeout=5).text == "OK":
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"Superset did not answer {url}/health in {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
    )


@contextmanager
def running_superset(install: SupersetInstall, home: Path) -> Iterator[str]:
    """A Superset web server on 127.0.0.1 with its own copy of the metadata; its base URL."""
    metadata = home / "superset.db"
    env = _configure(home, metadata)
    shutil.copyfile(install.metadata_template, metadata)
    port = _free_port()
    log = home / "superset.log"
    with open(log, "wb") as output:
        # Werkzeug's threaded server, without reloader or debugger: one process to stop.
        server = subprocess.Popen(
            [
                str(install.superset),
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--with-threads",
                "--no-reload",
                "--no-debugger",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class SupersetClient:
    """Superset's REST API as the admin: a JWT from /api/v1/security/login, a CSRF token."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        login = self.session.post(
            f"{url}/api/v1/security/login",
            json={"username": ADMIN_USER, "password": ADMIN_PASSWORD, "provider": "db"},
            timeout=60,
        )
        login.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        # The CSRF token is bound to the session cookie this request sets.
        csrf = self.get("/api/v1/security/csrf_token/")["result"]
        self.session.headers.update({"X-CSRFToken": csrf, "Referer": url})

    def _checked(self, response: requests.Response) -> dict:
        request = f"{response.request.method} {response.url}"
        assert response.ok, f"{request}: {response.status_code} {response.text[:2000]}"
        return response.json()

    def get(self, path: str, **params: str) -> dict:
        return self._checked(self.session.get(f"{self.url}{path}", params=params, timeout=120))

    def post(self, path: str, **kwargs) -> dict:
        return self._checked(self.session.post(f"{self.url}{path}", timeout=300, **kwargs))
