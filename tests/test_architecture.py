"""The tree tells the architecture: layers, no cycles, small modules, stages named as modules.

Read from the source with ``ast`` (nothing is imported), so a broken layering fails here
with the offending import named, before anyone has to find it by reading.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "flows"
MAX_MODULE_LINES = 800

# The library's sub-packages, lowest first: a module may import from its own
# sub-package and from the ones before it, never from one after it.
LAYERS = ("domain", "reading", "quality", "warehouse", "outputs", "operations")
# Usable by every layer: the one settings module, the operator's progress display, and
# child processes that die with the run.
SHARED_MODULES = frozenset({"flows.settings", "flows.progress", "flows.subprocesses"})
# The two deliberate exceptions, each one module:
# - the rulebook is declarations only, so the reader raises parse-time issues by rule id;
# - the CLI is the console entry point, above the flows it starts.
READABLE_BY_ALL = frozenset({"flows.quality.rulebook"})
ENTRY_POINT = "flows.operations.cli"
# What Prefect runs, at the top of the package: they may use every layer.
FLOW_MODULES = frozenset({"flows.nightly", "flows.serve", "flows.watch"})
STAGE_TIMER = "_timed"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(name: str) -> set[str]:
    """The project modules ``name`` imports, anywhere in it (lazy imports count too)."""
    modules, found = _modules(), set()
    for node in ast.walk(_tree(modules[name])):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {target for target in found if target.split(".")[0] in ("flows", "tools", "tests")}


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS else None


def test_every_sub_package_says_what_it_holds_in_one_line():
    for init in sorted(PACKAGE.glob("*/__init__.py")) + sorted(PACKAGE.glob("*/*/__init__.py")):
        docstring = ast.get_docstring(_tree(init))
        assert docstring, f"{init.relative_to(ROOT)} has no docstring"
        assert "\n" not in docstring, f"{init.relative_to(ROOT)}: one line, please"
    assert {path.parent.name for path in PACKAGE.glob("*/__init__.py")} == set(LAYERS)


def test_no_module_is_longer_than_the_limit():
    long = {
        str(path.relative_to(ROOT)): lines
        for folder in ("flows", "tools", "tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"split these modules (over {MAX_MODULE_LINES} lines): {long}"


def test_no_import_cycle():
    graph = {name: _imports(name) & _modules().keys() for name in _modules()}
    cycles = [component for component in _strongly_connected(graph) if len(component) > 1]
    assert cycles == [], f"import cycles: {cycles}"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the strongly connected components of ``graph``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def test_layers_import_only_downwards():
    wrong = []
    for name in _modules():
        layer = _layer(name)
        if layer is None or name == ENTRY_POINT:
            continue
        for target in _imports(name):
            if target in SHARED_MODULES | READABLE_BY_ALL:
                continue
            target_layer = _layer(target)
            if target_layer is None or LAYERS.index(target_layer) > LAYERS.index(layer):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_the_product_never_imports_tests_or_tools():
    leaks = [
        f"{name} imports {target}"
        for name in _modules()
        for target in _imports(name)
        if target.split(".")[0] in ("tests", "tools")
    ]
    assert leaks == []


def test_every_module_of_the_package_is_used_by_the_product():
    """Nothing ships in ``flows/`` that production never imports: from the console script
    and the flows Prefect runs, every module is reached."""
    reached, todo = set(), [ENTRY_POINT, *FLOW_MODULES]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo.extend(_imports(name) & _modules().keys())
        todo.extend(parent for parent in _parents(name) if parent in _modules())
    assert set(_modules()) - reached == set()


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def test_the_console_script_is_the_entry_point():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'chitieu = "{ENTRY_POINT}:console_main"' in pyproject


def _stage_names() -> list[str]:
    """The stages the nightly flow times, in order: ``with _timed(summary, "<stage>")``."""
    return [
        node.args[1].value
        for node in ast.walk(_tree(_modules()["flows.nightly"]))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == STAGE_TIMER
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Constant)
    ]


def test_every_stage_of_the_night_is_a_module_of_the_same_name():
    stages = _stage_names()
    assert stages == [
        "receive",
        "parse",
        "validate",
        "stage",
        "feedback",
        "dbt_build",
        "publish",
    ]
    by_stem: dict[str, list[str]] = {}
    for name in _modules():
        by_stem.setdefault(name.rsplit(".", 1)[-1], []).append(name)
    assert {stage: len(by_stem.get(stage, [])) for stage in stages} == dict.fromkeys(stages, 1)


# Paths named in docs/architecture.md: `flows/...`, `tools/...`, `dbt_project/...` …
_DOC_PATH = re.compile(r"`((?:flows|tools|tests|bench|dbt_project|quality|docs)/[^`\s]*)`")


def test_the_architecture_page_names_only_modules_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(_DOC_PATH.findall(text))
    assert len(named) > 20
    missing = sorted(path for path in named if not (ROOT / path.rstrip("/")).exists())
    assert missing == []


def test_the_architecture_page_names_the_module_of_every_stage():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for stage in _stage_names():
        (module,) = [name for name in _modules() if name.endswith(f".{stage}")]
        assert f"`{module.replace('.', '/')}.py`" in text, stage


@pytest.mark.parametrize(
    ("question", "path", "answer"),
    [
        # A row of the cross-value rules, declared to the gate through the rulebook.
        ("a poverty rate must match its households?", "flows/quality/rulebook.py", "rate_poverty"),
        ("a merged header cell becomes a year column?", "flows/reading/headers.py", "merged"),
    ],
)
def test_a_newcomer_finds_where_things_live_by_folder_names(question, path, answer):
    assert answer in (ROOT / path).read_text(encoding="utf-8"), question
