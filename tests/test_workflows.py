"""The GitHub Actions workflows: valid (actionlint), and they run the README's commands.

``.github/workflows/tests.yml`` runs the README's test command on the locked Python
and the unit tier on Python 3.13, with the MovieLens archives fetched from GroupLens by
the book's own download code; ``.github/workflows/book.yml`` builds the site with the
README's build command and deploys it with the official Pages actions. GitHub itself
is not reachable from here: these tests check the files, and actionlint checks them
as GitHub would read them (syntax, expressions, action inputs, shell scripts when
shellcheck is installed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from recbook import data

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"


def actionlint() -> str:
    """The actionlint binary of this environment (the dev extra installs it), else PATH's."""
    beside = Path(sys.executable).with_name("actionlint")
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    if not found:
        if os.environ.get("CI"):
            pytest.fail(
                "CI must have actionlint (pip install -c constraints.txt -e '.[dev]')."
            )
        pytest.skip(
            "actionlint is not installed (pip install -c constraints.txt -e '.[dev]')"
        )
    return found


def workflow(name: str) -> dict:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    loaded["on"] = loaded.pop(
        True, loaded.get("on")
    )  # YAML 1.1 reads the key `on` as true
    return loaded


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def runs(job: dict) -> list[str]:
    """The job's shell commands, one per line, comments and continuation lines left out."""
    lines = []
    for step in steps(job):
        for line in step.get("run", "").splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def uses(job: dict) -> list[str]:
    """The actions a job uses, without their versions."""
    return [step["uses"].split("@")[0] for step in steps(job) if "uses" in step]


def readme_commands() -> dict[str, str]:
    """The commands of the README's "The two commands" block, by their make target."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [
        line.split("#")[0].strip() for line in block.splitlines() if line.strip()
    ]
    return {command.split()[1]: command for command in commands}


def test_workflows_pass_actionlint():
    names = sorted(p.name for p in WORKFLOWS.glob("*.yml"))
    assert names == ["book.yml", "tests.yml"]
    done = subprocess.run(
        [actionlint(), "-no-color"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_fails_on_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  deploy:\n"
        "    needs: build\n"  # no job named build
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v5\n"
        "        with:\n"
        "          fetch-depht: 0\n"  # misspelt input
        "      - run: echo ${{ steps.nothing.outputs.key }}\n"  # no such step
    )
    done = subprocess.run(
        [actionlint(), "-no-color", str(broken)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    for mistake in ('"build"', '"fetch-depht"', "nothing"):
        assert mistake in done.stdout, (mistake, done.stdout)


def test_ci_runs_the_readme_test_command_on_the_locked_python():
    tests = workflow("tests.yml")
    assert "pull_request" in tests["on"] and tests["on"]["push"]["branches"] == ["main"]
    command = readme_commands()["test"]
    assert command == "make test"
    [job] = [job for job in tests["jobs"].values() if command in runs(job)]
    assert job["runs-on"] == "ubuntu-latest"
    [python] = [
        s["with"]["python-version"]
        for s in steps(job)
        if s.get("uses", "").startswith("actions/setup-python@")
    ]
    versions = str(python).split()
    # 3.11 is the lock's Python (the default, listed last); 3.13 is for the Colab-like tier.
    assert versions[-1] == "3.11" and "3.13" in versions
    assert "PYTHON ?= python3.11" in (REPO / "Makefile").read_text()
    # A full clone: the Colab-like tier installs recbook from it with git (git+file://).
    [checkout] = [
        s for s in steps(job) if s.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkout["with"]["fetch-depth"] == 0


def test_ci_runs_the_unit_tier_on_python_3_13(tmp_path):
    tests = workflow("tests.yml")
    [job] = [
        job
        for job in tests["jobs"].values()
        if "make test-unit PYTHON=python3.13" in runs(job)
    ]
    [python] = [
        s["with"]["python-version"]
        for s in steps(job)
        if s.get("uses", "").startswith("actions/setup-python@")
    ]
    assert str(python) == "3.13"
    # The Makefile honours PYTHON: the environment is made with the interpreter asked for.
    done = subprocess.run(
        ["make", "-n", "test-unit", "PYTHON=python3.13", f"VENV={tmp_path / 'venv'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"python3.13 -m venv {tmp_path / 'venv'}" in done.stdout
    assert f"{tmp_path / 'venv'}/bin/pytest tests/unit" in done.stdout


def test_ci_fetches_the_archives_from_grouplens_with_the_books_code():
    [job] = [
        job
        for job in workflow("tests.yml")["jobs"].values()
        if "make test" in runs(job)
    ]
    order = [s.get("id") or s.get("name") or s.get("uses") for s in steps(job)]
    fetch = next(s for s in steps(job) if "data.fetch_archives(" in s.get("run", ""))
    assert "$MOVIELENS_DIR" in fetch["run"] and fetch["run"].startswith(
        ".venv/bin/python"
    )
    test = next(s for s in steps(job) if s.get("run") == "make test")
    assert order.index(fetch["name"]) < order.index(test["name"])
    key_step = next(s for s in steps(job) if s.get("id") == "archives")
    assert "MOVIELENS_DIR=" in key_step["run"] and "$GITHUB_ENV" in key_step["run"]
    cached = [s for s in steps(job) if s.get("uses", "").startswith("actions/cache/")]
    assert {s["uses"].split("@")[0] for s in cached} == {
        "actions/cache/restore",
        "actions/cache/save",
    }
    for step in cached:
        assert step["with"] == {
            "path": "${{ env.MOVIELENS_DIR }}",
            "key": "${{ steps.archives.outputs.key }}",
        }


def test_the_archive_cache_key_is_made_of_the_registered_checksums():
    key_step = next(
        s
        for s in steps(workflow("tests.yml")["jobs"]["test"])
        if s.get("id") == "archives"
    )
    script = re.search(r"<<'KEY'\n(.*?)\nKEY", key_step["run"], re.S).group(1)
    done = subprocess.run(
        [sys.executable, "-"],
        input=script,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    name, key = done.stdout.strip().split("=", 1)
    assert name == "key" and len(key) <= 512  # GitHub's limit for a cache key
    assert key == "movielens-" + "-".join(
        f"{v}-{a.sha256}" for v, a in sorted(data.ARCHIVES.items())
    )


def test_ci_gives_the_browser_test_a_browser_and_keeps_its_screenshots():
    job = workflow("tests.yml")["jobs"]["test"]
    browser_test = (REPO / "tests" / "test_browser.py").read_text()
    for variable in ("RECBOOK_CHROMIUM", "RECBOOK_CHROMEDRIVER"):
        assert f'"{variable}"' in browser_test
        assert any(line.startswith(f'echo "{variable}=') for line in runs(job)), (
            variable
        )
    [upload] = [
        s
        for s in steps(job)
        if s.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert upload["if"] == "always()" and upload["with"]["path"] == "build/artifacts/"
    assert 'ARTIFACTS = REPO / "build" / "artifacts"' in browser_test


def test_the_site_is_built_with_make_book_and_deployed_with_the_pages_actions():
    book = workflow("book.yml")
    assert (
        book["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in book["on"]
    )
    assert book["permissions"] == {
        "contents": "read",
        "pages": "write",
        "id-token": "write",
    }
    build, deploy = book["jobs"]["build"], book["jobs"]["deploy"]
    assert readme_commands()["book"] in runs(build)
    assert uses(build) == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
    ]
    [upload] = [
        s
        for s in steps(build)
        if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    ]
    assert upload["with"]["path"] == "_build/html"
    assert (
        deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    )
    assert uses(deploy) == ["actions/deploy-pages"]


def test_binder_environment_installs_the_lock_on_its_python():
    """Binder's button builds environment.yml: the lock's Python and constraints.txt,
    this checkout's two distributions (recbook and the book's tools), as `make venv` does."""
    environment = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    dependencies = environment["dependencies"]
    assert "python=3.11" in dependencies
    [pip] = [d["pip"] for d in dependencies if isinstance(d, dict)]
    # Relative to environment.yml's folder, where conda and micromamba run pip.
    assert pip == ["-c constraints.txt", "-e .[dev]", "-e ./tools"]
    assert (REPO / "environment.yml").parent == (REPO / "constraints.txt").parent
