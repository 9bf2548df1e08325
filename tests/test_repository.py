"""The repository address is one setting (_config.yml); every copy agrees with it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from recbook_tools import repository, runner

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SOURCES = runner.chapters(REPO / "notebooks")


@pytest.mark.parametrize(
    "path",
    [p for s in SOURCES for p in (s, s.with_suffix(".ipynb"))],
    ids=lambda p: p.name,
)
def test_every_chapter_installs_from_the_configured_repository(path):
    assert repository.setup_cell_urls(path) == [repository.configured_url(REPO)], (
        f"{path.name}: its setup cell must read RECBOOK_REPOSITORY with the address of "
        f"_config.yml as default (recbook-repository set URL writes it)"
    )


def test_no_file_holds_another_copy_of_the_address():
    url = repository.configured_url(REPO)
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    )
    holders = {
        REPO / name
        for name in tracked.stdout.split()
        if (REPO / name).is_file()
        and url in (REPO / name).read_text(encoding="utf-8", errors="ignore")
    }
    assert holders <= {REPO / repository.CONFIG, *repository.copies(REPO)}


def test_site_address_is_derived_from_the_repository():
    assert (
        repository.site_url("https://github.com/Some-Owner/my-book")
        == "https://some-owner.github.io/my-book/"
    )
    with pytest.raises(ValueError, match="OWNER/NAME"):
        repository.site_url("https://gitlab.com/owner/book")


def test_set_writes_the_new_address_everywhere(tmp_path):
    for name in ("_config.yml", "README.md", "notebooks"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    old = repository.configured_url(tmp_path)
    new = "https://github.com/someone/their-book"
    (tmp_path / "README.md").write_text(
        f"Read it at {repository.site_url(old)}; code at {old}.\n"
    )

    changed = repository.set_url(new, tmp_path)

    assert repository.configured_url(tmp_path) == new
    assert tmp_path / "_config.yml" in changed
    for source in runner.chapters(tmp_path / "notebooks"):
        assert repository.setup_cell_urls(source) == [new]
        assert repository.setup_cell_urls(source.with_suffix(".ipynb")) == [new]
    readme = (tmp_path / "README.md").read_text()
    assert (
        readme == f"Read it at https://someone.github.io/their-book/; code at {new}.\n"
    )


def test_a_bad_setting_is_named(tmp_path):
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://example.org/book\n"
    )
    with pytest.raises(
        ValueError, match=r"_config.yml: repository.url is 'https://example.org/book'"
    ):
        repository.configured_url(tmp_path)
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/owner/book\n"
    )
    with pytest.raises(
        ValueError, match="'not a url' is not a GitHub repository address"
    ):
        repository.set_url("not a url", tmp_path)
    assert repository.configured_url(tmp_path) == "https://github.com/owner/book"


def test_citation_names_the_configured_repository_and_its_site():
    url = repository.configured_url(REPO)
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert citation["repository-code"] == url
    assert citation["url"] == repository.site_url(url)
    assert citation["license"] == "Apache-2.0"
    assert citation["authors"] == [
        {"name": yaml.safe_load((REPO / "_config.yml").read_text())["author"]}
    ]


def test_readme_names_the_site_address_derived_from_the_setting():
    url = repository.configured_url(REPO)
    first_screen = (REPO / "README.md").read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert repository.site_url(url) in first_screen
    assert url in first_screen


def test_set_keeps_the_citation_and_the_readme_right(tmp_path):
    for name in ("_config.yml", "README.md", "CITATION.cff", "notebooks"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    old = repository.configured_url(tmp_path)
    new = "https://github.com/Someone/their-book"

    changed = repository.set_url(new, tmp_path)

    assert {tmp_path / "CITATION.cff", tmp_path / "README.md"} <= set(changed)
    citation = yaml.safe_load((tmp_path / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["repository-code"] == new
    assert citation["url"] == "https://someone.github.io/their-book/"
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "https://someone.github.io/their-book/" in readme.split("\n## ", 1)[0]
    for name in ("README.md", "CITATION.cff", "_config.yml"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert old not in text and repository.site_url(old) not in text, name
