"""Chatbot, summarization and style transfer: their generated corpora (deterministic, held-out names,
numbers and phrasings), ROUGE and names-and-numbers-kept, and the shipped configs trained at tiny
size on the generated data and on the user's own files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from multis2s.cli import main
from multis2s.plugins import load_registry
from multis2s_text import dialogue_grammar, register_grammar, report_grammar
from multis2s_text.held_out import held_out_template, split_pools
from multis2s_text.text_metrics import NamesNumbersKept, Rouge, entities

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
GENERATORS = {
    "chatbot": dialogue_grammar.generate_splits,
    "summarization": report_grammar.generate_splits,
    "casual_to_polite": lambda *a: register_grammar.generate_splits(*a, direction="casual_to_polite"),
    "polite_to_casual": lambda *a: register_grammar.generate_splits(*a, direction="polite_to_casual"),
}
TINY_MODEL = ["model.encoder.embedding_dim=8", "model.encoder.hidden_dim=8", "model.decoder.embedding_dim=8",
              "model.decoder.hidden_dim=16", "train.max_steps=3", "train.warmup_steps=1", "train.validate_every=3",
              "train.validation_examples=8", "data.batch_size=8", "eval.max_length_offset=2", "threads=1"]


def small_splits(kind: str, seed: int = 3) -> dict[str, list[tuple[str, str]]]:
    return GENERATORS[kind](400, 40, 60, seed)


def template_pattern(template: str) -> re.Pattern:
    """A template as a regular expression: each ``{slot}`` one word (a name, a number or a lower-case word)."""
    parts = re.split(r"\{\w+\}", template)
    return re.compile(r"(?:[A-Z][a-z]+|\d+|[a-z]+)".join(map(re.escape, parts)))


# --- the corpora --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_generators_are_deterministic_by_seed(kind):
    assert small_splits(kind, 3) == small_splits(kind, 3)
    assert small_splits(kind, 3) != small_splits(kind, 4)


def test_training_and_held_out_pools_are_disjoint():
    train, held = split_pools(5)
    for field in ("names", "towns", "numbers"):
        seen, unseen = set(getattr(train, field)), set(getattr(held, field))
        assert seen and unseen and not seen & unseen, field
    assert split_pools(5) != split_pools(6)


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_held_out_examples_hold_only_unseen_names_and_numbers(kind):
    train_pool, held_pool = split_pools(3)
    seen = set(train_pool.names) | set(train_pool.towns) | {str(n) for n in train_pool.numbers}
    unseen = set(held_pool.names) | set(held_pool.towns) | {str(n) for n in held_pool.numbers}
    splits = small_splits(kind)
    sources = [s for pairs in splits.values() for s, _ in pairs]
    assert len(sources) == len(set(sources)) == 500, "no source occurs twice, in one split or across splits"
    for name, pairs in splits.items():
        allowed = seen if name == "train" else unseen
        for source, target in pairs:
            found = set(entities(source)) | set(entities(target))
            assert found and found <= allowed, (name, source)
            assert set(entities(target)) <= set(entities(source)), "every name and number of a target is in its source"


def _held_out_groups(kind: str) -> list[tuple[str, tuple[str, ...]]]:
    """(group, templates) of every group of source phrasings the generator holds one out of."""
    if kind == "chatbot":
        return [(g, m) for g, (m, _, _) in dialogue_grammar.SIMPLE.items()] + [
            (f"{g}:{part}", templates) for g, (rows, questions, _, _) in dialogue_grammar.TABLES.items()
            for part, templates in (("row", rows), ("question", questions))]
    if kind == "summarization":
        return [("distractor", report_grammar.DISTRACTORS)] + [
            (f"{g}:{part}", templates) for g, (leads, details, _) in report_grammar.EVENTS.items()
            for part, templates in (("lead", leads), ("detail", details))]
    side = 0 if kind == "casual_to_polite" else 1
    return [(f"{g}:{kind}", registers[side]) for g, registers in register_grammar.MESSAGES.items()]


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_held_out_phrasings_never_occur_in_training(kind):
    splits = GENERATORS[kind](1500, 0, 600, 2)
    train_sources = [s for s, _ in splits["train"]]
    test_sources = [s for s, _ in splits["test"]]
    groups = _held_out_groups(kind)
    held_in_test = 0
    for group, templates in groups:
        hidden = held_out_template(group, len(templates), 2)
        assert hidden is not None, group
        pattern = template_pattern(templates[hidden])
        assert not any(pattern.search(s) for s in train_sources), (group, templates[hidden])
        held_in_test += any(pattern.search(s) for s in test_sources)
    assert held_in_test == len(groups), "every held-out phrasing occurs in the test split"


def test_tables_ask_about_one_of_their_rows():
    for message, reply in small_splits("chatbot")["train"]:
        names = entities(message)
        assert entities(reply)[0] in names, message


def test_style_directions_are_the_same_content_each_way():
    polite = [t for _, t in small_splits("casual_to_polite")["train"]]
    casual = [t for _, t in small_splits("polite_to_casual")["train"]]
    canonical_polite = {p[0] for _, p in register_grammar.MESSAGES.values()}
    canonical_casual = {c[0] for c, _ in register_grammar.MESSAGES.values()}
    assert all(any(template_pattern(t).fullmatch(s) for t in canonical_polite) for s in polite)
    assert all(any(template_pattern(t).fullmatch(s) for t in canonical_casual) for s in casual)


def test_an_unknown_direction_is_refused():
    from multis2s_text.datasets import style_transfer_dataset

    with pytest.raises(ValueError, match="direction 'rude' is not one of casual_to_polite, polite_to_casual"):
        style_transfer_dataset(direction="rude")


# --- the metrics --------------------------------------------------------------------------------------
def test_rouge_against_hand_computed_values():
    # hypothesis "the cat sat on the mat", reference "the cat was on the mat": 5 of 6 unigrams shared,
    # bigrams the-cat, on-the, the-mat of 5: 3 shared; the longest common subsequence is 5 words.
    hypotheses, references = ["the cat sat on the mat"], [["the cat was on the mat"]]
    assert Rouge(variant="rouge1").score(hypotheses, references) == pytest.approx(100 * 5 / 6)
    assert Rouge(variant="rouge2").score(hypotheses, references) == pytest.approx(100 * 3 / 5)
    assert Rouge(variant="rougeL").score(hypotheses, references) == pytest.approx(100 * 5 / 6)
    # "a b c d" against "a c": P 2/4, R 2/2, F 2/3; a second item scores 0; the mean is 1/3.
    # The best of several references counts ("a b c d" itself: 1).
    assert Rouge(variant="rouge1").score(["a b c d", "x"], [["a c"], ["y"]]) == pytest.approx(100 / 3)
    assert Rouge(variant="rougeL").score(["a b c d"], [["a c", "a b c d"]]) == pytest.approx(100.0)
    assert Rouge(variant="rouge2").score(["Kelo, won!"], [["kelo won"]]) == pytest.approx(100.0), "case, punctuation"


def test_names_numbers_kept_against_hand_computed_values():
    metric = NamesNumbersKept()
    assert entities("Kelo has 31 points , Mira has 77 .") == ["Kelo", "31", "Mira", "77"]
    # references hold Kelo 31 | Mira Mira 4 | nothing: 2 of 2, 1 of 3 (one Mira, no 4), item left out.
    hypotheses = ["31 points for Kelo", "Mira has 5", "hello"]
    references = [["Kelo has 31 points ."], ["Mira and Mira have 4 ."], ["goodbye ."]]
    assert metric.score(hypotheses, references) == pytest.approx(100 * 3 / 5)
    assert metric.score(["x"], [["no names here"]]) == 100.0
    assert metric.score(["kelo has 310"], [["Kelo has 31"]]) == 0.0, "lower case is not the name, 310 is not 31"


def test_the_metrics_are_registered_by_the_text_plugin():
    registry = load_registry([])
    for name in ("rouge1", "rouge2", "rougeL", "names_numbers_kept"):
        metric = registry.get("metrics", name).factory()
        assert metric.higher_is_better and metric.score(["Kelo won 3"], [["Kelo won 3"]]) == pytest.approx(100.0)


# --- the configs, at tiny size ----------------------------------------------------------------------
CONFIG_METRICS = {
    "chatbot": {"exact_match", "bleu", "names_numbers_kept"},
    "summarization": {"rouge1", "rouge2", "rougeL", "bleu", "names_numbers_kept"},
    "style_transfer": {"bleu", "names_numbers_kept", "exact_match"},
}


@pytest.mark.parametrize("name", sorted(CONFIG_METRICS))
def test_config_trains_at_tiny_size(tmp_path, name):
    run = tmp_path / "run"
    assert main(["run", str(CONFIGS / f"{name}.yaml"), "-o", str(run), "data.dataset.train_size=200",
                 "data.dataset.dev_size=10", "data.dataset.test_size=10", *TINY_MODEL]) == 0
    results = json.loads((run / "results.json").read_text())
    assert set(results["metrics"]) == CONFIG_METRICS[name] and results["num_examples"] == 10


@pytest.mark.parametrize(("name", "suffix"), [("chatbot", "tsv"), ("summarization", "jsonl"),
                                              ("style_transfer", "tsv")])
def test_the_same_config_trains_on_the_users_own_file(tmp_path, name, suffix):
    kind = "casual_to_polite" if name == "style_transfer" else name
    paths = {}
    for split, pairs in GENERATORS[kind](150, 10, 12, 2).items():
        paths[split] = tmp_path / f"{split}.{suffix}"
        lines = [f"{s}\t{t}" if suffix == "tsv" else json.dumps({"source": s, "target": t}) for s, t in pairs]
        paths[split].write_text("\n".join(lines) + "\n")
    dataset = "{type: parallel, train: %s, dev: %s, test: %s}" % (paths["train"], paths["dev"], paths["test"])
    run = tmp_path / "run"
    assert main(["run", str(CONFIGS / f"{name}.yaml"), "-o", str(run), f"data.dataset={dataset}",
                 *TINY_MODEL]) == 0
    results = json.loads((run / "results.json").read_text())
    assert set(results["metrics"]) == CONFIG_METRICS[name] and results["num_examples"] == 12
