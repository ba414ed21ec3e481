"""Throwaway client environments, installed from the package registries at test time.

Each BI client runs in an environment of its own, never in the project's ``.venv``: a
Python virtual environment (``uv pip install``) or an npm folder (``npm install``), kept
under the git-ignored ``.cache/bi-clients/`` so that a second run reuses it. An
environment is ready once its marker file names exactly what was asked for; a failed or
interrupted install leaves no marker and is redone from scratch. A file lock makes
concurrent test processes wait for one install instead of racing it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from flows.settings import PROJECT_ROOT
from flows.subprocesses import dying_with_parent

CACHE_ROOT = Path(
    os.environ.get("CHITIEU_BI_CLIENTS_CACHE", PROJECT_ROOT / ".cache" / "bi-clients")
)
INSTALL_TIMEOUT_S = 900
_MARKER = "chitieu-installed.json"


def _folder(kind: str, name: str, wanted: object) -> tuple[Path, str]:
    recipe = json.dumps({"kind": kind, "wanted": wanted}, sort_keys=True)
    digest = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    return CACHE_ROOT / f"{name}-{digest}", recipe


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _ready(folder: Path, recipe: str) -> bool:
    marker = folder / _MARKER
    return marker.is_file() and marker.read_text(encoding="utf-8") == recipe


def run_checked(
    command: Sequence[str | Path],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = INSTALL_TIMEOUT_S,
) -> None:
    """Run an install or set-up step; a failure raises with the end of its output."""
    # An install outlives no test session: the lock goes with the session, the installer too.
    done = subprocess.run(
        dying_with_parent([str(part) for part in command]),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, command))} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )


def python_env(name: str, requirements: Sequence[str]) -> Path:
    """A virtual environment holding ``requirements`` (pip specifiers); its python."""
    folder, recipe = _folder("python", name, sorted(requirements))
    python = folder / "bin" / "python"
    with _locked(folder):
        if not _ready(folder, recipe):
            shutil.rmtree(folder, ignore_errors=True)
            # uv resolves and downloads in parallel: a cold Superset in 8 s, pip's 52 s.
            uv = Path(sys.executable).with_name("uv")
            run_checked([uv, "venv", "--quiet", "--python", sys.executable, folder])
            run_checked([uv, "pip", "install", "--quiet", "--python", python, *requirements])
            (folder / _MARKER).write_text(recipe, encoding="utf-8")
    return python


def node_env(name: str, packages: Sequence[str], overrides: dict[str, str] | None = None) -> Path:
    """An npm folder with ``packages`` (``name@version``) installed; the folder.

    ``overrides`` (npm's own field) pins a dependency of a package, e.g. the engine a
    connector bundles.
    """
    folder, recipe = _folder("node", name, {"packages": sorted(packages), "overrides": overrides})
    with _locked(folder):
        if not _ready(folder, recipe):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            manifest = {"name": name, "private": True, "type": "module"}
            if overrides:
                manifest["overrides"] = overrides
            (folder / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
            run_checked(
                ["npm", "install", "--no-audit", "--no-fund", "--save-exact", *packages], cwd=folder
            )
            (folder / _MARKER).write_text(recipe, encoding="utf-8")
    return folder
