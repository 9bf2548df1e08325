"""Shared fixtures: where the real MovieLens archives are, and small synthetic ones."""

from __future__ import annotations

import os

# The book's backend, whichever module a test imports first (recbook sets the same default).
os.environ.setdefault("KERAS_BACKEND", "jax")
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

@pytest.fixture(scope="session")
def movielens_dir() -> Path:
    """The folder of genuine GroupLens archives ($MOVIELENS_DIR).

    Tests that need it are skipped on a machine without it, but fail in CI,
    which always sets it.
    """
    value = os.environ.get("MOVIELENS_DIR", "").strip()
    if not value:
        if os.environ.get("CI"):
            pytest.fail("CI must set MOVIELENS_DIR to the folder of MovieLens archives.")
        pytest.skip("MOVIELENS_DIR is not set (see README: offline data)")
    return Path(value)


class SyntheticMovieLens:
    """Writes small ratings files and archives in the real GroupLens formats."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def ratings_file(self, variant: str, rows: list[tuple[int, int, int, int]]) -> Path:
        """``ml-<variant>/<ratings file>`` under the root, in that release's format."""
        name, separator = {"100k": ("u.data", "\t"), "1m": ("ratings.dat", "::")}[variant]
        path = self.root / f"ml-{variant}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(separator.join(map(str, row)) + "\n" for row in rows))
        return path

    def archive(self, variant: str, rows: list[tuple[int, int, int, int]]) -> Path:
        """``ml-<variant>.zip`` under the root, holding the ratings file under ``ml-<variant>/``."""
        path = self.ratings_file(variant, rows)
        target = self.root / f"ml-{variant}.zip"
        with zipfile.ZipFile(target, "w") as bundle:
            bundle.write(path, f"ml-{variant}/{path.name}")
        return target


@pytest.fixture
def synthetic(tmp_path: Path) -> SyntheticMovieLens:
    """A factory of small GroupLens-format files in a fresh folder."""
    return SyntheticMovieLens(tmp_path / "movielens")


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The book built by jupyter-book from the stored outputs, warnings as errors; its HTML folder."""
    output = tmp_path_factory.mktemp("site")
    repo = Path(__file__).resolve().parents[1]
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run(
        [str(jupyter_book), "build", str(repo), "--path-output", str(output), "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return output / "_build" / "html"
