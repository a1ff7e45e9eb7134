"""Where messages go: progress and summaries to stderr, so that results on stdout can be piped."""

from __future__ import annotations

import sys
import time


def info(message: str) -> None:
    """Progress and summaries go to stderr; results go to stdout."""
    print(message, file=sys.stderr)


def progress(verbose: int, delay: float = 0.0):
    """A progress display on stderr with rich's ``add_task`` / ``update`` calls: a bar on a
    terminal, plain lines (every 10% and at least every 30 s) when stderr is a file or a pipe,
    nothing when ``verbose`` is 0. Work that ends within ``delay`` seconds shows nothing."""
    if not verbose:
        return _Progress(None, delay)
    return _Progress("bar" if sys.stderr.isatty() else "lines", delay)


class _Progress:
    LINE_EVERY_S = 30.0

    def __init__(self, mode: str | None, delay: float):
        self.mode, self.delay, self.tasks, self.bar = mode, delay, [], None
        self.start = time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
        elif self.mode == "lines":
            for task in self.tasks:
                if task["shown"] and task["done"] != task["shown_done"]:
                    self._line(task)

    def add_task(self, description: str, total: int, completed: int = 0, info: str = "") -> int:
        self.tasks.append({"description": description, "total": total, "done": completed, "info": info,
                           "shown": False, "shown_done": None, "last": time.monotonic(), "id": None})
        return len(self.tasks) - 1

    def update(self, task_id: int, advance: int = 1, info: str | None = None) -> None:
        task = self.tasks[task_id]
        task["done"] += advance
        task["info"] = task["info"] if info is None else info
        if self.mode is None or time.monotonic() - self.start < self.delay:
            return
        if self.mode == "bar":
            self._bar_update(task)
            return
        step = max(1, task["total"] // 10)
        crossed = task["shown_done"] is None or task["done"] // step > task["shown_done"] // step
        if crossed or task["done"] >= task["total"] or time.monotonic() - task["last"] >= self.LINE_EVERY_S:
            self._line(task)

    def _line(self, task: dict) -> None:
        task.update(shown=True, shown_done=task["done"], last=time.monotonic())
        share = f" ({100 * task['done'] // max(task['total'], 1)}%)"
        info(f"{task['description']}: {task['done']}/{task['total']}{share}, "
             f"{time.monotonic() - self.start:.0f} s{'  ' + task['info'] if task['info'] else ''}")

    def _bar_update(self, task: dict) -> None:
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                                console=Console(stderr=True), transient=False)
            self.bar.start()
        if task["id"] is None:
            task["id"] = self.bar.add_task(task["description"], total=task["total"], info=task["info"])
        self.bar.update(task["id"], completed=task["done"], info=task["info"])
