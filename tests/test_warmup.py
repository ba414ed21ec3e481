"""Prefect's temporary server, started by a cold ``chitieu`` process before its imports.

The bare CLI through it, end to end: ``test_cli`` (no Prefect server configured there).
"""

from __future__ import annotations

import gc
import multiprocessing
import urllib.request

import pytest

from flows.operations import warmup


def test_the_early_server_is_started_as_prefect_starts_its_temporary_server(monkeypatch):
    import prefect.server.api.server as prefect_server_module

    launched = {}

    def record_launch(args, env, **_kwargs):
        launched.update(args=args, env=env)

    # Only the launch is intercepted: what command and environment Prefect would use.
    monkeypatch.setattr(prefect_server_module.subprocess, "Popen", record_launch)
    prefect_server_module.SubprocessASGIServer(port=48123)._run_uvicorn_command()

    assert launched["args"] == warmup.temporary_server_command(48123)
    assert warmup.TEMPORARY_SERVER_ENV.items() <= launched["env"].items()


def test_the_early_server_answers_and_stops_only_from_its_own_process():
    server = warmup.EarlyPrefectServer.start()
    try:
        api_url = server.wait_until_ready(timeout_s=120)
        with urllib.request.urlopen(f"{api_url}/health", timeout=5) as response:
            assert response.status == 200
        # A forked child (a parse worker) inherits the exit hook but must not stop it.
        child = multiprocessing.get_context("fork").Process(target=server.stop)
        child.start()
        child.join(30)
        assert server.process.poll() is None
    finally:
        server.stop()
    assert server.process.poll() is not None


def test_a_configured_server_means_no_early_server(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    def must_not_start():
        raise AssertionError("an early server was started although one is configured")

    monkeypatch.setattr(warmup.EarlyPrefectServer, "start", must_not_start)
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert not warmup._may_need_temporary_server()
        try:
            with warmup.cold_process_ready():
                assert PREFECT_API_URL.value() == "http://127.0.0.1:9/api"
                # The libraries' objects are left out of the night's full collections.
                assert gc.get_freeze_count() > 0
        finally:
            gc.unfreeze()  # this test process goes on: let it collect them again


def test_a_server_that_cannot_start_is_reported():
    server = warmup.EarlyPrefectServer.start()
    server.stop()  # exited before it was ready: as a server that crashed on start
    with pytest.raises(RuntimeError, match="exited with code"):
        server.wait_until_ready(timeout_s=5)
