"""The house rules that keep the layers apart, checked on the source itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_MODULES = ("qtpy", "PyQt5", "PyQt6", "PySide2", "PySide6", "glue_qt")


def _imports(path: Path) -> set[str]:
    """Top-level names of every module a source file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _sources("adapters"), ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_never_import_glue_or_qt(path):
    bad = _imports(path) & {"glue", "glue_skybkg", *QT_MODULES}
    assert not bad, f"{path} imports {sorted(bad)}; skybkg_adapters must stay GUI-free"


@pytest.mark.parametrize("path", _sources("glue_skybkg"), ids=lambda p: str(p.relative_to(ROOT)))
def test_qt_only_in_the_qt_package(path):
    if "qt" in path.relative_to(ROOT / "glue_skybkg").parts[:-1]:
        return
    bad = _imports(path) & set(QT_MODULES)
    assert not bad, f"{path} imports {sorted(bad)}; Qt belongs in glue_skybkg/qt/"


def test_analysis_is_pure_numpy():
    bad = _imports(ROOT / "glue_skybkg" / "analysis.py") & {"glue", *QT_MODULES}
    assert not bad, f"glue_skybkg/analysis.py imports {sorted(bad)}"


def test_importing_the_core_loads_no_gui():
    code = (
        "import sys, skybkg_adapters, glue_skybkg.analysis;"
        "bad = [m for m in ('glue', 'PyQt5', 'glue_qt', 'matplotlib') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing the core pulled in {out.stdout.strip()}"


def test_ruff_clean():
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "adapters", "glue_skybkg", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
