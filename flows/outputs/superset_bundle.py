"""``chitieu superset-bundle``: the Superset dashboard of ``bi/superset/`` as an importable ZIP.

``bi/superset/`` holds the dashboard "chitieu" in Superset's export format (6.1): the
database, three datasets over ``marts``, four charts and the dashboard, as YAML. Its
database URI is a placeholder, because only the site knows where its warehouse lives;
:func:`write_superset_bundle` fills in ``duckdb:///<absolute path>`` and zips the files
under one folder, as Superset's own exports are, so that *Dashboards → Import* (or
``superset import-dashboards -p FILE``) takes the ZIP as it is.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from flows.settings import PROJECT_ROOT

BUNDLE_SOURCE = PROJECT_ROOT / "bi" / "superset"
DATABASE_FILE = "databases/chitieu.yaml"
WAREHOUSE_URI_PLACEHOLDER = "__CHITIEU_WAREHOUSE_URI__"
# Superset drops the first folder of every path in an imported ZIP.
ZIP_ROOT = "chitieu_superset"
# A fixed time for every entry: the same warehouse path always gives the same bytes.
_ENTRY_TIME = (2026, 1, 1, 0, 0, 0)


def warehouse_uri(warehouse: Path) -> str:
    """The SQLAlchemy URI of ``warehouse`` for duckdb-engine: ``duckdb:///`` + absolute path."""
    path = str(Path(warehouse).resolve())
    if "?" in path:
        # SQLAlchemy reads everything after "?" as connection options, not as the path.
        raise ValueError(f"a warehouse path with '?' cannot be a SQLAlchemy URI: {path}")
    return f"duckdb:///{path}"


def write_superset_bundle(warehouse: Path, out: Path) -> Path:
    """Write the importable ZIP of ``bi/superset/`` for ``warehouse`` to ``out``; its path."""
    # A JSON string is a valid YAML double-quoted scalar, whatever the path holds (spaces,
    # '#', ': ', Vietnamese letters).
    uri = json.dumps(warehouse_uri(warehouse))
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    sources = sorted(BUNDLE_SOURCE.rglob("*.yaml"))
    if BUNDLE_SOURCE / DATABASE_FILE not in sources:
        raise FileNotFoundError(f"no {DATABASE_FILE} in {BUNDLE_SOURCE}")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for source in sources:
            name = source.relative_to(BUNDLE_SOURCE).as_posix()
            text = source.read_text(encoding="utf-8")
            if name == DATABASE_FILE:
                if text.count(WAREHOUSE_URI_PLACEHOLDER) != 1:
                    # A broken source tree, not a bad request: no usage error for it.
                    raise RuntimeError(f"{source} must hold {WAREHOUSE_URI_PLACEHOLDER} once")
                text = text.replace(WAREHOUSE_URI_PLACEHOLDER, uri)
            entry = zipfile.ZipInfo(f"{ZIP_ROOT}/{name}", date_time=_ENTRY_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, text.encode("utf-8"))
    return out
