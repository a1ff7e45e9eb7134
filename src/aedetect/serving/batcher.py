"""Micro-batching: requests that arrive together are scored as one batch.

A request waits at most ``max_wait`` seconds for others to join it, and a batch holds at most
``max_batch`` samples (a larger request is a batch of its own). The scoring runs on one worker
thread (``executor``), so the event loop keeps accepting requests meanwhile and the model is used
by one thread at a time. If a batch fails, its requests are scored one by one, so that one bad
request cannot fail the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Executor


class MicroBatcher:
    def __init__(self, score: Callable, join: Callable, executor: Executor, *, max_batch: int = 64,
                 max_wait: float = 0.005):
        self.score, self.join, self.executor = score, join, executor
        self.max_batch, self.max_wait = max_batch, max_wait
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.batches = self.requests = 0  # scored so far: requests / batches says how well they grouped

    def start(self) -> None:
        self.queue = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def submit(self, inputs, count: int):
        """The scores of ``inputs`` (``count`` samples), scored with whatever arrives meanwhile."""
        future = asyncio.get_running_loop().create_future()
        self.requests += 1
        await self.queue.put((inputs, count, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            size = batch[0][1]
            deadline = loop.time() + self.max_wait
            while size < self.max_batch:
                try:
                    item = await asyncio.wait_for(self.queue.get(), max(0.0, deadline - loop.time()))
                except asyncio.TimeoutError:
                    break
                batch.append(item)
                size += item[1]
            await self._score(batch)

    async def _score(self, batch: list) -> None:
        loop = asyncio.get_running_loop()
        self.batches += 1
        try:
            joined = self.join([inputs for inputs, _, _ in batch]) if len(batch) > 1 else batch[0][0]
            scores = await loop.run_in_executor(self.executor, self.score, joined)
        except Exception as err:  # noqa: BLE001 - retried one by one, each request gets its own answer
            if len(batch) == 1:
                _settle(batch[0][2], error=err)
                return
            for item in batch:
                await self._score([item])
            return
        start = 0
        for _, count, future in batch:
            _settle(future, result=scores[start:start + count])
            start += count


def _settle(future: asyncio.Future, result=None, error: BaseException | None = None) -> None:
    if future.done():  # the client went away
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
