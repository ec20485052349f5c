"""Text to code: the request grammar and its held-out split, the bounded evaluator, execution accuracy,
and the shipped config trained at tiny size — on the generated data and on the user's own files."""

from __future__ import annotations

import json
import re
import time
import tracemalloc
from pathlib import Path

import pytest

from multis2s.cli import main
from multis2s_text.code_grammar import generate_requests, generate_splits, held_out_numbers
from multis2s_text.code_metrics import ExecutionAccuracy, values_equal
from multis2s_text.safe_eval import InvalidProgram, Limits, check_program, safe_eval

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "text_to_code.yaml"
TINY_MODEL = ["model.encoder.embedding_dim=8", "model.encoder.hidden_dim=8", "model.decoder.embedding_dim=8",
              "model.decoder.hidden_dim=16", "train.max_steps=3", "train.warmup_steps=1", "train.validate_every=3",
              "train.validation_examples=8", "data.batch_size=8", "eval.max_length_offset=2",
              "eval.max_length_ratio=0.5", "threads=1"]


# --- the grammar -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def requests():
    return generate_requests(600, 50, 100, seed=4)


def test_generator_is_deterministic_by_seed():
    assert generate_splits(200, 20, 30, seed=3) == generate_splits(200, 20, 30, seed=3)
    assert generate_splits(200, 20, 30, seed=3) != generate_splits(200, 20, 30, seed=5)
    assert held_out_numbers(3) != held_out_numbers(5)


def test_examples_read_as_requests_and_targets_run(requests):
    pairs = {r.source: r.target for split in requests.values() for r in split}
    assert len(pairs) == 750, "no request occurs twice, in one split or across splits"
    for source, target in pairs.items():
        safe_eval(target)
        literal_numbers = sorted(int(n) for n in re.findall(r"\d+", source))
        assert all(str(n) in target for n in literal_numbers), (source, target)


def test_held_out_requests_hold_unseen_numbers_and_phrasings(requests):
    hidden = held_out_numbers(4)
    numbers_in = lambda text: {int(n) for n in re.findall(r"\d+", text)}  # noqa: E731
    train_phrasings = {r.phrasing for r in requests["train"]}
    for request in requests["train"]:
        assert not numbers_in(request.source) & hidden
    for split in ("dev", "test"):
        for request in requests[split]:
            assert numbers_in(request.source) & hidden, request.source
            assert request.phrasing not in train_phrasings, request.source
    train_numbers = set().union(*(numbers_in(r.source) for r in requests["train"]))
    assert train_numbers.isdisjoint(hidden) and len(train_numbers) > 50


def test_examples_cover_the_families():
    targets = [t for _, t in generate_splits(2000, 0, 0, seed=1)["train"]]
    for pattern in (r"^\d+ \+ \d+$", r"^max\(\[", r"^sorted\(", r"^list\(reversed\(", r"^len\(",
                    r"^\[x \*\* 2 for x in \[[\d, ]+\] if x % 2 == 0\]$", r"^sum\(\[x", r"^\d+ > \d+$",
                    r"reverse=True\)$"):
        assert any(re.search(pattern, t) for t in targets), pattern


# --- the evaluator: allowed ---------------------------------------------------------------------------
@pytest.mark.parametrize(("program", "value"), [
    ("3 + 12", 15), ("7 - 10", -3), ("6 * 7", 42), ("7 / 2", 3.5), ("7 // 2", 3), ("7 % 3", 1), ("2 ** 10", 1024),
    ("-(3)", -3), ("not True", False), ("1 < 2 < 3", True), ("3 in [1, 2, 3]", True), ("2 not in (1,)", True),
    ("True and 0", 0), ("0 or None", None), ("1 if 2 > 3 else 4", 4),
    ("max([4, 9, 2])", 9), ("min(4, 9, 2)", 2), ("sum([1, 2, 3])", 6), ("len([1, 2])", 2),
    ("sorted([3, 1, 2])", [1, 2, 3]), ("sorted([3, 1, 2], reverse=True)", [3, 2, 1]),
    ("list(reversed([1, 2, 3]))", [3, 2, 1]), ("reversed((1, 2))", [2, 1]), ("abs(-4)", 4),
    ("list(range(2, 10, 3))", [2, 5, 8]), ("any([0, 1])", True), ("all([])", True), ("round(2.567, 2)", 2.57),
    ("[x ** 2 for x in [1, 2, 3, 4] if x % 2 == 0]", [4, 16]), ("sum(x * 2 for x in [1, 2])", 6),
    ("[x + y for x in [1, 2] for y in [10, 20] if y > x]", [11, 21, 12, 22]),
    ("[[x for x in [1, 2]] for y in [0, 0]]", [[1, 2], [1, 2]]),
    ("[1, 2, 3][1]", 2), ("[1, 2, 3][::-1]", [3, 2, 1]), ("'ab' + 'c'", "abc"), ("[0] * 3", [0, 0, 0]),
    ("2 ** -1", 0.5), ("int(3.9)", 3), ("tuple([1])", (1,)),
])
def test_allowed_programs_evaluate(program, value):
    assert values_equal(safe_eval(program), value)


def test_comprehension_variables_have_their_own_scope():
    with pytest.raises(InvalidProgram, match="name 'x' is not allowed"):
        safe_eval("[x for x in [1]] + [x]")
    assert safe_eval("[x for x in [x for x in [1, 2]]]") == [1, 2]


# --- the evaluator: refused, never run, bounded -----------------------------------------------------
HOSTILE = [
    ("__import__('os').system('touch {marker}')", "call of attribute access is not allowed"),
    ("__import__('os')", "call of '__import__' is not allowed"),
    ("open('{marker}', 'w')", "call of 'open' is not allowed"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access is not allowed"),
    ("[1].append", "attribute access is not allowed"),
    ("(lambda: 1)()", "not allowed"),
    ("eval('1')", "call of 'eval' is not allowed"),
    ("exec('x = 1')", "call of 'exec' is not allowed"),
    ("os", "name 'os' is not allowed"),
    ("__builtins__", "name '__builtins__' is not allowed"),
    ("f'{{1}}'", "f-string is not allowed"),
    ("{{1: 2}}", "dict is not allowed"),
    ("{{1, 2}}", "set is not allowed"),
    ("(y := 1)", "assignment expression"),
    ("sorted([1], key=abs)", "sorted() takes no keyword 'key'"),
    ("max(*[1, 2])", "starred arguments are not allowed"),
    ("1 << 100000", "LShift syntax is not allowed"),
    ("'%s' % 1", "expected a number"),
    ("9 ** 9 ** 9", "exponent 387420489 is over"),
    ("10 ** 400", "power with more than 1024 bits"),
    ("(10 ** 300) * (10 ** 300)", "integer of more than 1024 bits"),
    ("[0] * 10 ** 8", "sequence of 100000000 elements"),
    ("[0] * 100000000", "sequence of 100000000 elements"),
    ("list(range(10 ** 8))", "sequence of 100000000 elements"),
    ("range(100000000)", "sequence of 100000000 elements"),
    ("[[0] * 10000] * 10000", "value of more than 100000 elements"),
    ("[x for x in range(10000) for y in range(10000)]", "sequence of more than 10000 elements | ran longer than"),
    ("'a' * 10 ** 6", "string longer than 1000 characters"),
    ("sum([x for x in range(9999)]) + sum(sorted(range(9999))) + len([y for x in range(9999) for y in range(9)])",
     "more than 100000 evaluation steps | ran longer than"),
    ("[" * 100 + "]" * 100, "program nested deeper than 40"),
    ("(" * 500 + "1" + ")" * 500, "not a Python expression"),
    ("[" + ", ".join(["1"] * 500) + "]", "more than 400 syntax nodes"),
    ("1" * 3000, "program of 3000 characters"),
    ("import os", "not a Python expression"),
    ("1 / 0", "failed: ZeroDivisionError"),
    ("max([])", "failed: ValueError"),
    ("[1, 2][5]", "failed: IndexError"),
    ("b'x'", "constant of type bytes"),
]


@pytest.mark.parametrize(("program", "reason"), HOSTILE, ids=[p[:40] for p, _ in HOSTILE])
def test_hostile_programs_are_refused_within_bounded_time_and_memory(tmp_path, program, reason):
    marker = tmp_path / "side-effect"
    program = program.format(marker=marker) if "{marker}" in program else program.replace("{{", "{").replace(
        "}}", "}")
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(InvalidProgram) as refused:
            safe_eval(program)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert any(part in refused.value.reason for part in reason.split(" | ")), refused.value.reason
    assert elapsed < 2.0 and peak < 20 * 2 ** 20, (elapsed, peak)
    assert not marker.exists(), "a refused program has no side effect"


def test_not_allowed_programs_are_refused_before_anything_runs():
    for program in ("__import__('os')", "[0] * 10 ** 8 + [x.y for x in [1]]", "len([1]) + open('f')"):
        with pytest.raises(InvalidProgram):
            check_program(program)


def test_the_time_budget_stops_a_long_run():
    with pytest.raises(InvalidProgram, match="ran longer than"):
        safe_eval("[sorted(range(x)) for x in range(2000)]", Limits(max_seconds=0.01, max_steps=10 ** 9,
                                                                        max_elements=10 ** 9))


# --- the metric -------------------------------------------------------------------------------------
def test_execution_accuracy_counts_equal_values_and_goes_on_past_hostile_hypotheses(tmp_path):
    marker = tmp_path / "side-effect"
    hypotheses = ["[4, 16]", "[x ** 2 for x in [1, 2, 3, 4] if x % 2 == 0]", "3+12",
                  f"__import__('os').system('touch {marker}')", "().__class__", "9 ** 9 ** 9", "[0] * 10 ** 8",
                  "sum([1, 2]", "max([4, 9, 2])"]
    references = [["[x ** 2 for x in [1, 2, 3, 4] if x % 2 == 0]"]] * 2 + [["3 + 12"]] + [["1 + 1"]] * 5 + \
        [["max([4, 9, 2])"]]
    started = time.monotonic()
    assert ExecutionAccuracy().score(hypotheses, references) == pytest.approx(100 * 4 / 9)
    assert time.monotonic() - started < 5 and not marker.exists()


def test_values_compare_strictly():
    assert values_equal([1, [2]], [1, [2]]) and values_equal(2, 2.0)
    assert not values_equal(True, 1) and not values_equal([1], (1,)) and not values_equal([1], [1, 2])


def test_execution_accuracy_is_registered_by_the_text_plugin():
    from multis2s.plugins import load_registry

    entry = load_registry([]).get("metrics", "execution_accuracy")
    assert entry.factory().higher_is_better


# --- the config, at tiny size -------------------------------------------------------------------------
def _results(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())


def test_config_trains_at_tiny_size(tmp_path):
    run = tmp_path / "run"
    assert main(["run", str(CONFIG), "-o", str(run), "data.dataset.train_size=200", "data.dataset.dev_size=10",
                 "data.dataset.test_size=10", *TINY_MODEL]) == 0
    results = _results(run)
    assert set(results["metrics"]) == {"execution_accuracy", "exact_match"} and results["num_examples"] == 10


@pytest.mark.parametrize("suffix", ["tsv", "jsonl"])
def test_the_same_pipeline_trains_on_the_users_own_file(tmp_path, suffix):
    splits = generate_splits(100, 10, 10, seed=2)
    paths = {}
    for name, pairs in splits.items():
        paths[name] = tmp_path / f"{name}.{suffix}"
        lines = [f"{s}\t{t}" if suffix == "tsv" else json.dumps({"source": s, "target": t}) for s, t in pairs]
        paths[name].write_text("\n".join(lines) + "\n")
    dataset = "{type: parallel, train: %s, dev: %s, test: %s}" % (paths["train"], paths["dev"], paths["test"])
    run = tmp_path / "run"
    assert main(["run", str(CONFIG), "-o", str(run), f"data.dataset={dataset}", *TINY_MODEL]) == 0
    results = _results(run)
    assert set(results["metrics"]) == {"execution_accuracy", "exact_match"} and results["num_examples"] == 10
