"""A plain ``pip install .`` (no extras): text configs train, the other plugins say which extra to install.

The missing libraries are hidden from a child interpreter by a ``sitecustomize`` that makes every
import finder answer "not found" for them, as on a machine where they were never installed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from tests.conftest import TINY

EXTRA_ONLY = ("torchvision", "torchaudio", "soundfile", "espeakng_loader", "av", "fastapi", "starlette", "uvicorn",
              "python_multipart", "onnx", "onnxruntime", "tensorboard")

HIDE = f'''
import sys

HIDDEN = {set(EXTRA_ONLY)!r}


class Hidden:
    """Wraps a finder: the hidden top-level packages are not found, everything else is."""

    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            return None
        find = getattr(self.finder, "find_spec", None)
        return find(name, path, target) if find else None

    def __getattr__(self, name):
        return getattr(self.finder, name)


sys.meta_path[:] = [Hidden(finder) for finder in sys.meta_path]
'''


def _slim(tmp_path, *args: str) -> subprocess.CompletedProcess:
    site = tmp_path / "slim-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(HIDE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    script = "import sys\nfrom multis2s.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_plugins_without_extras_name_the_install_line(tmp_path):
    done = _slim(tmp_path, "plugins")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    for plugin, extra in (("audio", "audio"), ("vision", "vision"), ("lipread", "video")):
        (line,) = [line for line in lines if line.startswith(f"unavailable plugin {plugin} ")]
        assert line.endswith(f"pip install 'multis2s[{extra}]'"), line
    names = {line.split()[1] for line in lines if not line.startswith("unavailable")}
    assert {"rnn", "transformer", "sentencepiece", "en_fr", "bleu", "greedy"} <= names
    assert "conv_lstm" not in names and "resnet18" not in names


def test_text_config_trains_without_extras(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({**TINY, "train": {**TINY["train"], "max_steps": 4, "validate_every": 4}}))
    done = _slim(tmp_path, "run", str(config), "-o", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "run" / "results.json").is_file()


def test_a_config_naming_a_missing_extra_says_what_to_install(tmp_path):
    config = tmp_path / "speech.yaml"
    model = {**TINY["model"], "encoder": {"type": "conv_lstm"}}
    config.write_text(yaml.safe_dump({**TINY, "model": model}))
    done = _slim(tmp_path, "train", str(config), "-o", str(tmp_path / "run"))
    assert done.returncode != 0
    assert "unknown encoder \"conv_lstm\"" in done.stderr and "pip install 'multis2s[audio]'" in done.stderr


def test_serve_without_its_extra_is_one_line_naming_it(tmp_path):
    done = _slim(tmp_path, "serve", str(tmp_path / "no-run"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: needs starlette, uvicorn, python_multipart")
    assert done.stderr.strip().endswith("pip install 'multis2s[serve]'")
