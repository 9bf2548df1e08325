"""Code that fits: one formatter and linter, configured in pyproject.toml ([tool.ruff]:
88 columns for code, which the site's content column holds; 100 for docstrings and
comments), over src/, tests/, the book's extension and the chapters' py:percent sources.
Part of ``make test``; ``ruff format .`` and ``ruff check --fix .`` repair most findings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


def ruff(*args: str) -> subprocess.CompletedProcess:
    if not RUFF.exists():
        pytest.fail(
            f"ruff is not installed beside {sys.executable} (the dev extra has it)"
        )
    return subprocess.run(
        [str(RUFF), *args, "--no-cache", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_code_is_formatted():
    done = ruff("format", "--check")
    assert done.returncode == 0, (
        "not formatted (run ruff format .):\n" + done.stdout + done.stderr
    )


def test_code_passes_the_linter():
    done = ruff("check", "--output-format", "concise")
    assert done.returncode == 0, "ruff check found:\n" + done.stdout + done.stderr


def test_chapter_lines_fit():
    # ruff leaves E501 out for the chapters only because a cell header (`# %% ...`,
    # caption and alt text in one line of JSON) cannot wrap: every other line fits.
    long = [
        f"{path.name}:{number}: {len(line)} columns"
        for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if len(line) > 100 and not line.startswith("# %%")
    ]
    assert not long, "lines over 100 columns:\n" + "\n".join(long)
