"""Several batches decoding at once on the CPU, each on its share of the threads.

A search step is a chain of small operations (one RNN decoder step of a batch of 64 is some
thirty of them), and splitting each one across threads gains little: two threads decoded the
anchor model of issue 10 1.1–1.3 times as fast as one. Giving each thread a batch of its own (as
CTranslate2's ``inter_threads`` does) made it 1.6–1.9 times (BENCHMARKS.md, "Several batches at
once"). PyTorch's kernels release the GIL, so Python threads suffice; each worker thread sets its
own intra-op thread count, which PyTorch keeps per thread.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import islice
from typing import Callable, Iterable, Iterator, TypeVar

import torch

Item = TypeVar("Item")
Result = TypeVar("Result")


def decoding_workers(setting: int | None, device: torch.device, batches: int) -> int:
    """How many batches decode at once: on the CPU ``setting`` (None: one per intra-op thread),
    never more than there are ``batches``; on an accelerator one (a batch already fills it)."""
    if device.type != "cpu":
        return 1
    wanted = torch.get_num_threads() if setting is None else setting
    return max(1, min(wanted, batches))


def in_parallel(function: Callable[[Item], Result], items: Iterable[Item], workers: int) -> Iterator[Result]:
    """``function(item)`` for every item, in the order they finish.

    With one worker, in this thread with its threads. With more, ``workers`` threads run them, each
    with this thread's intra-op threads divided among them (at least one); at most two items per
    worker are read from ``items`` ahead of the results, so a lazy loader stays lazy.
    """
    if workers == 1:
        yield from map(function, items)
        return
    threads = torch.get_num_threads()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="decode", initializer=torch.set_num_threads,
                              initargs=(max(1, threads // workers),))
    unread, pending = iter(items), set[Future[Result]]()
    try:
        while True:
            pending.update(pool.submit(function, item) for item in islice(unread, 2 * workers - len(pending)))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (future.result() for future in done)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        torch.set_num_threads(threads)  # a worker's setting is also what threads started later begin with
