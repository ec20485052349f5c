"""docs/plugins.md, the plugin guide: a section for every hook of multis2s/hookspecs.py, and each
section's example a plugin module that registers and builds its component."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from multis2s import hookspecs
from multis2s.options import build, describe_options
from multis2s.plugins import load_registry

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "multis2s_spec"))
HEADING = re.compile(r"^#{2,4} `?(register_\w+)\(register\)`?\s*$", re.M)

SUPPLIED = {  # what the core (or the receiving component) passes each kind's factory
    "encoders": {"vocab_size": 9, "pad_id": 0},
    "decoders": {"vocab_size": 9, "pad_id": 0, "memory_dims": {"source": 8}, "state_dim": 8},
    "attentions": {"query_dim": 8, "memory_dim": 8},
    "datasets": {"skip_bad": False, "streams": {"source": "text"}},
}


def _sections() -> dict[str, str]:
    """Hook name → the text of its section (up to the next heading of any level; a ``#`` line
    inside a fenced block is no heading)."""
    text = GUIDE.read_text()
    prose = re.sub(r"```.*?```", lambda fence: re.sub(r"[^\n]", " ", fence.group(0)), text, flags=re.S)
    headings = [m.start() for m in re.finditer(r"^#{1,4} ", prose, re.M)] + [len(text)]
    sections = {}
    for match in HEADING.finditer(prose):
        end = next(start for start in headings if start > match.start())
        sections[match.group(1)] = text[match.end():end]
    return sections


def test_hooks_are_found_in_hookspecs():
    assert "register_encoders" in HOOKS and "register_metrics" in HOOKS and len(HOOKS) >= 8


def test_every_hook_has_a_section_and_every_section_a_hook():
    sections = _sections()
    missing = [hook for hook in HOOKS if hook not in sections]
    assert not missing, f"docs/plugins.md has no '### <hook>(register)' section for {missing}"
    stale = [name for name in sections if name not in HOOKS]
    assert not stale, f"docs/plugins.md documents hooks that multis2s/hookspecs.py lacks: {stale}"


@pytest.mark.parametrize("hook", HOOKS)
def test_the_example_of_each_hook_registers_and_builds(hook, tmp_path, monkeypatch):
    section = _sections().get(hook, "")
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, f"the {hook} section of docs/plugins.md has no python example"
    module = f"guide_{hook}"
    (tmp_path / f"{module}.py").write_text(code.group(1))
    monkeypatch.syspath_prepend(str(tmp_path))
    kind = hook.removeprefix("register_")
    registry = load_registry([module])
    (component,) = [c for c in registry.components() if c.plugin == module]
    assert component.kind == kind and component.help
    supplied = {**SUPPLIED.get(kind, {}), **({"cache_dir": tmp_path} if kind == "datasets" else {})}
    describe_options(component.factory, supplied, registry)
    assert build(component.factory, {}, where=hook, supplied=supplied, registry=registry) is not None
