"""``new-plugin --kind dataset``: a generated toy data set (sort digits) that reads user files too."""

from multis2s.scaffold.template import Template, tiny_config

COMPONENT = '''\
"""The $package data set: a generated toy task (sort a few digits); replace it with your data.

``split(name)`` gives a split's examples; ``read(path)`` a user's ``source<TAB>target`` file
(``multis2s evaluate RUN --data FILE``).
"""

import random
from pathlib import Path
from typing import Annotated

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s.ranges import Range

MAX_LINE_CHARS = 10_000


class $cls:
    """Source: 2 to ``max_length`` random digits; target: the same digits, sorted.

    Args:
        train_size: examples in the training split; dev and test get a tenth of it (at least one).
        max_length: the most digits in a source.
        seed: the same seed gives the same splits.
    """

    def __init__(self, *, train_size: Annotated[int, Range(ge=1, le=1_000_000)] = 200,
                 max_length: Annotated[int, Range(ge=2, le=50)] = 6, seed: int = 0) -> None:
        held_out = max(1, train_size // 10)
        self.sizes = {"train": train_size, "dev": held_out, "test": held_out}
        self.max_length, self.seed = max_length, seed

    def split(self, name: str) -> list[Example]:
        if name not in self.sizes:
            raise DataError(f"no split {name!r}: known splits are {', '.join(self.sizes)}")
        rng = random.Random(f"{self.seed}:{name}")
        examples = []
        for number in range(1, self.sizes[name] + 1):
            digits = [str(rng.randrange(10)) for _ in range(rng.randint(2, self.max_length))]
            examples.append(Example(" ".join(digits), " ".join(sorted(digits)), origin=f"{name}:{number}"))
        return examples

    def read(self, path: Path) -> list[Example]:
        examples = []
        with open(path, encoding="utf-8", newline="") as lines:
            for number, line in enumerate(iter(lambda: lines.readline(MAX_LINE_CHARS + 2), ""), start=1):
                source, tab, target = line.removesuffix("\\n").partition("\\t")
                if not tab or not source.strip() or not target.strip() or len(line) > MAX_LINE_CHARS + 1:
                    raise DataError(f"{path}:{number}: expected source<TAB>target, "
                                    f"at most {MAX_LINE_CHARS} characters")
                examples.append(Example(source, target, origin=f"{path}:{number}"))
        return examples
'''

TEST = '''\
"""The $package data set, tested as a plugin: registered, splits as promised, files read, trains."""

import pytest
import yaml

from multis2s.cli import main
from multis2s.errors import DataError
from multis2s.plugins import load_registry
from $package.dataset import $cls

''' + tiny_config(dataset='{"type": "$package", "train_size": 60, "max_length": 4}') + '''

def test_register_datasets_registers_it():
    component = load_registry(["$package"]).get("datasets", "$package")
    assert component.plugin == "$package" and component.modality == "text"


def test_splits_are_seeded_and_sorted():
    data = $cls(train_size=30, seed=1)
    train = data.split("train")
    assert len(train) == 30 and len(data.split("test")) == 3
    assert train == $cls(train_size=30, seed=1).split("train")
    assert train != $cls(train_size=30, seed=2).split("train")
    assert all(e.target.split() == sorted(e.source.split()) for e in train)
    with pytest.raises(DataError, match="no split 'valid'"):
        data.split("valid")


def test_read_takes_a_tsv_file_and_names_a_bad_line(tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("3 1\\t1 3\\n2 2\\t2 2\\n")
    assert [(e.source, e.target) for e in $cls().read(path)] == [("3 1", "1 3"), ("2 2", "2 2")]
    path.write_text("3 1\\t1 3\\nno tab\\n")
    with pytest.raises(DataError, match="mine.tsv:2"):
        $cls().read(path)


def test_trains_a_tiny_config(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["train", str(config), "-o", str(tmp_path / "run")]) == 0
'''

USAGE = '''\
Name it in a config (no `plugins:` line once installed); its options sit beside `type`:

```yaml
data:
  dataset: {type: $package, train_size: 2000, max_length: 8}
```
'''

TEMPLATE = Template(hook="register_datasets", module="dataset", suffix="Dataset", modality="text",
                    help="sort a few digits (a generated toy task)", component=COMPONENT, test=TEST, usage=USAGE)
