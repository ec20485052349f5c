"""Every out-of-range number, oversized model, lying encoder and hostile YAML file is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pytest
import yaml

from multis2s.cli import main
from multis2s.config import load_config, parse_config, parse_override
from multis2s.errors import ConfigError
from multis2s.options import describe_options, resolve, shown
from multis2s.ranges import DROPOUT, Range
from multis2s.registry import Registry
from multis2s.safe_yaml import MAX_BYTES

ROOT = Path(__file__).resolve().parents[2]


def _error(capsys, config: Path, *overrides: str) -> str:
    """The one error line of ``multis2s train config overrides…``, after ``error: <config>: ``."""
    assert main(["train", str(config), "-o", str(config.parent / "run"), *overrides]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {config}"), lines
    return lines[0][len(f"error: {config}"):].removeprefix(": ")


CORE_RANGES = [
    ("data.batch_size=0", "data.batch_size: must be >= 1, got 0"),
    ("data.batch_size=-1", "data.batch_size: must be >= 1, got -1"),
    ("data.num_workers=-1", "data.num_workers: must be >= 0, got -1"),
    ("data.target.min_freq=0", "data.target.min_freq: must be >= 1, got 0"),
    ("data.target.max_vocab=0", "data.target.max_vocab: must be >= 1, got 0"),
    ("data.carve.dev=0", "data.carve.dev: must be >= 1 or in (0, 1), got 0"),
    ("data.carve.test=1.5", "data.carve.test: must be in (0, 1), got 1.5"),
    ("model.stream_dropout=1", "model.stream_dropout: must be in [0, 1), got 1"),
    ("train.lr=.nan", "train.lr: must be a finite number, got nan"),
    ("train.lr=.inf", "train.lr: must be a finite number, got inf"),
    ("train.lr=-1e-3", "train.lr: must be > 0, got -0.001"),
    ("train.lr=0", "train.lr: must be > 0, got 0"),
    ("train.weight_decay=-0.1", "train.weight_decay: must be >= 0, got -0.1"),
    ("train.betas=[2,2]", "train.betas[0]: must be in [0, 1), got 2"),
    ("train.betas=[0.9,1]", "train.betas[1]: must be in [0, 1), got 1"),
    ("train.warmup_steps=-1", "train.warmup_steps: must be >= 0, got -1"),
    ("train.min_lr=-1", "train.min_lr: must be >= 0, got -1"),
    ("train.min_lr=0.5", "train.min_lr: must be <= train.lr (0.01), got 0.5"),
    ("train.max_steps=-1", "train.max_steps: must be >= 1, got -1"),
    ("train.max_steps=0", "train.max_steps: must be >= 1, got 0"),
    ("train.max_epochs=0", "train.max_epochs: must be >= 1, got 0"),
    ("train.clip_grad_norm=-1", "train.clip_grad_norm: must be >= 0, got -1"),
    ("train.label_smoothing=5", "train.label_smoothing: must be in [0, 1), got 5"),
    ("train.teacher_forcing=1.5", "train.teacher_forcing: must be in [0, 1], got 1.5"),
    ("train.teacher_forcing_end=-0.1", "train.teacher_forcing_end: must be in [0, 1], got -0.1"),
    ("train.teacher_forcing_steps=-1", "train.teacher_forcing_steps: must be >= 0, got -1"),
    ("train.validate_every=0", "train.validate_every: must be >= 1, got 0"),
    ("train.validation_examples=0", "train.validation_examples: must be >= 1, got 0"),
    ("train.early_stopping_patience=0", "train.early_stopping_patience: must be >= 1, got 0"),
    ("train.log_every=0", "train.log_every: must be >= 1, got 0"),
    ("train.save_every=-1", "train.save_every: must be >= 0, got -1"),
    ("train.save_every_minutes=-1", "train.save_every_minutes: must be >= 0, got -1"),
    ("train.max_bad_steps=0", "train.max_bad_steps: must be >= 1, got 0"),
    ("eval.batch_size=0", "eval.batch_size: must be >= 1, got 0"),
    ("eval.max_length_ratio=-1", "eval.max_length_ratio: must be in [0, 1000], got -1"),
    ("eval.max_length_ratio=1e300", "eval.max_length_ratio: must be in [0, 1000], got 1e+300"),
    ("eval.max_length_offset=-1", "eval.max_length_offset: must be in [0, 100000], got -1"),
    ("seed=-1", "seed: must be in [0, 4294967296), got -1"),
    ("threads=-1", "threads: must be >= 1, got -1"),
    ("threads=0", "threads: must be >= 1, got 0"),
    ("train.max_steps=1e3", "train.max_steps: expected int, got 1000.0"),
]


@pytest.mark.parametrize("override, message", CORE_RANGES, ids=[c[0] for c in CORE_RANGES])
def test_core_numbers_out_of_range_are_one_line(tiny_config, capsys, override, message):
    assert _error(capsys, tiny_config, override) == message


def test_max_length_needs_a_ratio_or_an_offset(tiny_config, capsys):
    assert _error(capsys, tiny_config, "eval.max_length_ratio=0", "eval.max_length_offset=0") == (
        "eval.max_length_offset: must be >= 1 when eval.max_length_ratio is 0 (outputs could have no tokens)")


COMPONENT_RANGES = [
    ("model.encoder.hidden_dim=0", "model.encoder.hidden_dim: must be >= 1, got 0"),
    ("model.encoder.layers=0", "model.encoder.layers: must be >= 1, got 0"),
    ("model.encoder.dropout=1", "model.encoder.dropout: must be in [0, 1), got 1"),
    ("model.encoder.dropout=-0.5", "model.encoder.dropout: must be in [0, 1), got -0.5"),
    ("model.encoder.hidden_dim=100000000000000000000",
     "model.encoder.hidden_dim: must be a 64-bit integer (-2**63 to 2**63 - 1), got 100000000000000000000"),
    ("model.decoder.layers=0", "model.decoder.layers: must be >= 1, got 0"),
    ("model.decoder.embedding_dim=-8", "model.decoder.embedding_dim: must be >= 1, got -8"),
    ("model.decoder.attention={type: additive, dim: 0}", "model.decoder.attention.dim: must be >= 1, got 0"),
    ("model.decoder.attention={type: multihead, heads: 0}", "model.decoder.attention.heads: must be >= 1, got 0"),
    ("model.decoder={type: transformer, ff_dim: 0}", "model.decoder.ff_dim: must be >= 1, got 0"),
    ("eval.search={type: beam, beam: 0}", "eval.search.beam: must be >= 1, got 0"),
    ("eval.search={type: beam, n_best: 0}", "eval.search.n_best: must be >= 1, got 0"),
    ("eval.search={type: beam, length_penalty: -1}", "eval.search.length_penalty: must be >= 0, got -1"),
    ("eval.search={type: beam, length_penalty: .nan}", "eval.search.length_penalty: must be a finite number, got nan"),
    ("eval.search={type: beam, beam: 2, n_best: 3}",
     "eval.search: n_best (3) must be between 1 and the beam size (2)"),
]


@pytest.mark.parametrize("override, message", COMPONENT_RANGES, ids=[c[0] for c in COMPONENT_RANGES])
def test_component_numbers_out_of_range_are_one_line(tiny_config, capsys, override, message):
    assert _error(capsys, tiny_config, override) == message


class Unannotated:
    """A third-party component that declares no ranges."""

    def __init__(self, *, inner_dim: int = 8, layers: int = 2, heads: int = 0, dropout: float = 0.1,
                 levels: int = 3, ratio: float = 0.5) -> None:
        pass


class Declared:
    def __init__(self, *, size: Annotated[int, Range(gt=0, le=10)] = 4, rate: Annotated[float, DROPOUT] = 0.0,
                 layers: Annotated[int, Range(ge=0)] = 0) -> None:
        pass


def _resolve(factory, **options):
    return resolve(factory, options, where="x", supplied=(), registry=Registry(), base=lambda key: Path.cwd())


def test_size_and_dropout_names_imply_a_range_unless_the_default_breaks_it():
    for key, value, message in [("inner_dim", 0, "x.inner_dim: must be >= 1, got 0"),
                                ("layers", -1, "x.layers: must be >= 1, got -1"),
                                ("dropout", 1.0, "x.dropout: must be in [0, 1), got 1.0")]:
        with pytest.raises(ConfigError) as caught:
            _resolve(Unannotated, **{key: value})
        assert str(caught.value) == message
    assert _resolve(Unannotated, heads=0, levels=-1, ratio=7.5).kwargs["levels"] == -1  # default 0 breaks >= 1
    with pytest.raises(ConfigError, match=r"^x.ratio: must be a finite number, got inf$"):
        _resolve(Unannotated, ratio=float("inf"))


def test_a_declared_range_wins_and_shows_in_the_option_type():
    assert _resolve(Declared, layers=0).kwargs["layers"] == 0
    with pytest.raises(ConfigError, match=r"^x.size: must be in \(0, 10\], got 11$"):
        _resolve(Declared, size=11)
    rows = {name: kind for name, kind, _ in describe_options(Declared)}
    assert rows == {"size": "int in (0, 10]", "rate": "float in [0, 1)", "layers": "int >= 0"}
    assert dict((n, k) for n, k, _ in describe_options(Unannotated))["inner_dim"] == "int >= 1"
    with pytest.raises(TypeError):
        Range(ge=0, gt=0)


def test_every_numeric_core_option_has_a_declared_range():
    import dataclasses
    import typing

    from multis2s import config as module
    from multis2s.options import declares_range

    unbounded = {"CarveConfig.seed"}  # any seed works for random.Random
    for cls in (module.DataConfig, module.TargetConfig, module.CarveConfig, module.ModelConfig, module.TrainConfig,
                module.EvalConfig, module.Config):
        hints = typing.get_type_hints(cls, include_extras=True)
        for f in dataclasses.fields(cls):
            text = str(hints[f.name])
            if ("int" in text or "float" in text) and f"{cls.__name__}.{f.name}" not in unbounded:
                assert declares_range(hints[f.name]), f"{cls.__name__}.{f.name} has no range"


def test_yaml_12_floats_in_files_and_overrides(tmp_path):
    path = tmp_path / "floats.yaml"
    raw = yaml.safe_load((ROOT / "configs" / "reverse.yaml").read_text())
    raw["train"].update(lr="@lr", weight_decay="@wd", min_lr="@min")
    path.write_text(yaml.safe_dump(raw).replace("'@lr'", "1e-3").replace("'@wd'", "1.0e-2").replace("'@min'", ".5e-4"))
    train = load_config(path).train
    assert (train.lr, train.weight_decay, train.min_lr) == (0.001, 0.01, 0.00005)
    assert load_config(path, ["train.lr=2E-3"]).train.lr == 0.002
    values = [parse_override(f"x={text}")[1] for text in ("1e-3", "1.0e6", "-2E+3", ".5e1", "1e3", "1.5", "'1e3'")]
    assert values == [0.001, 1e6, -2000.0, 5.0, 1000.0, 1.5, "1e3"]
    assert parse_override("x=[1, 2_000, 0x10, true]")[1] == [1, 2000, 16, True]
    assert yaml.safe_load("a: 1e-3") == {"a": "1e-3"}, "PyYAML's own SafeLoader is left as it is"


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


HOSTILE = [
    ("latin1.yaml", "data: caf\xe9\n".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 9)"),
    ("big.yaml", "#" * (MAX_BYTES + 1), f"config file larger than {MAX_BYTES} bytes"),
    ("deep_block.yaml", "- " * 20_000 + "1\n", ":1: nested deeper than 100 levels"),
    ("deep_flow.yaml", "a: " + "[" * 20_000 + "]" * 20_000 + "\n", ":1: nested deeper than 100 levels"),
    ("deep_json.yaml", '{"a": ' * 20_000 + "1" + "}" * 20_000 + "\n", ":1: nested deeper than 100 levels"),
    ("digits.yaml", "seed: " + "7" * 5_000 + "\n", ":1: an integer of 5000 characters (at most 100)"),
    ("hex.yaml", "seed: 0x" + "f" * 5_000 + "\n", ":1: an integer of 5002 characters (at most 100)"),
    ("recursive.yaml", "a: &a [1, *a]\n", ":1: alias *a is inside the collection it names"),
    ("undefined.yaml", "a: *" + "x" * 5_000 + "\n", ":1: undefined alias *" + "x" * 60 + "…"),
    ("date.yaml", "train:\n  lr: 2001-13-45\n", ":2: cannot read '2001-13-45' as timestamp"),
    ("bool.yaml", "a: !!bool maybe\n", ":1: cannot read 'maybe' as bool"),
    ("python.yaml", "a: !!python/object/apply:os.system [ls]\n",
     ":1: YAML error: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("nul.yaml", "a: \x00\n", ": YAML syntax error: unacceptable character #x0000: special characters are not allowed"),
    ("list.yaml", "[1, 2]\n", ": expected a mapping at the top level"),
]


@pytest.mark.parametrize("name, text, message", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_config_files_are_one_line(tmp_path, capsys, name, text, message):
    path = _write(tmp_path, name, text)
    assert _error(capsys, path) == message.removeprefix(": ")


def test_yaml_error_text_is_bounded(tmp_path, capsys):
    path = _write(tmp_path, "tag.yaml", "a: !" + "x" * 5_000 + " 1\n")
    line = _error(capsys, path)
    assert line.startswith(":1: YAML error: could not determine a constructor for the tag '!xxx") and len(line) < 250


def test_long_keys_and_names_are_cut_short(tiny_config, capsys):
    key = "k" * 100_000
    line = _error(capsys, tiny_config, f"train.{key}=1")
    assert line.startswith("train." + "k" * 60 + "…: unknown key; known keys: amp, best_metric") and len(line) < 600
    line = _error(capsys, tiny_config, "model.encoder.type=" + "r" * 100_000)
    assert line == "model.encoder.type: expected the name of a registered component, got 'rrrrrrrrrrrrrrrrrrrr" \
                   "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr… (100000 characters)"
    assert _error(capsys, tiny_config, 'eval.metrics=["a\\nb"]') == "eval.metrics[0]: expected a name, got 'a\\nb'"
    line = _error(capsys, tiny_config, "x" * 10_000 + "=1")
    assert line.startswith("x" * 60 + "…: unknown key") and len(line) < 300


def test_shown_is_bounded_before_it_is_built():
    bomb: list = ["lol"] * 9
    for _ in range(9):
        bomb = [bomb] * 9  # 9**10 strings once expanded: repr() would take gigabytes
    assert len(shown(bomb)) <= 61
    assert shown(10 ** 5000 - 1) == "an integer of about 5000 digits"
    assert shown("x" * 1000) == "'" + "x" * 60 + "… (1000 characters)"


def test_config_data_from_elsewhere_is_bounded_too():
    """A checkpoint's saved config can share parts by reference, or hold itself (the unpickler keeps both)."""
    bomb: list = ["lol"] * 9
    for _ in range(9):
        bomb = [bomb] * 9
    with pytest.raises(ConfigError, match=r"^last.pt: config data holds more than 1000000 values$"):
        parse_config({"model": {"encoder": {"type": "rnn", "x": bomb}}, "data": {}}, "last.pt")
    loop: list = []
    loop.append(loop)
    with pytest.raises(ConfigError, match=r"^last.pt: config data nested deeper than 100 levels$"):
        parse_config({"model": loop, "data": {}}, "last.pt")


BOMB = "".join([
    'lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n',
    *(f"l{i}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)),
    "train: {lr: *i}\n",
])


def test_alias_bomb_is_one_line_in_little_memory(tmp_path):
    """A 1 KB billion-laughs file: one line, and reading it adds little to the process (it took 2.7 GB).

    The growth is the peak resident set while the command runs (the peak is reset once the command
    line and its libraries are imported: torch and torchvision alone take 0.7-1.1 GB, with the page
    cache) less the resident set then."""
    path = _write(tmp_path, "bomb.yaml", BOMB)
    assert path.stat().st_size < 1024
    script = ("import json, sys\nfrom multis2s.cli import main\nfrom multis2s.run import Run\n"
              "status = lambda key: next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))\n"
              "open('/proc/self/clear_refs', 'w').write('5')\n"  # the peak of the imports no longer counts
              "start = status('VmRSS:')\ncode = main(sys.argv[1:])\n"
              "print(json.dumps([code, status('VmHWM:') - start]))")
    done = subprocess.run([sys.executable, "-c", script, "train", str(path), "-o", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    code, growth_kib = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 2
    assert done.stderr.strip().splitlines() == [f"error: {path}:5: aliases expand to more than 10000 nodes"]
    assert growth_kib < 256 * 1024, f"reading the config added {growth_kib / 1024:.0f} MB"


def _plugin(folder: Path, monkeypatch, name: str, body: str) -> str:
    """A throwaway plugin module ``name`` on sys.path, registering text encoders."""
    (folder / f"{name}.py").write_text("from multis2s.plugins import hookimpl\n"
                                       "from multis2s_text.encoders import RNNEncoder\n" + body)
    monkeypatch.syspath_prepend(str(folder))
    return f"plugins=[{name}]"


LIAR = """
class Liar(RNNEncoder):
    def __init__(self, *, vocab_size: int, pad_id: int) -> None:
        super().__init__(vocab_size=vocab_size, pad_id=pad_id, embedding_dim=8, hidden_dim=8)
        self.{attribute} = {value}

@hookimpl
def register_encoders(register):
    register("liar", Liar, modality="text")
"""


@pytest.mark.parametrize("attribute, value, message", [
    ("state_dim", 5, "model.encoder: encoder 'liar' declares state_dim=5 but returned a final_state of shape (2, 16)"),
    ("state_dim", 0, "model.encoder: encoder 'liar' declares state_dim=0 but returned a final_state of shape (2, 16)"),
    ("output_dim", 7, "model.encoder: encoder 'liar' declares output_dim=7 but returned memory of shape (2, 4, 16)"),
])
def test_encoder_whose_declared_dims_lie_is_one_line_naming_it(tiny_config, tmp_path, monkeypatch, capsys,
                                                               attribute, value, message):
    module = f"liar_{attribute}_{value}"
    plugins = _plugin(tmp_path, monkeypatch, module, LIAR.format(attribute=attribute, value=value))
    assert _error(capsys, tiny_config, plugins, "model.encoder={type: liar}") == message


def test_model_too_large_for_memory_is_one_line_without_allocating(tiny_config, capsys):
    line = _error(capsys, tiny_config, "model.encoder.hidden_dim=100000000")
    assert line.startswith("model.encoder: encoder 'rnn' has 6e+16 parameters (2.4e+08 GB); training the model "
                           "needs about 9.6e+08 GB, more than this machine's ")


def test_model_sizes_that_overflow_are_one_line(tiny_config, capsys):
    line = _error(capsys, tiny_config, "model.encoder.hidden_dim=1099511627776")
    assert line.startswith("model.encoder: encoder 'rnn' is too large to build (")


def test_allocation_failure_while_building_is_one_line(tiny_config, tmp_path, monkeypatch, capsys):
    plugins = _plugin(tmp_path, monkeypatch, "greedy_encoder", """
class Greedy(RNNEncoder):
    def __init__(self, *, vocab_size: int, pad_id: int) -> None:
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 76800000000 bytes")

@hookimpl
def register_encoders(register):
    register("greedy", Greedy, modality="text")
""")
    assert _error(capsys, tiny_config, plugins, "model.encoder={type: greedy}") == (
        "model.encoder: encoder 'greedy' is too large to build ([enforce fail at alloc_cpu.cpp:127] "
        "DefaultCPUAllocator: can't allocate memory: you tried to allocate 76800000000 bytes)")


@pytest.mark.parametrize("config, override, message", [
    ("reverse.yaml", "data.dataset.vocabulary=-3", "data.dataset.vocabulary: must be >= 1, got -3"),
    ("reverse.yaml", "data.dataset.train_size=-5", "data.dataset.train_size: must be >= 0, got -5"),
    ("reverse.yaml", "data.dataset.max_length=0", "data.dataset.max_length: must be >= 1, got 0"),
    ("asr.yaml", "data.source.sample_rate=0", "data.source.sample_rate: must be >= 1, got 0"),
    ("asr.yaml", "data.source.num_mel_bins=-2", "data.source.num_mel_bins: must be >= 1, got -2"),
])
def test_dataset_and_pipeline_counts_get_a_range_from_their_names(config, override, message, tmp_path, capsys):
    assert main(["train", str(ROOT / "configs" / config), "-o", str(tmp_path / "run"), override]) == 2
    assert capsys.readouterr().err.strip() == f"error: {ROOT / 'configs' / config}: {message}"
