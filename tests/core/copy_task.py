"""A copy-style task for the copy mechanism: requests whose reply repeats a name or a number.

Every name and number occurs once, so with ``min_freq: 2`` on both sides none of them is in a
vocabulary, and the test split's names are never in the training split: only copying can produce
them. Written as TSV files for the ``parallel`` dataset.
"""

from __future__ import annotations

import random
from pathlib import Path

TEMPLATES = (
    ("repeat {name}", "{name}"),
    ("say hello to {name}", "hello {name}"),
    ("call {name} at {number}", "calling {name} at {number}"),
    ("my number is {number}", "your number is {number}"),
    ("tell {name} the code {number} please", "{name} the code is {number}"),
)
CONSONANTS, VOWELS = "bdfgklmnprstvz", "aeiou"


def unique_words(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    """``count`` distinct invented names and ``count`` distinct numbers."""
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(rng.randint(2, 3))))
    numbers = rng.sample(range(100, 1_000_000), count)
    return sorted(names), [str(n) for n in numbers]


def examples(rng: random.Random, names: list[str], numbers: list[str]) -> list[tuple[str, str]]:
    """One request per (name, number) pair, with a random template."""
    pairs = []
    for name, number in zip(names, numbers):
        source, target = rng.choice(TEMPLATES)
        pairs.append((source.format(name=name, number=number), target.format(name=name, number=number)))
    return pairs


def write_task(folder: Path, *, train: int, test: int, seed: int = 0) -> dict[str, str]:
    """train.tsv, dev.tsv (= ``test`` held-out items) and test.tsv in ``folder`` → the dataset options."""
    rng = random.Random(seed)
    names, numbers = unique_words(rng, train + 2 * test)
    rng.shuffle(names)
    order = {"train": (0, train), "dev": (train, train + test), "test": (train + test, train + 2 * test)}
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, (start, end) in order.items():
        path = folder / f"{split}.tsv"
        path.write_text("".join(f"{s}\t{t}\n" for s, t in examples(rng, names[start:end], numbers[start:end])))
        paths[split] = str(path.resolve())
    return paths


def config(paths: dict[str, str], *, copy: bool, steps: int, decoder: str = "rnn") -> dict:
    """A small config for the task (copy on or off), trained for ``steps`` updates on one thread."""
    decoders = {
        "rnn": {"type": "rnn", "cell": "gru", "embedding_dim": 16, "hidden_dim": 48, "dropout": 0.0,
                "attention": {"type": "additive", "dim": 24}},
        "transformer": {"type": "transformer", "model_dim": 32, "heads": 2, "layers": 2, "ff_dim": 64,
                        "dropout": 0.0},
    }
    return {
        "seed": 1, "device": "cpu", "threads": 1,
        "data": {"dataset": {"type": "parallel", **paths}, "batch_size": 32,
                 "source": {"min_freq": 2}, "target": {"min_freq": 2}},
        "model": {"encoder": {"type": "rnn", "cell": "gru", "embedding_dim": 16, "hidden_dim": 24, "dropout": 0.0},
                  "decoder": decoders[decoder], "copy": copy},
        "train": {"lr": 0.01, "max_steps": steps, "max_epochs": 1000, "validate_every": steps, "log_every": steps,
                  "progress": False},
        "eval": {"metrics": ["exact_match"], "batch_size": 64},
    }
