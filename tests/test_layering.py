"""The layers of DESIGN.md hold: every import of every module, read with ``ast``, flows one way.

Floors, bottom to top: ``nugen`` (physics and generation) <- ``detectors`` <- ``fits``; the command line is
on top: its core ``nugen.cli`` and the commands the other layers contribute (``detectors.cli``,
``fits.cli``). Imports inside functions count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("nugen", "detectors", "fits")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}  # "from pkg import module"
    return {m for m in out if m.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        graph[name] = {m for m in _imports(path, name) if m in files and m != name}
    return graph


GRAPH = _graph()


def _floor(module: str) -> str:
    """The layer a module belongs to: 'cli' for the command line (core and contributed commands)."""
    if module in ("nugen.cli", "nugen.__main__") or module.startswith(
        ("nugen.cli.", "fits.cli", "detectors.cli")
    ):
        return "cli"
    return module.split(".")[0]


#: What each floor may import (besides itself).
ALLOWED = {
    "nugen": {"nugen"},
    "detectors": {"detectors", "nugen"},
    "fits": {"fits", "detectors", "nugen"},
    "cli": {"cli", "nugen", "detectors", "fits"},
}


def test_the_graph_covers_every_package():
    assert {m.split(".")[0] for m in GRAPH} == set(PACKAGES)
    assert len(GRAPH) > 50  # a walk that found nothing would pass every test below


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_flow_one_way(module):
    floor = _floor(module)
    bad = sorted(m for m in GRAPH[module] if _floor(m) not in ALLOWED[floor])
    assert not bad, f"{module} ({floor} floor) imports {bad} from a floor above it"


def test_the_command_line_core_imports_no_detector_or_fit_code():
    """nugen.cli reaches detectors and fits only through entry points (nugen.cli.common.detector_provider,
    the nugen.commands group), so nugen installs and runs its own commands without them."""
    core = [m for m in GRAPH if m == "nugen.cli" or m.startswith("nugen.cli.")]
    assert core
    bad = {m: sorted(d for d in GRAPH[m] if d.split(".")[0] != "nugen") for m in core}
    assert not {m: d for m, d in bad.items() if d}


def test_no_import_cycles():
    """Tarjan's strongly connected components of the import graph: every component is a single module."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_a_known_upward_import_would_be_caught(tmp_path):
    """The walker sees function-level and relative imports (a test of the test)."""
    f = tmp_path / "nugen" / "fake.py"
    f.parent.mkdir()
    f.write_text("def f():\n    from fits.limits import detector_limit\n    from . import rates\n")
    found = _imports(f, "nugen.fake")
    assert {"fits.limits", "fits.limits.detector_limit", "nugen.rates", "nugen"} <= found
