"""recbook_tools, the book's machinery, stays apart from recbook, which Colab installs alone.

A chapter's Colab cell installs ``recbook`` and nothing else, so neither a chapter nor a
module of ``recbook`` may import ``recbook_tools``; its commands are declared by its own
distribution (``tools/pyproject.toml``), not by ``recbook``'s. The results page, the
machinery's report, is the one notebook that imports it: in Colab it installs the tools
from its clone with ``--no-deps``, so what it imports needs only what ``recbook`` brings.
"""

from __future__ import annotations

import ast
import importlib
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "recbook_tools"
COMMANDS = {
    "recbook-export": "recbook_tools.export:main",
    "recbook-run": "recbook_tools.runner:main",
    "recbook-benchmark": "recbook_tools.benchmark:main",
    "recbook-repository": "recbook_tools.repository:main",
    "recbook-readme": "recbook_tools.readme:main",
}


def imported(path: Path) -> set[str]:
    """The modules a file imports, by dotted name; ``from . import x`` gives ``.x``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            prefix = "." * node.level + (f"{node.module}." if node.module else "")
            names.update(prefix + alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_imported_reads_every_form_of_import(tmp_path):
    source = tmp_path / "module.py"
    source.write_text(
        "import os.path\nfrom . import glue\nfrom .data import DIR\n"
        "def f():\n    from recbook_tools import runner\n"
    )
    assert imported(source) == {
        "os.path",
        ".glue",
        ".data.DIR",
        "recbook_tools",
        "recbook_tools.runner",
    }


def test_no_module_of_recbook_imports_the_tools():
    tools = {f".{path.stem}" for path in TOOLS.glob("*.py")} - {".__init__"}
    offenders = {
        path.name: sorted(
            name
            for name in imported(path)
            if name.split(".")[0] == "recbook_tools" or name in tools
        )
        for path in sorted((REPO / "src" / "recbook").glob("*.py"))
    }
    assert not {name: found for name, found in offenders.items() if found}, (
        "recbook is all Colab installs: move what these modules need into recbook"
    )
    assert tools >= {".runner", ".benchmark", ".readme", ".repository", ".floor"}


RESULTS_PAGE = REPO / "notebooks" / "11_results.py"
REPORT_MODULES = {"results_page", "results_figure", "notebook_records"}
"""What the results page imports from the tools (itself, or through each other)."""


def test_no_chapter_imports_the_tools():
    for chapter in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py")):
        if chapter != RESULTS_PAGE:
            assert "recbook_tools" not in chapter.read_text("utf-8"), chapter.name


def tools_imported(path: Path) -> set[str]:
    """The recbook_tools modules a file imports (``from . import x`` counts as ``x``)."""
    names = set()
    for name in imported(path):
        if name.startswith("recbook_tools."):
            names.add(name.split(".")[1])
        elif name.startswith(".") and (TOOLS / f"{name[1:].split('.')[0]}.py").exists():
            names.add(name[1:].split(".")[0])
    return names


def test_the_results_page_imports_only_the_report_modules():
    """In Colab the tools are installed with ``--no-deps``: the results page's modules
    import nothing but the standard library, ``recbook`` and what ``recbook`` depends on
    (no papermill, jupytext, nbformat or yaml)."""
    assert tools_imported(RESULTS_PAGE) == {"results_page", "results_figure"}
    assert "pip install -q --no-deps ./book/tools" in RESULTS_PAGE.read_text("utf-8")
    allowed = {"recbook", "pandas", "numpy", "matplotlib", "__future__"}
    for module in sorted(REPORT_MODULES):
        path = TOOLS / f"{module}.py"
        assert tools_imported(path) <= REPORT_MODULES, module
        outside = {
            name.split(".")[0]
            for name in imported(path)
            if not name.startswith(".") and name.split(".")[0] != "recbook_tools"
        }
        foreign = {
            name for name in outside - allowed if name not in sys.stdlib_module_names
        }
        assert not foreign, f"{module} imports {sorted(foreign)}, which --no-deps lacks"


def test_the_commands_belong_to_the_tools_distribution():
    root = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    tools = tomllib.loads((REPO / "tools" / "pyproject.toml").read_text("utf-8"))
    assert "scripts" not in root["project"]
    assert tools["project"]["scripts"] == COMMANDS
    for target in COMMANDS.values():
        module, _, function = target.partition(":")
        assert callable(getattr(importlib.import_module(module), function)), target
