"""The package's shape: no import cycles; the library imports neither the commands (aedetect.cli)
nor the benchmark runner (aedetect.benchmarking); no source file over 400 lines."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

SRC = ROOT / "src"


def imports() -> dict[str, set[str]]:
    """Module -> the aedetect modules it imports anywhere in its code (function bodies included)."""
    modules = {}
    for path in SRC.rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_import_cycles():
    graph = imports()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(module):], module]))
        if module in done:
            return
        for other in sorted(graph[module]):
            visit(other, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_library_imports_neither_the_commands_nor_the_benchmarks():
    for module, imported in imports().items():
        if module.startswith(("aedetect.cli", "aedetect.benchmarking")) or module == "aedetect.__main__":
            continue
        wrong = sorted(m for m in imported if m.startswith(("aedetect.cli", "aedetect.benchmarking")))
        assert not wrong, f"{module} imports {wrong}"


def test_no_source_file_is_over_400_lines():
    long = {p.relative_to(SRC).as_posix(): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long
