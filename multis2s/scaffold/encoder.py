"""``new-plugin --kind encoder``: a text encoder, its padding test and a tiny training run."""

from multis2s.scaffold.template import Template, tiny_config

COMPONENT = '''\
"""The $package encoder: token embeddings → position-wise feed-forward layers (a starting point:
tokens see no context; add yours, keeping padded positions out of the real ones).

Shapes: B batch, S source steps, E embedding size, D memory size.
"""

from typing import Annotated

import torch
from torch import nn

from multis2s.model.dropout import Dropout
from multis2s.model.encoder import EncoderOutput
from multis2s.model.masks import lengths_to_mask
from multis2s.ranges import DROPOUT, Range

Size = Annotated[int, Range(ge=1)]  # checked when the config loads: "model.encoder.hidden_dim: must be >= 1"


class $cls(nn.Module):
    """Embedding → ``layers`` × (linear, tanh, dropout); padded positions are zero in the memory.

    Args:
        vocab_size, pad_id: supplied by the text source pipeline (not config keys).
        embedding_dim: size of the token embeddings.
        hidden_dim: size of every layer, and of the memory the decoder attends over.
        layers: how many feed-forward layers.
        dropout: dropout after every layer, in training only.
    """

    def __init__(self, *, vocab_size: int, pad_id: int, embedding_dim: Size = 32, hidden_dim: Size = 64,
                 layers: Size = 1, dropout: Annotated[float, DROPOUT] = 0.0) -> None:
        super().__init__()
        self.output_dim = hidden_dim  # D of the memory
        self.state_dim = hidden_dim   # size of final_state (0 when forward returns None)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        sizes = [embedding_dim] + [hidden_dim] * layers
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(sizes, sizes[1:]))
        self.dropout = Dropout(dropout)  # nn.Dropout's, with masks made faster on the CPU

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, S) token ids, lengths (B,) → memory (B, S, D), memory_mask (B, S), final_state (B, D)."""
        mask = lengths_to_mask(lengths, inputs.size(1))  # (B, S), True on real tokens
        x = self.embedding(inputs)  # (B, S, E)
        for layer in self.layers:
            x = self.dropout(torch.tanh(layer(x)))  # (B, S, D)
        x = x * mask.unsqueeze(-1)  # (B, S, D), zero on padding
        final = x.sum(dim=1) / lengths.unsqueeze(1)  # (B, D) mean over real tokens
        return EncoderOutput(memory=x, memory_mask=mask, final_state=final)
'''

TEST = '''\
"""The $package encoder, tested as a plugin: registered, padding honoured, options checked, trains."""

import torch
import yaml

from multis2s.cli import main
from multis2s.plugins import load_registry
from $package.encoder import $cls

''' + tiny_config(encoder='{"type": "$package", "embedding_dim": 8, "hidden_dim": 16}') + '''

def _config(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("MULTIS2S_CACHE", str(tmp_path / "cache"))  # the generated corpus stays in tmp_path
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return str(path)


def test_register_encoders_registers_it():
    component = load_registry(["$package"]).get("encoders", "$package")
    assert component.plugin == "$package" and component.modality == "text"


def test_a_sequence_alone_equals_it_inside_a_padded_batch():
    encoder = $cls(vocab_size=9, pad_id=0, embedding_dim=8, hidden_dim=8).eval()
    inputs = torch.tensor([[3, 4, 5, 0, 0], [3, 4, 5, 6, 7]])  # (B, S), row 0 padded
    padded = encoder(inputs, torch.tensor([3, 5]))
    alone = encoder(inputs[:1, :3], torch.tensor([3]))
    torch.testing.assert_close(padded.memory[0, :3], alone.memory[0])
    torch.testing.assert_close(padded.final_state[0], alone.final_state[0])
    assert not padded.memory[0, 3:].any()


def test_an_out_of_range_option_is_one_config_line(tmp_path, monkeypatch, capsys):
    assert main(["train", _config(tmp_path, monkeypatch), "-o", str(tmp_path / "run"),
                 "model.encoder.hidden_dim=0"]) == 2
    assert "model.encoder.hidden_dim: must be >= 1, got 0" in capsys.readouterr().err


def test_trains_a_tiny_config(tmp_path, monkeypatch):
    run = tmp_path / "run"
    assert main(["train", _config(tmp_path, monkeypatch), "-o", str(run)]) == 0
    assert (run / "checkpoints" / "best.pt").exists()
'''

USAGE = '''\
Name it in any text config (no `plugins:` line once installed):

```yaml
model:
  encoder: {type: $package, hidden_dim: 128, layers: 2}
```

```sh
multis2s run configs/reverse.yaml "model.encoder={type: $package, hidden_dim: 128}"
```
'''

TEMPLATE = Template(hook="register_encoders", module="encoder", suffix="Encoder", modality="text",
                    help="token embeddings through feed-forward layers", component=COMPONENT, test=TEST, usage=USAGE)
