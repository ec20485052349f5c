"""The plugin manager and registry: each hook, clashes, unknown names, failing plugins."""

from __future__ import annotations

import importlib.metadata
import sys
import types

import pytest

from multis2s import plugins
from multis2s.errors import PluginError
from multis2s.plugins import create_manager, fill_registry, hookimpl, load_registry
from tests.conftest import ThrowawayPlugin


def test_register_encoders_hook_adds_component_with_its_plugin(throwaway_manager):
    component = fill_registry(throwaway_manager).get("encoders", "throwaway")
    assert component.plugin == "throwaway-plugin"
    assert component.modality == "text"


@pytest.mark.parametrize("kind, name", [
    ("encoders", "rnn"), ("encoders", "transformer"), ("decoders", "rnn"), ("decoders", "transformer"),
    ("modalities", "text"), ("datasets", "scan"), ("datasets", "parallel"), ("tokenizers", "char"),
    ("metrics", "bleu"), ("metrics", "wer"),
])
def test_builtins_come_through_entry_points(kind, name):
    component = load_registry().get(kind, name)
    assert component.plugin in ("core", "text")


def test_register_decoders_modalities_datasets_tokenizers_metrics_hooks():
    manager = create_manager()

    class Everything:
        @hookimpl
        def register_decoders(self, register):
            register("d2", object, modality="any", help="")

        @hookimpl
        def register_modalities(self, register):
            register("m2", object, modality="audio", help="")

        @hookimpl
        def register_datasets(self, register):
            register("ds2", object, modality="any", help="")

        @hookimpl
        def register_tokenizers(self, register):
            register("t2", object, modality="any", help="")

        @hookimpl
        def register_metrics(self, register):
            register("x2", object, modality="any", help="")

        @hookimpl
        def register_attentions(self, register):
            register("a2", object, modality="any", help="")

        @hookimpl
        def register_searches(self, register):
            register("s2", object, modality="any", help="")

    manager.register(Everything(), name="everything")
    registry = fill_registry(manager)
    for kind, name in [("decoders", "d2"), ("modalities", "m2"), ("datasets", "ds2"), ("tokenizers", "t2"),
                       ("metrics", "x2"), ("attentions", "a2"), ("searches", "s2")]:
        assert registry.get(kind, name).plugin == "everything"


def test_name_clash_names_both_plugins(throwaway_manager):
    throwaway_manager.register(ThrowawayPlugin(), name="second-plugin")
    clash = r'"throwaway" is registered twice.*"(throwaway|second)-plugin".*"(throwaway|second)-plugin"'
    with pytest.raises(PluginError, match=clash):
        fill_registry(throwaway_manager)


def test_unknown_name_lists_closest_and_providers():
    with pytest.raises(PluginError, match=r'unknown encoder "rnnn": did you mean \'rnn\'.*rnn \(text\)'):
        load_registry().get("encoders", "rnnn")


def test_failing_plugin_module_is_named(tmp_path, monkeypatch):
    (tmp_path / "broken_plugin_mod.py").write_text("import not_an_installed_package_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="Error loading plugin \"broken_plugin_mod\": ModuleNotFoundError: "
                                          "No module named 'not_an_installed_package_xyz'"):
        create_manager(["broken_plugin_mod"])


def test_misspelled_hook_is_an_error(monkeypatch):
    module = types.ModuleType("typo_plugin_mod")

    @hookimpl
    def register_encoder(register):  # missing the final "s"
        pass

    module.register_encoder = register_encoder
    monkeypatch.setitem(sys.modules, "typo_plugin_mod", module)
    with pytest.raises(PluginError, match='Error loading plugin "typo_plugin_mod".*register_encoder'):
        create_manager(["typo_plugin_mod"])


def test_hook_that_raises_is_named(monkeypatch):
    module = types.ModuleType("raising_plugin_mod")

    @hookimpl
    def register_metrics(register):
        raise RuntimeError("boom")

    module.register_metrics = register_metrics
    monkeypatch.setitem(sys.modules, "raising_plugin_mod", module)
    with pytest.raises(PluginError, match='"raising_plugin_mod": register_metrics failed: RuntimeError: boom'):
        load_registry(["raising_plugin_mod"])



def _fake_entry_point(monkeypatch, name: str, module: str, distribution: str) -> None:
    real = list(importlib.metadata.entry_points(group="multis2s"))
    fake = importlib.metadata.EntryPoint(name=name, value=module, group="multis2s")
    fake = fake._for(types.SimpleNamespace(name=distribution)) if hasattr(fake, "_for") else fake
    monkeypatch.setattr(plugins.importlib.metadata, "entry_points", lambda group: real + [fake])


def test_an_installed_plugin_that_fails_to_import_is_listed_and_blocks_nothing(monkeypatch, capsys):
    _fake_entry_point(monkeypatch, "sonar", "not_an_installed_sonar_package", "multis2s-sonar")
    registry = load_registry()
    assert registry.get("encoders", "rnn").plugin == "text"
    (unavailable,) = registry.unavailable
    assert unavailable.name == "sonar" and unavailable.distribution == "multis2s-sonar"
    assert "ModuleNotFoundError" in unavailable.error
    with pytest.raises(PluginError, match=r'unknown encoder "echo".*plugin "sonar" \(multis2s-sonar\) is unavailable'):
        registry.get("encoders", "echo")
    from multis2s.cli import main

    assert main(["plugins"]) == 0
    assert "unavailable plugin sonar (multis2s-sonar): ModuleNotFoundError" in capsys.readouterr().out


def test_third_party_entry_point_loads_and_autoload_can_be_disabled(monkeypatch):
    module = types.ModuleType("third_party_mod")

    @hookimpl
    def register_metrics(register):
        register("third", object, modality="any", help="from a third party")

    module.register_metrics = register_metrics
    monkeypatch.setitem(sys.modules, "third_party_mod", module)
    _fake_entry_point(monkeypatch, "third", "third_party_mod", "third-party-dist")
    assert load_registry().get("metrics", "third").plugin == "third"
    monkeypatch.setenv(plugins.DISABLE_AUTOLOAD_ENV, "1")
    with pytest.raises(PluginError, match='unknown metric "third"'):
        load_registry().get("metrics", "third")
    assert load_registry().get("encoders", "rnn").plugin == "text"


def test_a_new_modality_needs_no_core_change_but_a_malformed_one_is_an_error():
    manager = create_manager()

    class NewSense:
        @hookimpl
        def register_encoders(self, register):
            register("nose", object, modality="smell", help="")

    manager.register(NewSense(), name="new-sense")
    assert fill_registry(manager).get("encoders", "nose").modality == "smell"

    class Bad:
        @hookimpl
        def register_datasets(self, register):
            register("odd", object, modality="Audio+", help="")

    manager.register(Bad(), name="bad")
    with pytest.raises(PluginError, match=r'Error loading plugin "bad": dataset "odd" has modality "Audio\+", '
                                          "expected a lower-case name"):
        fill_registry(manager)
