"""The house rules that keep the layers apart, checked on the source itself.

* ``skybkg_adapters`` (``adapters/``) never imports glue, the plugin, Qt or ipywidgets;
* ``glue_skybkg.analysis`` never imports glue or Qt;
* Qt is imported only in ``glue_skybkg/qt/``, ipywidgets only in ``glue_skybkg/jupyter/``;
* ``glue_skybkg/cli`` may import the plugin, never the reverse;
* the import graph of both packages has no circle (function-local imports included);
* ruff (lint and format) and mypy are clean.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"skybkg_adapters": ROOT / "adapters", "glue_skybkg": ROOT / "glue_skybkg"}
QT_MODULES = {"qtpy", "PyQt5", "PyQt6", "PySide2", "PySide6", "glue_qt"}
JUPYTER_MODULES = {"ipywidgets", "ipyvuetify", "ipyvue", "bqplot", "glue_jupyter"}


def _module_name(path: Path) -> str:
    """The dotted module name of a source file of one of the two packages."""
    for package, folder in PACKAGES.items():
        if path.is_relative_to(folder):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            return ".".join((package, *parts))
    raise ValueError(f"{path} is in neither package")


def _sources() -> list[Path]:
    return sorted(p for folder in PACKAGES.values() for p in folder.rglob("*.py"))


MODULES = {_module_name(path): path for path in _sources()}


def _imported(path: Path) -> Iterator[str]:
    """Every module name ``path`` imports, anywhere in the file, relative ones made absolute.

    ``from package import name`` yields ``package.name`` when that is a module of ours (a
    submodule import), else ``package``.
    """
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                yield candidate if candidate in MODULES else target


def _top_level(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported(path)}


def _in(path: Path, folder: str) -> bool:
    return path.is_relative_to(ROOT / folder)


def _ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", sorted((ROOT / "adapters").rglob("*.py")), ids=_ids)
def test_adapters_never_import_glue_qt_or_widgets(path):
    bad = _top_level(path) & {"glue", "glue_skybkg", *QT_MODULES, *JUPYTER_MODULES}
    assert not bad, f"{path} imports {sorted(bad)}; skybkg_adapters must stay GUI-free"


@pytest.mark.parametrize("path", sorted((ROOT / "glue_skybkg").rglob("*.py")), ids=_ids)
def test_qt_only_in_qt_and_widgets_only_in_jupyter(path):
    if not _in(path, "glue_skybkg/qt"):
        bad = _top_level(path) & QT_MODULES
        assert not bad, f"{path} imports {sorted(bad)}; Qt belongs in glue_skybkg/qt/"
    if not _in(path, "glue_skybkg/jupyter"):
        bad = _top_level(path) & JUPYTER_MODULES
        assert not bad, f"{path} imports {sorted(bad)}; widgets belong in glue_skybkg/jupyter/"


@pytest.mark.parametrize("path", sorted((ROOT / "glue_skybkg").rglob("*.py")), ids=_ids)
def test_the_plugin_never_imports_the_command_line_application(path):
    if _in(path, "glue_skybkg/cli"):
        return
    bad = sorted(n for n in _imported(path) if n.startswith("glue_skybkg.cli"))
    assert not bad, f"{path} imports {bad}; glue_skybkg.cli may use the plugin, not the reverse"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "glue_skybkg" / "analysis").rglob("*.py")), ids=_ids
)
def test_analysis_is_pure_numpy(path):
    bad = _top_level(path) & {"glue", *QT_MODULES, *JUPYTER_MODULES}
    assert not bad, f"{path} imports {sorted(bad)}; the analysis package must stay GUI-free"


def _graph() -> dict[str, set[str]]:
    """Our modules and the modules of ours each one imports."""
    return {
        name: {target for target in _imported(path) if target in MODULES and target != name}
        for name, path in MODULES.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as a list of modules, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_circle():
    graph = _graph()
    assert len(graph) > 50
    assert graph["skybkg_adapters.render"]
    circle = _cycle(graph)
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_the_cycle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_importing_the_core_loads_no_gui():
    code = (
        "import sys, skybkg_adapters, glue_skybkg.analysis;"
        "bad = [m for m in ('glue', 'PyQt5', 'glue_qt', 'matplotlib', 'numba') "
        "if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing the core pulled in {out.stdout.strip()}"


def _tool(name: str) -> list[str]:
    """How to run ``name`` (a test extra): as a module of this Python."""
    return [sys.executable, "-m", name]


def test_ruff_clean():
    out = subprocess.run(
        [*_tool("ruff"), "check", "adapters", "glue_skybkg", "tests", "example_sessions"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format_clean():
    out = subprocess.run(
        [
            *_tool("ruff"),
            "format",
            "--check",
            "adapters",
            "glue_skybkg",
            "tests",
            "example_sessions",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_clean(tmp_path_factory):
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"
    out = subprocess.run(
        [*_tool("mypy"), "--cache-dir", str(cache), "adapters", "glue_skybkg"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_both_packages_ship_py_typed():
    for folder in PACKAGES.values():
        assert (folder / "py.typed").is_file(), f"{folder} has no py.typed marker"
    assert "py.typed" in (ROOT / "setup.cfg").read_text(), "setup.cfg does not install py.typed"
