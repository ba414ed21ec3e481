"""Child processes that die with the process that started them, whatever kills it.

A run starts processes of its own: parse workers, Prefect's temporary server, a
``dbt parse`` beside validation, ``chitieu serve``'s local server. If the run is killed
(``kill -9``, the kernel's out-of-memory killer, a crash in a native library), nothing
of Python's clean-up runs, and a child left behind keeps a port, memory or a file open
until someone finds it. On Linux the kernel can send a child a signal when its parent
dies (``PR_SET_PDEATHSIG``); the child asks for it as its first act, so no kill of the
parent, however abrupt, leaves it running. Elsewhere this does nothing.

A forked child (a parse worker) calls :func:`die_with_parent` itself. A program started
with ``subprocess`` is started through :func:`dying_with_parent`, which runs
``python -m flows.subprocesses <command>``: that process makes the request and then
``exec``s the command, which keeps it (no ``preexec_fn``, which is unsafe in a process
with threads).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Sequence

_PR_SET_PDEATHSIG = 1


def _prctl():
    """libc's ``prctl``, looked up once in the parent: a forked child must not load libraries
    (another thread of the parent may have held the loader's lock at the fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:  # the symbols already loaded in this process, libc's among them
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def die_with_parent() -> None:
    """Ask the kernel to kill this process (SIGKILL) as soon as its parent dies.

    Call it first thing in a child (a ``preexec_fn``, a pool initializer). The signal
    follows the thread that forked the child: children are started from the main thread.
    A parent that died before the call leaves the child orphaned already; it exits then.
    Does nothing where the kernel has no such request (not Linux, or a sandbox refusing it).
    """
    if _PRCTL is None:
        return
    parent = os.getppid()
    if _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != parent:  # the parent died between the fork and the request
        os._exit(1)


def dying_with_parent(command: Sequence[str]) -> list[str]:
    """``command`` made to die with the process that starts it (see the module docstring)."""
    return [sys.executable, "-m", "flows.subprocesses", *command]


def _exec_dying_with_parent(command: Sequence[str]) -> None:
    die_with_parent()
    os.execvp(command[0], list(command))


if __name__ == "__main__":
    _exec_dying_with_parent(sys.argv[1:])
