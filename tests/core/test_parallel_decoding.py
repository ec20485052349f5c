"""Several batches decoding at once: the same outputs, bounded read-ahead, threads shared and restored."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import torch

from multis2s.cli import main
from multis2s.parallel_decoding import decoding_workers, in_parallel
from multis2s.run import Run


@pytest.fixture
def threads():
    """Restores torch's intra-op thread count after the test."""
    previous = torch.get_num_threads()
    yield
    torch.set_num_threads(previous)


def _decode(run: Run, examples, *, parallel: int, beam: int):
    run.config = dataclasses.replace(run.config, eval=dataclasses.replace(run.config.eval, parallel_batches=parallel))
    return [[(h.tokens, h.score) for h in d.hypotheses] for d in run._decode(examples, run.search(beam=beam), False)]


@pytest.mark.parametrize("beam", [1, 3])
def test_batches_decoded_at_once_give_what_one_thread_decodes_alone(tiny_config, tmp_path, threads, beam):
    assert main(["train", str(tiny_config), "-o", str(tmp_path / "run"), "eval.batch_size=2"]) == 0
    run = Run.from_folder(tmp_path / "run", "last")
    examples = run.examples("test")
    torch.set_num_threads(1)
    alone = _decode(run, examples, parallel=1, beam=beam)
    torch.set_num_threads(3)
    at_once = _decode(run, examples, parallel=3, beam=beam)
    assert len(alone) == len(examples) == 12
    assert at_once == alone


def test_each_worker_gets_its_share_of_the_threads_and_the_count_is_restored(threads):
    torch.set_num_threads(4)
    seen = list(in_parallel(lambda item: (torch.get_num_threads(), threading.current_thread().name), range(6), 2))
    assert {count for count, _ in seen} == {2}
    assert all(name.startswith("decode") for _, name in seen)
    assert torch.get_num_threads() == 4
    torch.set_num_threads(2)
    assert {count for count, _ in in_parallel(lambda item: (torch.get_num_threads(), None), range(6), 3)} == {1}


def test_at_most_two_items_per_worker_are_read_ahead_of_the_results():
    drawn = 0

    def items():
        nonlocal drawn
        for item in range(40):
            drawn += 1
            yield item

    results = []
    for result in in_parallel(lambda item: item * item, items(), 3):
        results.append(result)
        assert drawn - len(results) < 2 * 3
    assert sorted(results) == [item * item for item in range(40)]


def test_one_worker_runs_in_the_calling_thread_in_order():
    here = threading.current_thread()
    assert list(in_parallel(lambda item: (item, threading.current_thread() is here), range(5), 1)) == [
        (item, True) for item in range(5)]


def test_a_failing_batch_raises_its_own_error(threads):
    def search(item):
        if item == 3:
            raise ValueError("batch 3 failed")
        return item

    with pytest.raises(ValueError, match="batch 3 failed"):
        list(in_parallel(search, range(10), 2))


def test_workers_are_one_per_thread_on_the_cpu_never_more_than_the_batches_and_one_on_a_gpu(threads):
    torch.set_num_threads(2)
    cpu = torch.device("cpu")
    assert decoding_workers(None, cpu, batches=10) == 2
    assert decoding_workers(None, cpu, batches=1) == 1
    assert decoding_workers(4, cpu, batches=10) == 4
    assert decoding_workers(1, cpu, batches=10) == 1
    assert decoding_workers(None, torch.device("cuda"), batches=10) == 1
