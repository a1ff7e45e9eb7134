"""The README's examples run as written."""

import re
import subprocess
import sys

from tests.conftest import ROOT


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_python_example_runs():
    code = readme_blocks("python")[0]
    assert len(code.strip().splitlines()) <= 14
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "'auroc'" in result.stdout


def test_other_python_snippets_run():
    for code in readme_blocks("python")[1:]:
        exec(compile(code, "README.md", "exec"), {})


def test_setup_commands_are_the_makefile_targets():
    setup = readme_blocks("bash")[0]
    commands = [line.split("#")[0].strip() for line in setup.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile


def test_cli_commands_in_the_readme_exist():
    from typer.testing import CliRunner

    from aedetect.cli.main import app

    for block in readme_blocks("bash")[1:]:
        for command in re.findall(r"^aedetect (\w+)", block, flags=re.M):
            assert CliRunner().invoke(app, [command, "--help"]).exit_code == 0, command
