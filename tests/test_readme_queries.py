"""The README's example queries run as they are written, on the demo warehouse."""

from __future__ import annotations

import re

import duckdb
import pytest

from flows.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def readme_queries() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)


def test_readme_has_five_example_queries():
    assert len(readme_queries()) == 5


@pytest.mark.parametrize("query", readme_queries(), ids=lambda q: q.split("\n")[0][:40])
def test_readme_query_returns_rows(demo_run, query):
    con = duckdb.connect(str(demo_run["warehouse"]), read_only=True)
    try:
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    assert rows, query
    assert all(value is not None for value in rows[0][:2])
