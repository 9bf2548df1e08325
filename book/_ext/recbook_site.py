"""The book's own Sphinx extension (``sphinx: local_extensions:`` in ``_config.yml``).

- **How each chapter was made.** Under each chapter's title, a line says how its
  stored run went: the date, the wall time, the machine (CPU cores, GPUs) and the
  versions of Python, Keras (and its backend), keras-rs, JAX and TensorFlow, read at
  build time from the executed notebook's ``recbook_run`` metadata (written by
  ``recbook-run``, :func:`recbook.runner.execute`) and the kernel's ``language_info``.
  What the metadata does not hold is named as not recorded. The chapter's cells are
  left as they are.
- **The API page lists every module.** The page holding :data:`API_MARKER` gets an
  ``automodule`` directive for every module of ``src/recbook`` in its place, so a new
  module appears there without editing the page.
- **The checkout's package.** ``src/`` goes first on ``sys.path``, so that autodoc
  documents the code beside the book, whatever ``recbook`` is installed.
"""

from __future__ import annotations

import json
import pkgutil
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from docutils import nodes

RUN_METADATA = "recbook_run"
"""The notebook metadata key ``recbook-run`` writes (:data:`recbook.runner.RUN_METADATA`)."""

API_MARKER = "<!-- recbook-api: every module -->"
"""Where the API page gets an ``automodule`` directive per module."""

VERSIONS = (
    ("keras", "Keras"),
    ("keras-rs", "keras-rs"),
    ("jax", "JAX"),
    ("tensorflow", "TensorFlow"),
)
"""The libraries the line names: distribution name in ``versions``, name shown."""

BACKENDS = {"jax": "JAX", "tensorflow": "TensorFlow", "torch": "PyTorch"}
"""Keras backends as the line names them."""


def duration(seconds: float) -> str:
    """``"14 s"``, ``"10 min 36 s"``, ``"1 h 2 min"``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def run_line(details: Mapping[str, Any], python: str | None = None) -> str:
    """The sentence shown under a chapter's title, from its ``recbook_run`` metadata.

    Read, when present: ``date`` (ISO 8601), ``seconds``, ``cpus``, ``gpus`` (a
    count, or a list of names), ``quick``, ``backend`` and ``versions`` (versions by
    distribution name, as :data:`VERSIONS`); ``python`` is the kernel's version.
    Whatever is missing is named at the end as not recorded.
    """
    said, missing = [], []
    date = details.get("date")
    if date:
        day = datetime.fromisoformat(str(date))
        said.append(f"{day.day} {day:%B %Y}")
    else:
        missing.append("the date")
    machine = []
    if details.get("cpus"):
        machine.append(f"{details['cpus']} CPU cores")
    gpus = details.get("gpus")
    if gpus is None:
        missing.append("the GPUs")
    elif isinstance(gpus, (list, tuple)):
        machine.append(", ".join(map(str, gpus)) if gpus else "no GPU")
    else:
        machine.append(f"{gpus} GPU{'s' * (gpus != 1)}" if gpus else "no GPU")
    if details.get("seconds") is not None:
        took = f"{duration(float(details['seconds']))} of wall time"
        said.append(f"{took} on {' and '.join(machine)}" if machine else took)
    else:
        missing.append("wall time")
        said += machine
    if details.get("quick"):
        said.append("with the quick parameters")
    versions = details.get("versions") or {}
    named, unversioned = [], []
    if python:
        named.append(f"Python {python}")
    for name, shown in VERSIONS:
        if name in versions:
            backend = details.get("backend")
            extra = (
                f" ({BACKENDS.get(backend, backend)} backend)"
                if name == "keras" and backend
                else ""
            )
            named.append(f"{shown} {versions[name]}{extra}")
        else:
            unversioned.append(shown)
    if unversioned:
        plural = "s" * (len(unversioned) > 1)
        missing.append(f"the {listed(unversioned)} version{plural}")
    line = "Stored run: " + ", ".join(said)
    if named:
        line += "; " + ", ".join(named)
    line += "."
    if missing:
        line += f" Not recorded: {listed(missing)}."
    return line


def listed(items: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def notebook_run(path: Path) -> tuple[dict[str, Any], str | None] | None:
    """A stored notebook's ``recbook_run`` metadata and kernel Python version, if any."""
    metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    details = metadata.get(RUN_METADATA)
    if not details:
        return None
    return details, metadata.get("language_info", {}).get("version")


def add_run_line(app: Any, doctree: nodes.document) -> None:
    """Put the run line after the title of an executed notebook that records its run."""
    source = Path(app.env.doc2path(app.env.docname))
    if source.suffix != ".ipynb":
        return
    run = notebook_run(source)
    section = next(iter(doctree.findall(nodes.section)), None)
    if run is None or section is None or not isinstance(section[0], nodes.title):
        return
    line = nodes.paragraph(classes=["recbook-run"])
    line += nodes.Text(run_line(*run))
    section.insert(1, line)


def modules(src: Path) -> list[str]:
    """Every public module of the package in ``src/recbook``, by dotted name."""
    return [
        f"recbook.{module.name}"
        for module in pkgutil.iter_modules([str(src / "recbook")])
        if not module.name.startswith("_")
    ]


def api_directives(src: Path) -> str:
    """The API page's part that lists the modules: one ``automodule`` per module."""
    blocks = [
        f"## `{name}`\n\n```{{eval-rst}}\n.. automodule:: {name}\n```\n"
        for name in modules(src)
    ]
    return "\n".join(blocks)


def fill_api_page(app: Any, docname: str, source: list[str]) -> None:
    if API_MARKER in source[0]:
        source[0] = source[0].replace(
            API_MARKER, api_directives(Path(app.srcdir) / "src")
        )


def setup(app: Any) -> dict[str, Any]:
    src = str(Path(app.srcdir) / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    app.connect("source-read", fill_api_page)
    app.connect("doctree-read", add_run_line)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
