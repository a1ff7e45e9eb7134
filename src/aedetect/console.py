"""Where messages go: progress and summaries to stderr, so that results on stdout can be piped."""

from __future__ import annotations

import sys


def info(message: str) -> None:
    """Progress and summaries go to stderr; results go to stdout."""
    print(message, file=sys.stderr)
