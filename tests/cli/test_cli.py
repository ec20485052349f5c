"""Every command end to end on a tiny config, and every user error as one line with exit code 2."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from multis2s.cli import main


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One tiny run shared by the read-only command tests."""
    import yaml

    from tests.conftest import TINY

    folder = tmp_path_factory.mktemp("cli")
    config = folder / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    run = folder / "run"
    assert main(["run", str(config), "-o", str(run), "train.max_steps=30"]) == 0
    return run


def test_run_writes_results_json(trained_run):
    results = json.loads((trained_run / "results.json").read_text())
    assert results["split"] == "test" and results["num_examples"] == 12
    assert set(results["metrics"]) == {"exact_match", "token_accuracy"}
    assert len(results["samples"]) == 3 and set(results["samples"][0]) == {"source", "reference", "output"}


def test_evaluate_json_object(trained_run, capsys):
    assert main(["evaluate", str(trained_run), "--split", "dev", "--beam", "2", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["split"] == "dev" and results["num_examples"] == 12
    assert 0.0 <= results["metrics"]["exact_match"] <= 100.0


def test_evaluate_data_file(trained_run, tmp_path, capsys):
    data = tmp_path / "mine.tsv"
    data.write_text("s1 s2\ts1 s2\ns3\ts3\n")
    assert main(["evaluate", str(trained_run), "--data", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["num_examples"] == 2


def test_predict_one_line_per_input(trained_run, capsys):
    assert main(["predict", str(trained_run), "s1 s2 s3", "s4", "--beam", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(set(line.split()) <= {f"s{i}" for i in range(6)} for line in lines)


def test_attention_png(trained_run, tmp_path):
    out = tmp_path / "att.png"
    assert main(["attention", str(trained_run), "s1 s2 s3", "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size[0] > 100 and image.size[1] > 100


def test_plugins_table_and_json(capsys):
    assert main(["plugins"]) == 0
    table = capsys.readouterr().out
    assert "encoder" in table and "scan" in table and "additive" in table
    assert main(["plugins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    rnn = next(r for r in rows if r["kind"] == "decoder" and r["name"] == "rnn")
    attention = next(o for o in rnn["options"] if o[0] == "attention")
    assert rnn["plugin"] == "core" and attention[2] == "'additive'"
    assert all(f"'{kind}'" in attention[1] for kind in ("none", "dot", "general", "additive", "multihead", "location"))


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    return err[0]


def test_yaml_syntax_error_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  dataset: {type: symbols\nmodel: [\n")
    assert main(["train", str(bad)]) == 2
    assert f"{bad}:3: YAML syntax error" in _error(capsys)


def test_unknown_key_names_path_and_file(tiny_config, capsys):
    assert main(["train", str(tiny_config), "model.decoder.atention=dot"]) == 2
    message = _error(capsys)
    assert f"{tiny_config}: model.decoder.atention: unknown key (did you mean 'attention'" in message


def test_unknown_section_key(tiny_config, capsys):
    assert main(["train", str(tiny_config), "train.learning_rate=0.1"]) == 2
    assert "train.learning_rate: unknown key" in _error(capsys)


def test_unknown_encoder_lists_closest(tiny_config, capsys):
    assert main(["train", str(tiny_config), "model.encoder.type=rnm"]) == 2
    message = _error(capsys)
    assert 'model.encoder.type: unknown encoder "rnm": did you mean \'rnn\'' in message


def test_wrong_type_and_bad_choice(tiny_config, capsys):
    assert main(["train", str(tiny_config), "train.lr=fast"]) == 2
    assert "train.lr: expected float, got 'fast'" in _error(capsys)
    assert main(["train", str(tiny_config), "model.decoder.attention=luong"]) == 2
    assert 'model.decoder.attention.type: unknown attention "luong"' in _error(capsys)
    assert main(["train", str(tiny_config), "model.decoder.attention={type: dot, dim: 8}"]) == 2
    assert "model.decoder.attention.dim: unknown key; known keys: none" in _error(capsys)


def test_decoder_that_does_not_fit_the_encoder(tiny_config, capsys):
    assert main(["train", str(tiny_config), "model.decoder.attention=dot", "model.decoder.hidden_dim=12"]) == 2
    assert (f"{tiny_config}: model.decoder: dot attention needs the decoder hidden size (12) to equal the "
            "encoder output_dim (16)") in _error(capsys)


def _parallel_config(tiny_config, train_path):
    return [str(tiny_config), "data.dataset={type: parallel, train: %s, dev: %s}" % (train_path, train_path)]


def test_tsv_line_without_tab_names_file_and_line(tiny_config, tmp_path, capsys):
    data = tmp_path / "train.tsv"
    data.write_text("a b\tb a\nno tab here\n")
    assert main(["train", *_parallel_config(tiny_config, data)]) == 2
    assert f"{data}:2: expected source<TAB>target, found no tab" in _error(capsys)


def test_empty_data_file(tiny_config, tmp_path, capsys):
    data = tmp_path / "train.tsv"
    data.write_text("\n")
    assert main(["train", *_parallel_config(tiny_config, data)]) == 2
    assert f"{data}: data file is empty" in _error(capsys)


def test_missing_run_folder_and_checkpoint(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nowhere")]) == 2
    assert "run folder not found" in _error(capsys)
    (tmp_path / "empty_run").mkdir()
    assert main(["predict", str(tmp_path / "empty_run"), "x"]) == 2
    assert "last.pt: checkpoint not found" in _error(capsys)


def test_missing_config_file(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: config file not found" in _error(capsys)


def test_evaluate_reports_tag_subsets_and_worst_errors(trained_run, tmp_path, capsys):
    data = tmp_path / "tagged.jsonl"
    lines = [{"source": "s1 s2", "target": "s1 s2", "held_out": True},
             {"source": "s3 s4 s5", "target": "s5 s5 s5 s5", "held_out": False},
             {"source": "s2", "target": "s2", "held_out": False}]
    data.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["evaluate", str(trained_run), "--data", str(data), "--errors", "1", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["subsets"]["held_out"]["num_examples"] == 1
    assert len(results["worst"]) == 1 and results["worst"][0].startswith("item 2:")
    assert "REF:" in results["worst"][0] and "s5 s5 s5 s5" in results["worst"][0]


def test_predict_n_best_lines(trained_run, capsys):
    assert main(["predict", str(trained_run), "s1 s2", "s3", "--n-best", "3"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [r[0] for r in rows] == ["1", "1", "1", "2", "2", "2"]
    scores = [float(r[1]) for r in rows[:3]]
    assert scores == sorted(scores, reverse=True)


def test_bad_search_sizes_on_the_command_line_are_one_line(trained_run, capsys):
    assert main(["evaluate", str(trained_run), "--beam", "0"]) == 2
    assert "--beam: beam must be >= 1, got 0" in _error(capsys)
    assert main(["predict", str(trained_run), "s1", "--n-best", "0"]) == 2
    assert "--n-best: must be >= 1, got 0" in _error(capsys)


def test_version_and_the_resolved_config(tiny_config, capsys):
    import yaml

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("multis2s ")
    assert main(["config", str(tiny_config), "train.lr=2e-3"]) == 0
    resolved = yaml.safe_load(capsys.readouterr().out)
    assert resolved["train"]["lr"] == 0.002 and resolved["train"]["max_bad_steps"] == 20
    assert resolved["model"]["encoders"]["source"]["layers"] >= 1, "every option of every component is listed"


def test_help_version_and_plugins_import_no_heavy_library():
    import subprocess
    import sys

    script = ("import sys\nfrom multis2s.cli import main\n"
              "for argv in (['--help'], ['--version'], ['train', '--help'], ['plugins']):\n"
              "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
              "print(sorted(m for m in ('torch', 'torchvision', 'matplotlib', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr[-2000:]
