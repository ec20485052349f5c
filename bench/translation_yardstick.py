"""The harder translation yardstick (issue 12): corpus statistics and each run's test figures.

    python bench/translation_yardstick.py RUN_DIR [RUN_DIR ...]

Prints, for the corpus of ``configs/translation.yaml`` (``en_fr`` level full, seed 1, 10,000 /
500 / 1,000): word types per side, sentence lengths, how much of the test split holds names never
seen in training and words seen at most three times; then, per run folder: its tokenizers, the
source and target vocabulary sizes (embedding rows, specials included) and the test metrics that
``multis2s run`` wrote to ``results.json``.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

from multis2s.checkpoint import Checkpoint
from multis2s_text.en_fr_full import generate_splits, held_out_names

_NAME = re.compile(r"\b[A-Z][a-z]+")


def corpus_statistics(seed: int = 1) -> dict[str, float]:
    splits = generate_splits(10000, 500, 1000, seed)
    train, test = splits["train"], splits["test"]
    english = Counter(word for source, _ in train for word in source.split())
    french = Counter(word for _, target in train for word in target.split())
    held_out = held_out_names(seed)
    test_names = [name for source, _ in test for name in _NAME.findall(source)]
    test_words = [word for source, _ in test for word in source.split()]
    return {
        "train English word types": len(english), "train French word types": len(french),
        "English words per sentence (train)": round(statistics.mean(len(s.split()) for s, _ in train), 2),
        "French words per sentence (train)": round(statistics.mean(len(t.split()) for _, t in train), 2),
        "longest French sentence (words)": max(len(t.split()) for _, t in train),
        "test sentences with a name never seen in training (%)": round(
            100 * sum(any(n in held_out for n in _NAME.findall(s)) for s, _ in test) / len(test), 1),
        "test names never seen in training (%)": round(100 * sum(n in held_out for n in test_names)
                                                        / max(1, len(test_names)), 1),
        "test English tokens unseen in training (%)": round(100 * sum(english[w] == 0 for w in test_words)
                                                            / len(test_words), 2),
        "test English tokens seen 1-3 times in training (%)": round(
            100 * sum(1 <= english[w] <= 3 for w in test_words) / len(test_words), 2),
    }


def run_figures(folder: Path) -> dict[str, object]:
    checkpoint = Checkpoint.load(folder / "checkpoints" / "best.pt")
    rows = {name: tuple(weight.shape)[0] for name, weight in checkpoint.model.items()
            if name.endswith("embedding.weight")}
    data = checkpoint.config["data"]
    results = folder / "results.json"
    return {
        "source tokenizer": next(iter(data["source"].values()))["tokenizer"],
        "target tokenizer": data["target"]["tokenizer"],
        "embedding rows (specials included)": rows, "attention": checkpoint.config["model"]["decoder"]["attention"],
        "test": json.loads(results.read_text()) if results.is_file() else None,
    }


def main(folders: list[str]) -> None:
    print(json.dumps(corpus_statistics(), indent=1, ensure_ascii=False))
    for folder in folders:
        print(folder, json.dumps(run_figures(Path(folder)), indent=1, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
