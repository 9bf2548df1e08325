"""Colab-like tier: every chapter installs recbook on Colab's stack and runs there.

In a Python 3.13 environment holding Colab's versions (``colab_env``), each
chapter is executed from its first cell, as a reader in Colab would: its setup
cell sees ``google.colab`` and pip-installs ``recbook`` from this checkout
(``RECBOOK_REPOSITORY=file://...``, the committed HEAD, as Colab installs
from GitHub), then the chapter runs with its quick parameters on the offline
archives. The install must leave Colab's TensorFlow, Keras, JAX, numpy,
pandas, matplotlib, IPython and ipykernel as they were; the chapter's checked
outputs and recorded figures must be those the book's own environment gives.
Between chapters the environment is put back as Colab ships it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from recbook import records
from recbook_tools import notebook_records, repository, runner

import colab_env
import jupytext
import nbformat
import pytest
from chapter_checks import CHECKS, NOTEBOOKS, checked_outputs, stored

SOURCES = runner.chapters(NOTEBOOKS)
RESULTS_PAGE = records.RESULTS_CHAPTER
"""Runs as in Colab, with its default parameters: it clones the repository and reads it."""

OUTPUTS = colab_env.REPO / "build" / "colab"
"""Where the executed notebooks are kept, to read when a check fails."""

pytestmark = [pytest.mark.colab, pytest.mark.data]


@pytest.fixture(scope="module")
def colab(movielens_dir) -> tuple[Path, dict[str, str]]:
    """The Colab-like environment's Python and its packages as Colab ships them."""
    python = colab_env.build()
    return python, colab_env.installed(python)


def test_freeze_is_colabs():
    """The copy in the repository is the list in ../shared/colab when that is present."""
    shared = colab_env.REPO.parent / "shared" / "colab" / "pip-freeze.txt"
    if not shared.is_file():
        pytest.skip("../shared/colab is not beside the project")
    assert colab_env.FREEZE.read_bytes() == shared.read_bytes(), (
        "tests/colab/pip-freeze.txt differs from ../shared/colab/pip-freeze.txt: copy it "
        "(CONTRIBUTING.md: refreshing Colab's versions)"
    )


def test_declared_ranges_admit_colabs_versions():
    """pyproject's dependencies accept Colab's versions: pip has no reason to replace them."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((colab_env.REPO / "pyproject.toml").read_text())["project"]
    pins = colab_env.colab_versions()
    refused = [
        f"{req} refuses Colab's {pins[colab_env.normalize(req.name)]}"
        for req in map(Requirement, project["dependencies"])
        if colab_env.normalize(req.name) in colab_env.PROTECTED
        and pins[colab_env.normalize(req.name)] not in req.specifier
    ]
    assert not refused
    from packaging.specifiers import SpecifierSet

    assert "3.13.15" in SpecifierSet(project["requires-python"])


def execute_in_colab(python: Path, source: Path, workdir: Path) -> Path:
    """Run a chapter from its first cell in the Colab-like environment; the executed notebook."""
    notebook = jupytext.read(source)
    parameters = (
        {} if source.stem == RESULTS_PAGE else runner.quick_parameters(notebook)
    )
    given = workdir / f"{source.stem}.input.ipynb"
    nbformat.write(notebook, given)
    OUTPUTS.mkdir(parents=True, exist_ok=True)
    executed = OUTPUTS / f"{source.stem}.ipynb"
    env = colab_env.clean_environment(
        **{repository.OVERRIDE_ENV: colab_env.REPO.as_uri()}
    )
    done = subprocess.run(
        [
            str(python),
            "-m",
            "papermill",
            str(given),
            str(executed),
            "--cwd",
            str(workdir),
            "-y",
            json.dumps(parameters),
            "--no-progress-bar",
            "--kernel",
            "python3",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, (
        f"{source.stem} failed in the Colab-like environment "
        f"(executed notebook: {executed}):\n{done.stderr[-3000:]}"
    )
    return executed


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_chapter_installs_and_runs_on_colab(colab, source, tmp_path):
    python, shipped = colab
    try:
        executed = execute_in_colab(python, source, tmp_path)
        after = colab_env.installed(python)
    finally:
        colab_env.restore(python, shipped)

    assert "recbook" in after, "the setup cell installed recbook"
    assert colab_env.changed(shipped, after) == {}, (
        "the install replaced Colab's own packages"
    )
    run = nbformat.read(executed, as_version=4)
    assert checked_outputs(run) == checked_outputs(
        nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    )
    if source.stem in CHECKS:
        CHECKS[source.stem](notebook_records.read(executed), stored(source.stem))


def test_unit_tests_pass_on_colabs_keras(colab):
    """The package's Keras-facing units (FeatureSpace, embedding layers) on Colab's Keras."""
    python, shipped = colab
    checkout = f"recbook @ git+{colab_env.REPO.as_uri()}"
    env = colab_env.clean_environment()
    try:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", checkout],
            env=env,
            check=True,
        )
        done = subprocess.run(
            [
                str(python),
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/unit/test_features.py",
                "tests/unit/test_embeddings.py",
            ],
            cwd=colab_env.REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        colab_env.restore(python, shipped)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
