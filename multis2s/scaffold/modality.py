"""``new-plugin --kind modality``: a source pipeline for a new modality (lines of numbers)."""

from multis2s.scaffold.template import Template

COMPONENT = '''\
"""The $package source pipeline: an item is a line of numbers, one step each, standardised.

Shapes: B batch, S steps (one per number), 1 feature.

A pipeline turns one modality's items into padded tensors; an encoder registered with
``modality="$package"`` reads them (it may declare ``input_dim``, which :meth:`encoder_inputs`
supplies). The pipeline's options are the keys of the config's ``data.source`` section.
"""

import math
from typing import Annotated, Any

import torch

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s.ranges import Range


class $cls:
    """``"0.5 -1 3"`` → a (3, 1) tensor, standardised with the training items' mean and deviation.

    Args:
        standardise: subtract the training mean and divide by the training deviation.
        max_steps: the most numbers in one item; a longer item is a DataError.
    """

    modality = "$package"
    reads_files = False  # an item is the text itself, not a file path

    def __init__(self, *, standardise: bool = True, max_steps: Annotated[int, Range(ge=1)] = 1000) -> None:
        self.standardise, self.max_steps = standardise, max_steps
        self.mean, self.std = 0.0, 1.0

    def numbers(self, example: Example) -> list[float]:
        """The item's numbers; DataError naming the example unless there are 1 to max_steps finite ones."""
        words = example.source.split()
        try:
            values = [float(word) for word in words[: self.max_steps + 1]]
        except ValueError:
            values = []
        if not 1 <= len(values) <= self.max_steps or not all(map(math.isfinite, values)):
            raise DataError(f"{example.origin or 'input'}: expected 1 to {self.max_steps} finite numbers "
                            f"separated by spaces, got {example.source[:60]!r}")
        return values

    def fit(self, examples: list[Example]) -> None:
        values = [v for example in examples for v in self.numbers(example)]
        if self.standardise and values:
            self.mean = sum(values) / len(values)
            self.std = math.sqrt(sum((v - self.mean) ** 2 for v in values) / len(values)) or 1.0

    def state(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std}

    def load_state(self, state: dict[str, Any]) -> None:
        self.mean, self.std = float(state["mean"]), float(state["std"])

    def encoder_inputs(self) -> dict[str, Any]:
        return {"input_dim": 1}

    def length(self, example: Example) -> int:
        return max(1, len(example.source.split()))

    def load(self, example: Example, *, train: bool) -> torch.Tensor:
        """(S, 1) standardised numbers (no augmentation: ``train`` is unused)."""
        values = torch.tensor(self.numbers(example), dtype=torch.float32)  # (S,)
        return ((values - self.mean) / self.std).unsqueeze(-1)  # (S, 1)

    def collate(self, items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = torch.tensor([len(item) for item in items], dtype=torch.long)  # (B,)
        batch = torch.zeros(len(items), int(lengths.max()), 1)  # (B, S, 1), zero on padding
        for row, item in enumerate(items):
            batch[row, : len(item)] = item
        return batch, lengths

    def labels(self, example: Example) -> list[str]:
        return example.source.split()
'''

TEST = '''\
"""The $package source pipeline, tested as a plugin: registered, fits, loads, pads, saves its state."""

import pytest
import torch

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s.plugins import load_registry
from $package.pipeline import $cls


def test_register_modalities_registers_it():
    component = load_registry(["$package"]).get("modalities", "$package")
    assert component.plugin == "$package" and component.modality == "$package"


def test_fit_load_collate_and_state():
    pipeline = $cls()
    pipeline.fit([Example("1 3", "a"), Example("2", "b")])
    assert (pipeline.mean, pipeline.encoder_inputs()) == (2.0, {"input_dim": 1})
    items = [pipeline.load(Example("2 3", "a"), train=True), pipeline.load(Example("1", "b"), train=False)]
    assert items[0].shape == (2, 1)
    batch, lengths = pipeline.collate(items)
    assert batch.shape == (2, 2, 1) and lengths.tolist() == [2, 1] and batch[1, 1, 0] == 0
    restored = $cls()
    restored.load_state(pipeline.state())
    torch.testing.assert_close(restored.load(Example("2 3", "a"), train=False), items[0])


def test_a_bad_item_is_a_data_error_naming_it():
    for source in ("1 two", "", "nan", " ".join(["1"] * 1001)):
        with pytest.raises(DataError, match="line 7"):
            $cls().load(Example(source, "a", origin="line 7"), train=False)
'''

USAGE = '''\
An encoder reads it when it is registered with `modality="$package"` (it may declare
`input_dim`, which the pipeline supplies); the pipeline's options are the config's `data.source`
keys:

```yaml
data:
  source: {standardise: true, max_steps: 500}
```
'''

TEMPLATE = Template(hook="register_modalities", module="pipeline", suffix="Pipeline", modality="$package",
                    help="a line of numbers, one step each, standardised", component=COMPONENT, test=TEST,
                    usage=USAGE)
