"""A cold process's fixed costs, paid side by side rather than one after the other.

Before a night does any work, a fresh ``chitieu run`` waits for Prefect's temporary
server (when no ``PREFECT_API_URL`` is set: 10–20 s, in a subprocess, on the other
core), then imports Great Expectations (~4 s) on the way to validating and dbt (~3 s)
on the way to building. Started first, the server comes up while this process imports
the libraries it needs anyway, and the night starts with both ready.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


def start_temporary_prefect_server() -> threading.Thread | None:
    """Start Prefect's temporary server on a thread, if this process will need one.

    It is the server Prefect itself would start on the flow's first call (the same
    per-process instance), only earlier; join the thread before calling the flow. None
    when ``PREFECT_API_URL`` names a server or temporary servers are disabled.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None

    def start() -> None:
        from prefect.server.api.server import SubprocessASGIServer

        try:
            SubprocessASGIServer().start()
        except Exception as error:  # the flow's own start will try again and report it
            logger.warning("Prefect's temporary server did not start early: %s", error)

    thread = threading.Thread(target=start, name="chitieu-prefect-server", daemon=True)
    thread.start()
    return thread


@contextmanager
def temporary_prefect_server_starting() -> Iterator[None]:
    """Prefect's temporary server starts (if needed) while the block runs; ready after it."""
    server = start_temporary_prefect_server()
    try:
        yield
    finally:
        if server is not None:
            server.join()


def import_heavy_libraries() -> None:
    """Import Great Expectations and dbt now (no context, no connection: imports only).

    Done before any process pool forks: a fork is only unsafe *during* an import on
    another thread, never after it.
    """
    import dbt.cli.main  # noqa: F401
    import great_expectations  # noqa: F401
