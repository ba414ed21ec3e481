"""``chitieu serve --port N``: the Prefect UI of its local server, as headless Chromium draws it.

The UI is a single-page app: it asks its server's ``/ui-settings`` where the API is and
then calls that API from the browser, so only a real browser shows whether it reaches
the server on port N (and not Prefect's default 4200). Chromium's ``--dump-dom`` with a
virtual-time budget runs the app until its requests are answered and prints the page.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

from tests.generators.processes import (
    free_port,
    port_closes,
    start_in_own_session,
    stop_session,
    wait_for_deployment,
)
from tests.test_operations import CHITIEU
from tools.report_screenshot import chromium_path

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
RENDER_ATTEMPTS = 3
CANT_CONNECT = (
    "Can't connect to Server API",  # the UI at / (v1) and at the links `serve` prints
    "Unable to connect to Prefect server",  # the UI at /v2/, where / redirects
)
# 02:00 in Asia/Ho_Chi_Minh (UTC+7, no daylight saving) is 19:00 UTC: drawn in a browser on
# UTC, an upcoming run at 07:00 PM shows the schedule's timezone, not only its hour.
NEXT_RUN_IN_UTC = "07:00:00 PM"


def test_the_ui_of_the_local_server_reaches_its_api_on_the_chosen_port(tmp_path):
    chromium = chromium_path()
    # Not a skip: the UI is the point of this test, and CI installs Chromium (.ci/run).
    assert chromium, "chromium is not installed: apt-get install chromium (see .ci/run)"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "CHITIEU_WAREHOUSE": str(warehouse),
            "CHITIEU_RAW_DIR": str(tmp_path / "raw"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    serve = start_in_own_session([str(CHITIEU), "serve", "--port", str(port)], env)
    try:
        deployment = wait_for_deployment(f"{base}/api", serve)
        _wait_for_scheduled_runs(base, str(deployment.id))
        ui_settings = json.loads(urllib.request.urlopen(f"{base}/ui-settings", timeout=30).read())
        v1 = _rendered_text(
            chromium,
            f"{base}/deployments/deployment/{deployment.id}?tab=Upcoming",
            ("At 02:00 AM every day", NEXT_RUN_IN_UTC),
            tmp_path,
        )
        v2 = _rendered_text(
            chromium,
            f"{base}/v2/deployments/deployment/{deployment.id}?tab=Upcoming",
            ("At 02:00 AM", NEXT_RUN_IN_UTC),
            tmp_path,
        )
    finally:
        output = stop_session(serve)
    assert port_closes(port), "the local Prefect server outlived `chitieu serve`"

    assert ui_settings["api_url"] == f"{base}/api"
    for page in (v1, v2):
        for problem in CANT_CONNECT:
            assert problem not in page, page[:3000]
        # The deployment's name (the page title too) and its flow's, both from the API.
        assert "Deployment: nightly" in page and "chitieu-nightly" in page, page[:3000]
        assert "At 02:00 AM" in page, page[:3000]
        assert NEXT_RUN_IN_UTC in page, page[:3000]
    assert "At 02:00 AM every day" in v1
    # The link `serve` prints for the operator is the page drawn above (the UI at /).
    assert f"{base}/deployments/deployment/{deployment.id}" in output


def _wait_for_scheduled_runs(base: str, deployment_id: str, timeout_s: float = 120) -> None:
    """Until Prefect's scheduler has put the deployment's next runs on the calendar."""
    query = {
        "deployments": {"id": {"any_": [deployment_id]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
    }
    request = urllib.request.Request(
        f"{base}/api/flow_runs/filter",
        data=json.dumps(query).encode(),
        headers={"Content-Type": "application/json"},
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if json.loads(urllib.request.urlopen(request, timeout=30).read()):
            return
        time.sleep(1)
    raise AssertionError("no run of the deployment was scheduled")


def _rendered_text(chromium: str, url: str, expected: tuple[str, ...], tmp_path) -> str:
    """The visible text of ``url`` once the app has drawn ``expected`` (or the last try).

    Drawn in a browser on UTC; a fresh profile each time, so no saved UI preference.
    """
    text = ""
    for _ in range(RENDER_ATTEMPTS):
        with tempfile.TemporaryDirectory(prefix="chromium-", dir=tmp_path) as profile:
            browser = subprocess.Popen(
                [
                    chromium,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    "--virtual-time-budget=20000",
                    "--dump-dom",
                    url,
                ],
                env={**os.environ, "TZ": "UTC"},
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
            try:
                dom, _ = browser.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(browser.pid, signal.SIGKILL)
                dom, _ = browser.communicate()
        text = _visible_text(dom)
        if all(needle in text for needle in expected):
            break
    return text


def _visible_text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", dom, flags=re.DOTALL | re.IGNORECASE)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom))).strip()
