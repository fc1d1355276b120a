"""Layers point one way: the commerce service and the speech library stand alone, and the
assistant composes them; the shapes both sides of a boundary share import no package of the
project. Every import in ``commerce/``, ``audio/`` and ``shapes/`` is read with ``ast``
(module level, inside functions and under ``TYPE_CHECKING`` alike)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "commerce": {"assistant", "audio", "skills"},
    "audio": {"assistant", "commerce", "skills"},
    "shapes": {"assistant", "audio", "bench", "commerce", "nlu", "skills"},
}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the file."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in imported_packages(path)
        if name in FORBIDDEN[package]
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_the_package_imports_none_of_the_layers_above_it(package: str) -> None:
    assert violations(package) == []


def test_the_check_sees_imports_wherever_they_are(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import audio.base, json\n"
        "if TYPE_CHECKING:\n"
        "    from assistant.settings import Settings\n"
        "def f():\n"
        "    from commerce import cli\n"
        "from . import sibling\n"
    )
    names = [name for _, name in imported_packages(source)]
    assert names == ["typing", "audio", "json", "assistant", "commerce"]
