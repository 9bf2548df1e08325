"""The book's own Sphinx extension (``sphinx: local_extensions:`` in ``_config.yml``).

- **How each chapter was made.** Under each chapter's title, a line says how its
  stored run went: the date, the wall time, the machine (CPU cores, GPUs) and the
  versions of Python, Keras (and its backend), keras-rs, JAX and TensorFlow, read at
  build time from the executed notebook's ``recbook_run`` metadata (written by
  ``recbook-run``, :func:`recbook_tools.runner.execute`) and the kernel's
  ``language_info``.
  What the metadata does not hold is named as not recorded. The chapter's cells are
  left as they are.
- **Open in Colab, view the source.** Under that line, as keras.io puts them under a
  tutorial's title, two text links: "Open in Colab" and "View source on GitHub" (the
  chapter's py:percent source), both made from the one repository setting
  (``repository.url`` and ``repository.branch`` of ``_config.yml``, which Jupyter Book
  passes to the theme), never typed in a chapter.
- **The API reference, by layer, one page per module.** At every build the extension
  writes a page per module of the two packages of :data:`PACKAGES` (``src/recbook``,
  which the chapters import, and ``tools/recbook_tools``, the book's machinery) into
  ``book/api/`` (generated, ignored by git), each holding that module's ``automodule``
  directive, and puts them under the API page (``book/api.md``) in the table of
  contents, one group per layer of :data:`LAYERS`. The API page's :data:`API_MARKER`
  becomes the list of layers and their modules with each module's one-line summary. A
  new module appears without editing a page; one missing from :data:`LAYERS` is listed
  under "Not yet placed in a layer" (``tests/test_site.py`` fails on it).
- **Author-year reference labels.** The references page labels its entries as the
  text cites them ("Harper and Konstan, 2015", "Shi et al., 2020"), sorted by author
  and year, with DOIs and arXiv ids (``eprint``) as links: the pybtex style
  ``recbook`` (``bibtex_default_style``), registered here.
- **Accessible toggles.** A hidden cell's "Show code cell source" toggle is announced
  by its visible text; myst-nb's ``aria-label="Toggle hidden content"`` (axe's
  label-content-name-mismatch) is dropped. The theme's search button and colour-mode
  switch get the same repair from the templates in ``book/_templates``.
- **Figures open full size.** Every image of a page (a chapter's figures, stored by
  the inline backend at twice their pixels) is a link to its own file, so that a tap
  or click opens it full size: :func:`link_images_to_their_files`. An image with a
  stored width is shown at that width, its height following its width.
- **The checkout's packages.** ``src/`` and ``tools/`` go first on ``sys.path``, so
  that autodoc documents the code beside the book, whatever is installed.
- **MathJax from the site.** The maths renders without a network: MathJax 3 is copied
  at every build from the installed wheel ``django-static-mathjax`` (the ``dev`` extra;
  no Django needed) into the site's ``_static/mathjax/``, only the parts a page and
  MathJax's menu load (:data:`MATHJAX_PARTS`), and ``mathjax_path`` points there.
  The MathJax configuration Jupyter Book and MyST set (``mathjax3_config``) is kept.
  Without the package the build stops at once, saying how to install it. No page loads
  a script or stylesheet from the network: sphinx-thebe's scripts, which name thebe's
  script on unpkg.com (and which Jupyter Book adds twice, a SyntaxError on every page),
  are dropped while no launch button starts thebe (``launch_buttons: thebe:``).
"""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import shutil
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.errors import ExtensionError

RUN_METADATA = "recbook_run"
"""The notebook metadata key ``recbook-run`` writes
(:data:`recbook_tools.notebook_records.RUN_METADATA`)."""

API_MARKER = "<!-- recbook-api: every module -->"
"""Where the API page lists the layers and their modules (:func:`api_overview`)."""

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


def chapter_links(options: Mapping[str, Any], docname: str) -> list[tuple[str, str]]:
    """The links under a chapter's title: (text, address), from the repository setting.

    ``options`` are the theme's options, where Jupyter Book puts ``_config.yml``'s
    ``repository`` (``repository_url``, ``repository_branch``, ``path_to_docs``) and
    ``launch_buttons`` (``colab_url``). The Colab address is the theme's own launch
    button's: ``https://colab.research.google.com/github/OWNER/NAME/blob/BRANCH/``
    ``notebooks/NN_name.ipynb``; the source is the chapter's py:percent file.
    """
    url = str(options.get("repository_url") or "").rstrip("/")
    if not url.startswith("https://github.com/"):
        return []
    owner_name = url.removeprefix("https://github.com/")
    branch = options.get("repository_branch") or "main"
    folder = str(options.get("path_to_docs") or "").strip("/")
    path = f"{folder}/{docname}" if folder else docname
    colab = str(
        (options.get("launch_buttons") or {}).get("colab_url")
        or "https://colab.research.google.com"
    ).rstrip("/")
    return [
        ("Open in Colab", f"{colab}/github/{owner_name}/blob/{branch}/{path}.ipynb"),
        ("View source on GitHub", f"{url}/blob/{branch}/{path}.py"),
    ]


def add_chapter_header(app: Any, doctree: nodes.document) -> None:
    """Under an executed notebook's title: its run line, then its two links."""
    source = Path(app.env.doc2path(app.env.docname))
    if source.suffix != ".ipynb":
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not isinstance(section[0], nodes.title):
        return
    at = 1
    run = notebook_run(source)
    if run is not None:
        line = nodes.paragraph(classes=["recbook-run"])
        line += nodes.Text(run_line(*run))
        section.insert(at, line)
        at += 1
    links = chapter_links(app.config.html_theme_options, app.env.docname)
    if links:
        paragraph = nodes.paragraph(classes=["recbook-launch"])
        for index, (text, address) in enumerate(links):
            if index:
                paragraph += nodes.Text(" • ")
            paragraph += nodes.reference("", text, refuri=address, internal=False)
        section.insert(at, paragraph)


LAYERS = (
    (
        "Start-up",
        "Standard library only, run when ``recbook`` is imported, before JAX starts.",
        ("reproducibility", "compile_cache", "devices"),
    ),
    (
        "Foundations",
        "Checks, downloads, records and the published figures; the evidence rules; "
        "plots, tables and diagrams for the page.",
        (
            "checks",
            "download",
            "glue",
            "published",
            "records",
            "evidence",
            "plots",
            "tables",
            "diagrams",
        ),
    ),
    (
        "Data",
        "MovieLens loaded and turned into model inputs (featurization: generated from "
        "chapter 2's cells).",
        ("data", "featurization", "features"),
    ),
    (
        "Models",
        "Training, the embedding layers, the two model families, the baselines and "
        "the device mesh (towers, training_towers, memory_efficient, tuned_embeddings, "
        "data_parallelism and model_parallelism: generated from the cells of chapters "
        "3 to 8).",
        (
            "training",
            "guards",
            "towers",
            "training_towers",
            "memory_efficient",
            "tuned_embeddings",
            "embeddings",
            "retrieval",
            "rating_models",
            "baselines",
            "data_parallelism",
            "model_parallelism",
            "sharding",
        ),
    ),
    (
        "Timing",
        "One training run per Keras backend, each in its own process (chapter 3).",
        ("backend_timing",),
    ),
    (
        "Book tools: recbook_tools",
        "The book's machinery, a second package (``tools/recbook_tools``): exporting "
        "and running the chapters, reading their records back, the results page, "
        "timings against the machine's floor, the README's performance block and the "
        "repository setting. No chapter imports it and Colab installs it for the "
        "results page alone; ``make venv`` installs it beside ``recbook``.",
        (
            "recbook_tools.export",
            "recbook_tools.runner",
            "recbook_tools.notebook_records",
            "recbook_tools.results_page",
            "recbook_tools.results_figure",
            "recbook_tools.floor",
            "recbook_tools.benchmark",
            "recbook_tools.repository",
            "recbook_tools.readme",
        ),
    ),
)
"""The packages' layers, top to bottom (as the README's "Layout"): title, what the
layer holds, its modules in reading order, each by :func:`short_name`. A module imports
from its own layer and those above it."""

PACKAGES = (
    ("recbook", "src", ""),
    (
        "recbook_tools",
        "tools",
        "Part of the book's machinery, the package ``recbook_tools`` in ``tools/``: no "
        "chapter imports it and Colab never installs it.",
    ),
)
"""The documented packages: name, its folder in the repository (put first on
``sys.path``), and what its module pages say under their title."""

UNPLACED = "Not yet placed in a layer"
"""The group of modules that :data:`LAYERS` does not name (a test fails on it)."""

API_FOLDER = "book/api"
"""Where the generated module pages go (docnames ``book/api/<module>``)."""

API_PAGE = "book/api"
"""The API page's docname, the parent of the module pages."""


def modules(root: Path) -> list[str]:
    """Every public module of the packages of :data:`PACKAGES` in the repository at
    ``root``, by dotted name (``recbook.checks``, ``recbook_tools.runner``)."""
    return [
        f"{package}.{module.name}"
        for package, folder, _ in PACKAGES
        for module in pkgutil.iter_modules([str(root / folder / package)])
        if not module.name.startswith("_")
    ]


def short_name(module: str) -> str:
    """A module's name in :data:`LAYERS` and its page's: ``checks`` for
    ``recbook.checks``, the whole dotted name for another package's."""
    return module.removeprefix("recbook.")


def dotted_name(name: str) -> str:
    """The dotted name of a module named by :func:`short_name`."""
    return name if "." in name else f"recbook.{name}"


def package_of(name: str) -> tuple[str, str, str]:
    """The :data:`PACKAGES` entry of a module named by :func:`short_name`."""
    package = dotted_name(name).partition(".")[0]
    return next(entry for entry in PACKAGES if entry[0] == package)


def layers(root: Path) -> list[tuple[str, str, list[str]]]:
    """The layers with the modules that exist: (title, description, short names);
    modules that :data:`LAYERS` does not name come last, under :data:`UNPLACED`."""
    present = [short_name(module) for module in modules(root)]
    grouped, placed = [], set()
    for title, description, names in LAYERS:
        found = [name for name in names if name in present]
        placed.update(found)
        if found:
            grouped.append((title, description, found))
    rest = [name for name in present if name not in placed]
    if rest:
        grouped.append((UNPLACED, "Modules to add to a layer.", rest))
    return grouped


def summary(root: Path, name: str) -> str:
    """The first line of a module's docstring (read without importing it)."""
    package, folder, _ = package_of(name)
    path = root / folder / package / f"{dotted_name(name).partition('.')[2]}.py"
    text = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return text.strip().splitlines()[0] if text.strip() else ""


def module_page(name: str) -> str:
    """The generated page of one module: its title, its package's note
    (:data:`PACKAGES`) and its ``automodule``."""
    module, note = dotted_name(name), package_of(name)[2]
    return (
        "<!-- Generated by book/_ext/recbook_site.py at every build; do not edit. -->\n"
        f"# `{module}`\n\n"
        + (f"{note}\n\n" if note else "")
        + f"```{{eval-rst}}\n.. automodule:: {module}\n```\n"
    )


def api_overview(root: Path) -> str:
    """The API page's part that lists the modules: a section per layer, a link and a
    one-line summary per module."""
    blocks = []
    for title, description, names in layers(root):
        items = "\n".join(
            f"- :doc:`{dotted_name(name)} <api/{name}>`: {summary(root, name)}"
            for name in names
        )
        blocks.append(f"## {title}\n\n```{{eval-rst}}\n{description}\n\n{items}\n```\n")
    return "\n".join(blocks)


def _write_if_changed(path: Path, text: str) -> None:
    """Write atomically, and only when the text changes (builds may run side by side)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def write_api_pages(app: Any, config: Any) -> None:
    """Write a page per module into ``book/api/`` (before the table of contents is
    read), and drop pages of modules that are gone."""
    folder = Path(app.srcdir) / API_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = [short_name(module) for module in modules(Path(app.srcdir))]
    for name in names:
        _write_if_changed(folder / f"{name}.md", module_page(name))
    for page in folder.glob("*.md"):
        if page.stem not in names:
            page.unlink(missing_ok=True)


def place_api_pages(app: Any, config: Any) -> None:
    """Under the API page in the table of contents, a group of module pages per layer
    (after sphinx-external-toc has read ``_toc.yml``, where a glob keeps the pages)."""
    from sphinx_external_toc.api import Document, FileItem, TocTree

    site_map = getattr(config, "external_site_map", None)
    if site_map is None or API_PAGE not in site_map:
        return
    subtrees = []
    for title, _, names in layers(Path(app.srcdir)):
        docnames = [f"{API_FOLDER}/{name}" for name in names]
        for docname in docnames:
            site_map[docname] = Document(docname)
        subtrees.append(TocTree([FileItem(d) for d in docnames], caption=title))
    site_map[API_PAGE] = Document(API_PAGE, subtrees=subtrees)


def fill_api_page(app: Any, docname: str, source: list[str]) -> None:
    if API_MARKER in source[0]:
        source[0] = source[0].replace(API_MARKER, api_overview(Path(app.srcdir)))


def author_year_label(entry: Any) -> str:
    """``"Harper and Konstan, 2015"``, ``"Shi et al., 2020"``: as the text cites it."""
    from pybtex.richtext import Text

    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    lasts = [
        Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as(
            "text"
        )
        for person in persons
    ]
    if not lasts:
        who = Text.from_latex(entry.fields.get("title", entry.key)).render_as("text")
    elif len(lasts) == 1:
        who = lasts[0]
    elif len(lasts) == 2:
        who = f"{lasts[0]} and {lasts[1]}"
    else:
        who = f"{lasts[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


def register_bibliography_style() -> None:
    """The pybtex style ``recbook``: unsrt's entries (DOI, arXiv ``eprint`` and URL as
    links), sorted by author and year, labelled by :func:`author_year_label` (``a``,
    ``b`` after the year when two labels coincide)."""
    import pybtex.plugin
    from pybtex.style.formatting.unsrt import Style as Unsrt
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            labels = [author_year_label(entry) for entry in sorted_entries]
            repeated = {label for label in labels if labels.count(label) > 1}
            seen: dict[str, int] = {}
            for label in labels:
                if label in repeated:
                    seen[label] = seen.get(label, 0) + 1
                    label += "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
                yield label

    class Style(Unsrt):
        default_label_style = "recbook-author-year"
        default_sorting_style = "author_year_title"

    pybtex.plugin.register_plugin(
        "pybtex.style.labels", "recbook-author-year", AuthorYearLabels, force=True
    )
    pybtex.plugin.register_plugin(
        "pybtex.style.formatting", "recbook", Style, force=True
    )


def visit_citation(self: Any, node: nodes.Element) -> None:
    """docutils' citation list without the ARIA that axe rejects: a ``role="list"``
    whose entries are ``role="listitem"`` (not the deprecated ``doc-biblioentry``)."""
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(
        self.starttag(node, "div", classes=[node.tagname], role="listitem")
    )


def depart_citation(self: Any, node: nodes.Element) -> None:
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


def visit_hidden_cell(self: Any, node: nodes.Element) -> None:
    """myst-nb's toggle of a hidden cell, named by its visible text ("Show code cell
    source") instead of ``aria-label="Toggle hidden content"``."""
    from html import escape

    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(
        f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n'
        f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n'
    )
    self.body.append("</summary>\n")


def depart_hidden_cell(self: Any, node: nodes.Element) -> None:
    self.body.append("</details>\n")


def label_toctree_toggles(html: Any) -> Any:
    """The theme's sidebar toggles (an empty ``<summary>`` beside a page that has
    pages under it) named after that page (axe: summary-name)."""
    from bs4 import BeautifulSoup

    soup = (
        html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    )
    for summary in soup.find_all("summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        item = summary.find_parent("li")
        link = item.find("a") if item else None
        title = link.get_text(" ", strip=True) if link else "this section"
        summary["aria-label"] = f"{title}: show or hide its pages"
    return soup


def name_sidebar_toggles(app: Any, pagename: str, templatename: str, context, doctree):
    """Wrap the theme's ``generate_toctree_html`` (pydata-sphinx-theme) with
    :func:`label_toctree_toggles`."""
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "recbook_labelled", False):
        return

    def labelled(*args: Any, **kwargs: Any) -> Any:
        return label_toctree_toggles(generate(*args, **kwargs))

    labelled.recbook_labelled = True
    context["generate_toctree_html"] = labelled


def override_translators(app: Any) -> None:
    """After every extension has registered its nodes: the accessible visitors."""
    from myst_nb.sphinx_ import HideCodeCellNode

    app.add_node(
        HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_hidden_cell)
    )
    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation))


FULL_SIZE_CLASS = "recbook-full-size"
"""The class of the link around an image (:func:`link_images_to_their_files`)."""

FULL_SIZE_TITLE = "Open the figure full size"
"""What the link around an image says on hover, and its name when the image has no
alt text (otherwise the alt text names it)."""


class full_size_link(nodes.reference):
    """A link around an image to the image's own file, its address found when the page
    is written (the image's file name in the site is known only then)."""


def link_images_to_their_files(app: Any, doctree: nodes.document, docname: str) -> None:
    """Every image of the page that is not a link already becomes a link to its own
    file (:class:`full_size_link`): a chapter's figure, shown at the column's width,
    opens full size on a tap or click (on a phone it is shown at half its size or
    less). The image's stored ``height`` is dropped where it has a ``width`` (the
    inline backend's metadata), so that its height follows its width when the
    theme's ``max-width: 100%`` narrows it. HTML builders only."""
    if app.builder.format != "html":
        return
    for image in list(doctree.findall(nodes.image)):
        if isinstance(image.parent, nodes.reference):
            continue
        if "width" in image:
            image.attributes.pop("height", None)
        link = full_size_link("", "", classes=[FULL_SIZE_CLASS])
        image.replace_self(link)
        link += image


def visit_full_size_link(self: Any, node: nodes.Element) -> None:
    """``<a href="(the image's file)" class="recbook-full-size">``, titled
    :data:`FULL_SIZE_TITLE`, named by the image's alt text or, without one, by the
    title (axe: link-name). The address is the one the image's ``src`` gets."""
    import posixpath
    import urllib.parse

    image = node.next_node(nodes.image)
    uri = image["uri"]
    if uri in self.builder.images:
        uri = posixpath.join(
            self.builder.imgpath, urllib.parse.quote(self.builder.images[uri])
        )
    attributes = {"href": uri, "title": FULL_SIZE_TITLE}
    if not str(image.get("alt", "")).strip():
        attributes["aria-label"] = FULL_SIZE_TITLE
    self.body.append(self.starttag(node, "a", "", **attributes))


def depart_full_size_link(self: Any, node: nodes.Element) -> None:
    self.body.append("</a>")


MATHJAX_DISTRIBUTION = "django-static-mathjax"
"""The wheel holding MathJax 3's browser build (``pyproject.toml``'s ``dev`` extra)."""

MATHJAX_IN_DISTRIBUTION = "mathjax/static/mathjax"
"""Where MathJax's package (its ``LICENSE`` and ``es5/``) is inside that wheel."""

MATHJAX_FOLDER = "mathjax"
"""The site's copy of MathJax, under ``_static/`` (as in MathJax's own package)."""

MATHJAX_SCRIPT = "es5/tex-chtml.js"
"""The combined component the pages load: TeX input, CommonHTML output, the menu."""

MATHJAX_PARTS = (
    "LICENSE",
    MATHJAX_SCRIPT,
    # The CommonHTML output's fonts, which its CSS loads.
    "es5/output/chtml/fonts/woff-v2",
    # TeX packages that the autoload and require extensions load when a formula uses
    # one of their macros (\boldsymbol, \cancel, \color, ...).
    "es5/input/tex/extensions",
    # What the maths' menu loads when a reader chooses it: the SVG renderer (Math
    # Settings) and the accessibility tools (explorer, collapsible maths), which
    # need MathML input and the speech rule engine with its rules (sre/mathmaps).
    "es5/output/svg.js",
    "es5/output/svg/fonts",
    "es5/a11y",
    "es5/input/mml.js",
    "es5/sre",
)
"""What the site copies of MathJax's package (paths in it): what a page loads, checked
in Chromium by ``tests/test_browser.py``, and what the maths' menu may load."""


def mathjax_source(distribution: str = MATHJAX_DISTRIBUTION) -> Path:
    """MathJax's package inside the installed ``distribution``, holding every part of
    :data:`MATHJAX_PARTS`.

    Raises:
        ExtensionError: ``distribution`` is not installed beside Sphinx, or it lacks a
            part (another version than ``constraints.txt`` pins).
    """
    import importlib.metadata

    try:
        found = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ExtensionError(
            f"The site serves MathJax from the package {distribution}, which is not "
            f"installed beside Sphinx ({sys.executable}). Install the book's dev extra: "
            "pip install -c constraints.txt -e '.[dev]'."
        ) from None
    source = Path(found.locate_file(MATHJAX_IN_DISTRIBUTION))
    missing = [part for part in MATHJAX_PARTS if not (source / part).exists()]
    if missing:
        raise ExtensionError(
            f"{distribution} {found.version} has no {', '.join(missing)} in {source}, "
            "which the site's maths needs; install the version constraints.txt pins: "
            f"pip install -c constraints.txt {distribution}."
        )
    return source


def copy_mathjax(source: Path, target: Path) -> None:
    """Copy :data:`MATHJAX_PARTS` of MathJax's package ``source`` into ``target``,
    keeping their paths (MathJax finds its components beside its script)."""
    for part in MATHJAX_PARTS:
        origin, copy = source / part, target / part
        if origin.is_dir():
            shutil.copytree(origin, copy, dirs_exist_ok=True)
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, copy)


def serve_mathjax(app: Any, config: Any) -> None:
    """Before any page is read: the installed MathJax checked (stopping the build if it
    is missing), and ``mathjax_path`` pointed at the site's copy."""
    mathjax_source()
    config.mathjax_path = f"{MATHJAX_FOLDER}/{MATHJAX_SCRIPT}"


def copy_mathjax_into_site(app: Any) -> None:
    """Before an HTML build writes its pages: MathJax copied into ``_static/``
    (:data:`MATHJAX_FOLDER`), so that the pages name its script with a checksum."""
    if app.builder.format == "html":
        target = Path(app.outdir) / "_static" / MATHJAX_FOLDER
        copy_mathjax(mathjax_source(), target)


THEBE_ASSET = "sphinx-thebe"
"""How sphinx-thebe's script and stylesheet are named (``sphinx-thebe.js``, ``.css``)."""

THEBE_SETTINGS = "THEBE_JS_URL"
"""What sphinx-thebe's inline settings script declares: thebe's address on unpkg.com."""


def is_thebe_asset(asset: Any) -> bool:
    """Whether a page's script or stylesheet (Sphinx's ``_JavaScript`` or
    ``_CascadingStyleSheet``) is sphinx-thebe's: its file or its inline settings."""
    filename = str(getattr(asset, "filename", asset) or "")
    body = str((getattr(asset, "attributes", None) or {}).get("body", ""))
    return Path(filename).name.startswith(THEBE_ASSET) or THEBE_SETTINGS in body


def drop_unused_thebe(app: Any, pagename: str, templatename: str, context, doctree):
    """Without a thebe launch button (``launch_buttons: thebe:`` in ``_config.yml``),
    sphinx-thebe's scripts and stylesheet are left off the page: nothing could start
    thebe, and its settings name a script on the network."""
    launch = app.config.html_theme_options.get("launch_buttons") or {}
    if launch.get("thebe"):
        return
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if assets:
            assets[:] = [asset for asset in assets if not is_thebe_asset(asset)]


_ATTRIBUTE_DOCSTRINGS: dict[str, list[str]] = {}


def keep_attribute_docstring(app, what, name, obj, options, lines) -> None:
    """Before napoleon: remember a constant's or attribute's docstring as written."""
    if what in ("data", "attribute"):
        _ATTRIBUTE_DOCSTRINGS[name] = list(lines)


def attribute_docstring_as_prose(app, what, name, obj, options, lines) -> None:
    """After napoleon: a constant's or attribute's docstring reads as written.

    Napoleon reads the first line of such a docstring as ``type: description``, so
    "Training steps per compiled call: identical results" rendered "Training steps per
    compiled call" as a Type field. The book types its constants in code, never in
    their docstrings, so the docstring kept before napoleon ran is put back.
    """
    if what in ("data", "attribute") and name in _ATTRIBUTE_DOCSTRINGS:
        lines[:] = _ATTRIBUTE_DOCSTRINGS.pop(name)


def setup(app: Any) -> dict[str, Any]:
    for _, folder, _ in reversed(PACKAGES):
        path = str(Path(app.srcdir) / folder)
        if path not in sys.path:
            sys.path.insert(0, path)
    register_bibliography_style()
    app.connect("config-inited", write_api_pages, priority=800)
    app.connect("config-inited", place_api_pages, priority=950)
    app.connect("builder-inited", override_translators)
    app.connect("source-read", fill_api_page)
    app.connect("doctree-read", add_chapter_header)
    app.add_node(full_size_link, html=(visit_full_size_link, depart_full_size_link))
    app.connect("doctree-resolved", link_images_to_their_files)
    app.connect("html-page-context", name_sidebar_toggles, priority=900)
    app.connect("config-inited", serve_mathjax)
    app.connect("builder-inited", copy_mathjax_into_site)
    app.connect("html-page-context", drop_unused_thebe)
    # Around napoleon's own handler (priority 500).
    app.connect("autodoc-process-docstring", keep_attribute_docstring, priority=400)
    app.connect("autodoc-process-docstring", attribute_docstring_as_prose, priority=600)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
