"""The README's examples run as written."""

import re
import subprocess
import sys

from tests.conftest import ROOT


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


CONTINUES = "# continues the example above"


def python_programs() -> list[str]:
    """The README's Python blocks as programs: a block that starts with CONTINUES runs after the
    block before it, in the same program."""
    programs: list[str] = []
    for block in readme_blocks("python"):
        if block.startswith(CONTINUES):
            programs[-1] += block
        else:
            programs.append(block)
    return programs


def test_python_example_runs():
    first = readme_blocks("python")[0]
    assert len(first.strip().splitlines()) <= 14
    result = subprocess.run([sys.executable, "-c", python_programs()[0]], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "'auroc'" in result.stdout


def test_other_python_snippets_run():
    for code in python_programs()[1:]:
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


def test_results_table_matches_the_benchmark_pages():
    text = (ROOT / "README.md").read_text()
    table = text.split("## Results", 1)[1].split("\n## ", 1)[0]
    numbers = re.findall(r"\d+\.\d+", table)
    assert len(numbers) >= 12
    summary = (ROOT / "benchmarks" / "README.md").read_text()
    for number in numbers:
        assert number in summary, number


def test_readme_is_a_guide_not_a_diary():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 350
    assert not re.search(r"\b[0-9a-f]{7}\b", text), "commit hashes belong in benchmarks/"
