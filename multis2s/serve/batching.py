"""Requests that arrive together decoded in one call, in one worker thread, off the event loop.

:meth:`Batcher.submit` queues an item under a key (requests with different keys, e.g. other
``beam``/``n_best``, never share a batch) and waits for its answer. One consumer task takes the
first queued item, waits up to ``max_wait`` seconds for more (``max_size`` at most), and hands
each key's items to ``decode(key, items)`` in the worker thread; ``decode`` returns one answer per
item, or an exception for an item that failed alone. ``max_wait == 0`` turns batching off: every
request is decoded on its own.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

Decode = Callable[[Hashable, list[Any]], list[Any]]


@dataclass
class _Pending:
    key: Hashable
    item: Any
    answer: asyncio.Future = field(repr=False)


class Batcher:
    """Batches of submitted items for ``decode``; :meth:`start` and :meth:`stop` in the server's lifespan."""

    def __init__(self, decode: Decode, *, max_wait: float, max_size: int) -> None:
        if max_wait < 0 or max_size < 1:
            raise ValueError(f"max_wait must be >= 0 and max_size >= 1, got {max_wait} and {max_size}")
        self.decode = decode
        self.max_wait = max_wait
        self.max_size = max_size if max_wait > 0 else 1
        self._queue: asyncio.Queue[_Pending] | None = None
        self._consumer: asyncio.Task | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="multis2s-model")

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._consumer = asyncio.create_task(self._consume())

    async def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
            await asyncio.gather(self._consumer, return_exceptions=True)
        self._worker.shutdown(wait=True)

    async def submit(self, key: Hashable, item: Any) -> Any:
        """``item``'s answer, decoded with the items of the same key queued near the same time;
        raises the exception ``decode`` gave for it."""
        if self._queue is None:
            raise RuntimeError("the batcher has not been started")
        answer = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(key, item, answer))
        return await answer

    async def _gather(self) -> list[_Pending]:
        """The next batch: the first queued item and what follows it within ``max_wait``."""
        pending = [await self._queue.get()]
        deadline = asyncio.get_running_loop().time() + self.max_wait
        while len(pending) < self.max_size:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                pending.append(self._queue.get_nowait() if remaining <= 0 else
                               await asyncio.wait_for(self._queue.get(), remaining))
            except (asyncio.QueueEmpty, TimeoutError):
                break
        return pending

    async def _consume(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            pending = await self._gather()
            by_key: dict[Hashable, list[_Pending]] = {}
            for entry in pending:
                by_key.setdefault(entry.key, []).append(entry)
            for key, entries in by_key.items():
                try:
                    answers = await loop.run_in_executor(self._worker, self.decode, key, [e.item for e in entries])
                except Exception as exc:  # a bug in decode: every waiting request gets it
                    answers = [exc] * len(entries)
                for entry, answer in zip(entries, answers):
                    if entry.answer.done():  # the client went away
                        continue
                    if isinstance(answer, BaseException):
                        entry.answer.set_exception(answer)
                    else:
                        entry.answer.set_result(answer)
