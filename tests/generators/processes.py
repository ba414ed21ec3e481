"""The processes a test leaves behind: a parse worker is a fork of the test's process."""

from __future__ import annotations

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
