"""Entry point: wires the commands. Heavy imports (torch, matplotlib) happen
inside the commands so that ``aedetect --help`` answers at once."""

from __future__ import annotations

import sys
import warnings

import typer

from aedetect.cli import benchmark, compare, demo, evaluate, export, fit, report, score, serve

try:  # typer >= 0.22 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import ClickException

app = typer.Typer(name="aedetect", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="Anomaly detection with autoencoders: fit on normal data, score, evaluate.")
app.command("fit")(fit.fit)
app.command("score")(score.score)
app.command("evaluate")(evaluate.evaluate)
app.command("report")(report.report)
app.command("compare")(compare.compare)
app.command("benchmark")(benchmark.benchmark)
app.command("demo")(demo.demo)
app.command("export")(export.export)
app.command("serve")(serve.serve)


def _plain_warning(message, category, filename, lineno, line=None) -> str:
    return f"aedetect: warning: {message}\n"


def main() -> None:
    """Run the CLI; a usage error prints one line and exits with code 2."""
    warnings.formatwarning = _plain_warning
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        print("aedetect: aborted", file=sys.stderr)
        sys.exit(130)
    except ClickException as err:
        ctx = getattr(err, "ctx", None)
        where = ctx.command_path if ctx is not None else "aedetect"
        print(f"{where}: error: {err.format_message()} (see --help)", file=sys.stderr)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
