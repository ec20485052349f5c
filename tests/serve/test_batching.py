"""Requests that arrive together are decoded in one call and each gets its own answer."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from multis2s.serve.batching import Batcher
from tests.serve.conftest import client_of, predictor_of


class Recorder:
    """A decode function that remembers each batch it was given and answers item × 10."""

    def __init__(self) -> None:
        self.batches: list[tuple[object, list]] = []

    def __call__(self, key, items):
        self.batches.append((key, list(items)))
        return [ValueError(f"bad {item}") if item < 0 else item * 10 for item in items]


async def submit_all(batcher: Batcher, requests: list[tuple[object, int]]) -> list:
    await batcher.start()
    try:
        return await asyncio.gather(*(batcher.submit(key, item) for key, item in requests), return_exceptions=True)
    finally:
        await batcher.stop()


def test_items_arriving_together_share_one_call_per_key():
    decode = Recorder()
    batcher = Batcher(decode, max_wait=0.2, max_size=16)
    answers = asyncio.run(submit_all(batcher, [("a", 1), ("b", 2), ("a", 3), ("a", 4), ("b", 5)]))
    assert answers == [10, 20, 30, 40, 50]
    assert sorted(decode.batches) == [("a", [1, 3, 4]), ("b", [2, 5])]


def test_max_size_splits_and_zero_wait_turns_batching_off():
    decode = Recorder()
    asyncio.run(submit_all(Batcher(decode, max_wait=0.2, max_size=2), [("a", i) for i in range(5)]))
    assert [len(items) for _, items in decode.batches] == [2, 2, 1]
    decode = Recorder()
    asyncio.run(submit_all(Batcher(decode, max_wait=0, max_size=16), [("a", i) for i in range(4)]))
    assert [items for _, items in decode.batches] == [[0], [1], [2], [3]]


def test_an_item_that_fails_fails_alone():
    answers = asyncio.run(submit_all(Batcher(Recorder(), max_wait=0.2, max_size=8), [("a", 1), ("a", -2), ("a", 3)]))
    assert answers[0] == 10 and answers[2] == 30
    assert isinstance(answers[1], ValueError) and str(answers[1]) == "bad -2"


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="max_size"):
        Batcher(Recorder(), max_wait=0.01, max_size=0)


INPUTS = ["s1 s2 s3", "s4", "s5 s1", "s2 s2 s3 s4", "s3 s1", "s1"]


@pytest.fixture(scope="module")
def recorded_predictor(text_run):
    """The text run's predictor, remembering how many sources each predict call was given."""
    predictor = predictor_of(text_run)
    predictor.calls = []
    decode = predictor.predict

    def recording(sources, **options):
        predictor.calls.append(len(sources))
        return decode(sources, **options)

    predictor.predict = recording
    return predictor


def post_together(client, bodies: list[dict]) -> list[dict]:
    with ThreadPoolExecutor(len(bodies)) as pool:
        responses = list(pool.map(lambda body: client.post("/predict", json=body), bodies))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    return [r.json() for r in responses]


def test_concurrent_requests_are_one_predict_call_with_the_unbatched_answers(recorded_predictor):
    with client_of(recorded_predictor, max_batch=16, batch_wait_ms=300) as client:
        recorded_predictor.calls.clear()
        batched = post_together(client, [{"text": text} for text in INPUTS])
        assert recorded_predictor.calls == [len(INPUTS)]
    with client_of(recorded_predictor, batch_wait_ms=0) as client:
        recorded_predictor.calls.clear()
        alone = [client.post("/predict", json={"text": text}).json() for text in INPUTS]
        assert recorded_predictor.calls == [1] * len(INPUTS)
    for one, other in zip(batched, alone):
        assert one["outputs"] == other["outputs"]
        assert one["scores"] == pytest.approx(other["scores"], abs=1e-4)
        assert one["attention"]["source"]["source_labels"] == other["attention"]["source"]["source_labels"]
        for row, same in zip(one["attention"]["source"]["weights"], other["attention"]["source"]["weights"]):
            assert row == pytest.approx(same, abs=1e-3)


def test_other_search_settings_go_in_other_batches(recorded_predictor):
    with client_of(recorded_predictor, max_batch=16, batch_wait_ms=300) as client:
        recorded_predictor.calls.clear()
        replies = post_together(client, [{"text": "s1 s2", "beam": 3, "n_best": 2}, {"text": "s3"},
                                         {"text": "s2 s1", "beam": 3, "n_best": 2}, {"text": "s4 s4"}])
        assert sorted(recorded_predictor.calls) == [2, 2]
    assert [len(r["outputs"]) for r in replies] == [2, 1, 2, 1]
