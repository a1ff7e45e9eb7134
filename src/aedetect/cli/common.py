"""Helpers shared by the commands: user errors as one line, option parsing."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer

from aedetect.console import info
from aedetect.errors import InputError, TrainingError

__all__ = ["check_out", "info", "parse_json_option", "parse_size", "user_errors"]


@contextlib.contextmanager
def user_errors():
    """Turn an :class:`InputError` into a one-line message on stderr and exit code 2, and a
    :class:`TrainingError` (e.g. the loss became NaN) into one with exit code 1."""
    try:
        yield
    except InputError as err:
        print(f"aedetect: error: {err}", file=sys.stderr)
        raise typer.Exit(2) from None
    except TrainingError as err:
        print(f"aedetect: training stopped: {err}", file=sys.stderr)
        raise typer.Exit(1) from None


def check_out(path: Path, *, folder: bool) -> Path:
    """Refuse an --out the command cannot write as it means to (a folder where a file is, or the
    reverse), before any work is done."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise InputError(f"--out {path} is an existing file; this command writes a folder there: "
                         "name a new folder (or an existing one)")
    if not folder and path.is_dir():
        raise InputError(f"--out {path} is a folder; this command writes a file there: name a file, "
                         f"e.g. {path / 'scores.csv'}")
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise InputError(f"--out {path}: {blocking} is a file, not a folder: choose another path")
    return path


def parse_size(text: str | None) -> tuple[int, int] | None:
    """'96' -> (96, 96); '64x312' -> (64, 312) (height x width)."""
    if text is None:
        return None
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or min(parts) < 1:
        raise InputError(f"--image-size takes N or HxW, e.g. 96 or 64x312; got {text!r}")
    return (parts[0], parts[-1])


STRICT_HELP = "Stop at the first unusable image file instead of skipping it with a warning."


def parse_json_option(name: str, text: str | None) -> dict | None:
    """A command-line option holding a JSON object (None when not given)."""
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError as err:
        raise InputError(f"{name} is not valid JSON ({err}): {text!r}") from None
    if value is not None and not isinstance(value, dict):
        raise InputError(f"{name} must be a JSON object, e.g. '{{\"latent\": 32}}'; got {text!r}")
    return value
