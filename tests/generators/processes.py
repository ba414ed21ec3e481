"""Processes in tests: what a parse leaves behind, and the servers a test starts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import psutil


def forks_left() -> list[psutil.Process]:
    """This process's forks still running (parse workers a read left behind).

    Forks share this process's command line; a server another test started (Prefect's,
    exec'd as uvicorn) is a child too, but not a fork, and not what a parse leaves. A
    zombie has ended (its parent only has not reaped it yet).
    """
    me = psutil.Process()
    forks = []
    for child in me.children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and child.cmdline() == me.cmdline():
                forks.append(child)
        except psutil.NoSuchProcess:  # ended meanwhile
            continue
    return forks


def free_port() -> int:
    """A TCP port free on loopback now (a server started next may take it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_closes(port: int, timeout_s: float = 30) -> bool:
    """Whether nothing listens on ``port`` any more within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.5)
    return False


def wait_for_deployment(api_url: str, serve: subprocess.Popen):
    """The nightly deployment once ``chitieu serve`` has registered it on ``api_url``."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + 180
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        while time.monotonic() < deadline:
            assert serve.poll() is None, serve.stdout.read()[-3000:]
            try:
                with get_client(sync_client=True) as client:
                    return client.read_deployment_by_name("chitieu-nightly/nightly")
            except Exception:  # the server or the deployment is not there yet
                time.sleep(1)
    raise AssertionError("the deployment never appeared")


def start_in_own_session(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A server command (``chitieu serve``) in its own process group, its output captured."""
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop_session(process: subprocess.Popen, timeout_s: float = 60) -> str:
    """SIGTERM to the process group, as a service manager stops it; its output."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output
