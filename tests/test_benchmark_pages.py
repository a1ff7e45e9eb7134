"""benchmarks/README.md and its study pages are what render.py makes of the results, and the
commands and links on them point at things that exist."""

import re
import subprocess
import sys

from tests.conftest import ROOT

BENCH = ROOT / "benchmarks"


def test_pages_match_the_results():
    result = subprocess.run([sys.executable, str(BENCH / "render.py"), "--check"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_summary_page_is_short_and_links_every_study():
    text = (BENCH / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    linked = set(re.findall(r"\(studies/([\w-]+)\.md\)", text))
    assert linked == {p.stem for p in (BENCH / "studies").glob("*.md")}


def test_named_protocol_runs_and_scripts_exist():
    script = (BENCH / "protocols.sh").read_text()
    names = set(re.findall(r"\|([\w-]+)\)", script))
    pages = [BENCH / "README.md", *(BENCH / "studies").glob("*.md")]
    text = "".join(p.read_text() for p in pages)
    for name in set(re.findall(r"protocols\.sh ([a-z][\w-]+)", text)) - {"for"}:
        assert name in names, name
    for name in re.findall(r"\| `([\w-]+)` \|$", (BENCH / "README.md").read_text(), flags=re.M):
        assert name in names, name
    for path in set(re.findall(r"python (benchmarks/\w+\.py)", text)):
        assert (ROOT / path).exists(), path
    for page in pages:
        for link in re.findall(r"\]\(([^)#:]+)\)", page.read_text()):
            assert (page.parent / link).exists(), f"{page.name}: {link}"


def test_commands_in_the_summary_page_parse():
    block = re.search(r"```bash\n(.*?)```", (BENCH / "README.md").read_text(), flags=re.S).group(1)
    scripts = re.findall(r"^python (benchmarks/\w+\.py)", block, flags=re.M)
    assert scripts
    for path in scripts:
        result = subprocess.run([sys.executable, str(ROOT / path), "--help"], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, path + result.stderr
