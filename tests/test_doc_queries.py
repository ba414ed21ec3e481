"""The documentation's example queries run as they are written, on the demo warehouse.

Every ```sql block of the README and of docs/ counts (the README shows one of the
examples in docs/warehouse.md; a query written in both places is run once).
"""

from __future__ import annotations

import re

import duckdb
import pytest

from flows.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

DOCUMENTS = (PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md")))


def documented_queries() -> list[str]:
    """Each distinct ```sql block of the README and docs/, in the order first written."""
    queries: dict[str, None] = {}
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        queries.update(dict.fromkeys(re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)))
    return list(queries)


def test_the_docs_have_the_six_example_queries():
    assert len(documented_queries()) == 6


@pytest.mark.parametrize("query", documented_queries(), ids=lambda q: q.split("\n")[0][:40])
def test_documented_query_returns_rows(demo_run, query):
    con = duckdb.connect(str(demo_run["warehouse"]), read_only=True)
    try:
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    assert rows, query
    assert all(value is not None for value in rows[0][:2])
