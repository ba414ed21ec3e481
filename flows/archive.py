"""The immutable, content-addressed archive of every file received.

Before anything parses a landed file, its bytes are copied into
``<archive>/<sha[:2]>/<sha256><ext>`` (hashed while copying, so the archived bytes
are exactly the hashed ones even if a clerk overwrites the landing file meanwhile),
made read-only, and listed in ``manifest.jsonl`` with the name it arrived under.
A clerk deleting or overwriting a landing file never loses history, the same
content arriving twice is stored once, and ``chitieu run --full`` can rebuild the
warehouse from the archive alone. Names in the landing folder never become paths
in the archive, so a hostile file name cannot write outside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = "manifest.jsonl"
IGNORED_NAME_PREFIXES = (".", "~$")  # hidden files and Office lock files are not submissions
_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,8}$")


@dataclass(frozen=True)
class ArchivedFile:
    """One received file: where its bytes are kept, and what it was called on arrival."""

    sha256: str
    archived_path: Path
    relative_path: str
    size_bytes: int
    received_at: datetime


def landed_files(raw_dir: Path) -> list[Path]:
    """Regular files under the landing folder, in a stable order.

    Symbolic links are neither followed nor read: a link in the landing folder could
    otherwise pull any file of the machine into the warehouse.
    """
    found = []
    for folder, subfolders, names in os.walk(raw_dir, followlinks=False):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in names:
            path = Path(folder) / name
            if not name.startswith(IGNORED_NAME_PREFIXES) and _is_regular(path):
                found.append(path)
    return sorted(found)


def _is_regular(path: Path) -> bool:
    return not path.is_symlink() and path.is_file()


def _archived_name(sha256: str, relative_path: str) -> str:
    extension = Path(relative_path).suffix.lower()
    return sha256 + (extension if _SAFE_EXTENSION.match(extension) else "")


def archive_file(
    source: Path, relative_path: str, received_at: datetime, archive_root: Path
) -> ArchivedFile:
    """Copy ``source`` into the archive (once per content) and record its arrival."""
    archive_root.mkdir(parents=True, exist_ok=True)
    staging = archive_root / f".incoming-{os.getpid()}"
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, staging.open("wb") as writer:
        for block in iter(lambda: reader.read(1 << 20), b""):
            digest.update(block)
            writer.write(block)
            size += len(block)
        writer.flush()
        os.fsync(writer.fileno())
    sha256 = digest.hexdigest()
    target = archive_root / sha256[:2] / _archived_name(sha256, relative_path)
    if target.exists():
        staging.unlink()
    else:
        target.parent.mkdir(exist_ok=True)
        staging.chmod(0o444)
        os.replace(staging, target)
    archived = ArchivedFile(sha256, target, relative_path, size, received_at)
    _append_manifest(archive_root, archived)
    return archived


def _append_manifest(archive_root: Path, archived: ArchivedFile) -> None:
    line = json.dumps(
        {
            "sha256": archived.sha256,
            "archived_path": archived.archived_path.relative_to(archive_root).as_posix(),
            "relative_path": archived.relative_path,
            "size_bytes": archived.size_bytes,
            "received_at": archived.received_at.isoformat(),
            "archived_at": datetime.now(UTC).replace(tzinfo=None).isoformat(),
        },
        ensure_ascii=False,
    )
    with (archive_root / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write(line + "\n")
        manifest.flush()
        os.fsync(manifest.fileno())


def read_manifest(archive_root: Path) -> list[ArchivedFile]:
    """Every (content, name) pair ever received, first arrival first, without repeats.

    A line cut short by a crash is skipped: the file it names is re-archived (and the
    line written again) the next time the landing file is seen.
    """
    path = archive_root / MANIFEST
    if not path.exists():
        return []
    seen: dict[tuple[str, str], ArchivedFile] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        key = (entry["sha256"], entry["relative_path"])
        archived_path = archive_root / entry["archived_path"]
        if key in seen or not archived_path.exists():
            continue
        seen[key] = ArchivedFile(
            entry["sha256"],
            archived_path,
            entry["relative_path"],
            entry["size_bytes"],
            datetime.fromisoformat(entry["received_at"]),
        )
    return list(seen.values())


def clear_incoming(archive_root: Path) -> None:
    """Remove copies left half-written by a run that was killed."""
    if archive_root.is_dir():
        for leftover in archive_root.glob(".incoming-*"):
            leftover.unlink(missing_ok=True)
