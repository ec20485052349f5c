"""Plugin boundaries: no built-in plugin imports another plugin's modules; shared code lives in the core
or in the shared speech package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
PLUGIN_PACKAGES = ("multis2s_text", "multis2s_audio", "multis2s_vision", "multis2s_lipread")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", PLUGIN_PACKAGES)
def test_a_plugin_imports_no_other_plugin(package):
    others = [p for p in PLUGIN_PACKAGES if p != package]
    for path in (PLUGINS / package).glob("*.py"):
        crossing = {m for m in imported_modules(path) if m.split(".")[0] in others}
        assert not crossing, f"{path.name} imports {crossing}"


def test_the_shared_speech_package_imports_no_plugin():
    for path in (PLUGINS / "multis2s_speech").glob("*.py"):
        assert not {m for m in imported_modules(path) if m.split(".")[0] in PLUGIN_PACKAGES}, path.name
