"""The book's repository address: one setting, which every other place copies.

The address is set in ``_config.yml`` (``repository.url``), where Jupyter Book
reads it for the site's launch buttons. Colab opens a chapter straight from
GitHub and knows nothing of that file, so each chapter's setup cell (and the
results page's clone) must carry the address itself. ``recbook-repository set
URL`` writes a new address into the configuration and into every copy at
once; ``tests/test_repository.py`` fails when a copy differs from the setting.

A chapter's setup cell reads the address as
``os.environ.get("RECBOOK_REPOSITORY", "<address>")``: the environment
variable lets the book's Colab-like tests install ``recbook`` from a local
checkout (``file:///path/to/checkout``) instead of GitHub.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

CONFIG = Path("_config.yml")
"""Jupyter Book's configuration, which holds the setting (``repository.url``)."""

OVERRIDE_ENV = "RECBOOK_REPOSITORY"
"""Environment variable that replaces the address in the chapters' setup cells."""

COPY_GLOBS = ("notebooks/*.py", "notebooks/*.ipynb", "README.md", "CITATION.cff")
"""Files besides the configuration that hold a copy of the address."""

_DEFAULT = re.compile(rf'os\.environ\.get\(\s*"{OVERRIDE_ENV}",\s*"([^"]+)"')
_GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)/?$")


def configured_url(root: Path = Path(".")) -> str:
    """The repository address set in ``_config.yml``.

    Raises:
        ValueError: the configuration has no ``repository.url``, or it is not
            a GitHub repository address (``https://github.com/OWNER/NAME``).
    """
    import yaml

    path = root / CONFIG
    url = (
        (yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        .get("repository", {})
        .get("url")
    )
    if not url or not _GITHUB.match(url):
        raise ValueError(
            f"{path}: repository.url is {url!r}; set it to the book's GitHub repository, "
            f"https://github.com/OWNER/NAME (recbook-repository set URL)."
        )
    return url


def site_url(url: str) -> str:
    """Where GitHub Pages publishes the site of the repository at ``url``."""
    match = _GITHUB.match(url)
    if not match:
        raise ValueError(
            f"{url!r} is not a GitHub repository address (https://github.com/OWNER/NAME)."
        )
    owner, name = match.groups()
    return f"https://{owner.lower()}.github.io/{name}/"


def setup_cell_urls(path: Path) -> list[str]:
    """The addresses written as defaults of ``RECBOOK_REPOSITORY`` in a chapter's cells.

    ``path`` is a chapter's ``.py`` source or its executed ``.ipynb``.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        import json

        text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
    return _DEFAULT.findall(text)


def copies(root: Path = Path(".")) -> list[Path]:
    """The files besides ``_config.yml`` that may hold a copy of the address."""
    return sorted(p for pattern in COPY_GLOBS for p in root.glob(pattern))


def set_url(new: str, root: Path = Path(".")) -> list[Path]:
    """Replace the configured address by ``new`` in the configuration and every copy.

    The site address derived from it (:func:`site_url`) is replaced too.
    Returns the files that changed.
    """
    old = configured_url(root)
    replacements = {old: new, site_url(old): site_url(new)}
    changed = []
    for path in [root / CONFIG, *copies(root)]:
        text = path.read_text(encoding="utf-8")
        updated = text
        for before, after in replacements.items():
            updated = updated.replace(before, after)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``recbook-repository``)."""
    parser = argparse.ArgumentParser(
        prog="recbook-repository",
        description="Show the book's repository address, or set it everywhere it is written.",
    )
    parser.add_argument("command", nargs="?", choices=["show", "set"], default="show")
    parser.add_argument(
        "url", nargs="?", help="with set: https://github.com/OWNER/NAME"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "set":
            if not args.url:
                parser.error(
                    "set needs the new address: recbook-repository set https://github.com/OWNER/NAME"
                )
            for path in set_url(args.url):
                print(f"updated {path}")
        url = configured_url()
    except (OSError, ValueError) as error:
        print(f"recbook-repository: {error}", file=sys.stderr)
        return 1
    print(f"repository: {url}\nsite:       {site_url(url)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
