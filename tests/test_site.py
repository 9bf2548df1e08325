"""The README's build command renders the book from the stored outputs, warnings as errors."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from recbook import records
from recbook_tools import notebook_records, repository, results_page

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.site
def test_every_toc_page_is_rendered(site):
    toc = (REPO / "_toc.yml").read_text()
    for page in re.findall(r"file: (\S+)", toc) + ["book/intro"]:
        assert (site / Path(page).with_suffix(".html")).is_file(), page


def glued(page: str, name: str, fmt: str) -> str:
    value = notebook_records.read(REPO / "notebooks" / f"{page}.ipynb")[name]
    return format(value, fmt)


@pytest.mark.site
@pytest.mark.parametrize(
    "page, plots, pasted",
    [
        (records.MOVIELENS_CHAPTER, 3, [(records.DENSITY, ".2%")]),
        (records.FEATURIZATION_CHAPTER, 0, []),
        (records.RETRIEVAL_CHAPTER, 2, [(records.POPULARITY_TOP100, ".4f")]),
        (records.SOFTMAX_CHAPTER, 2, [(records.BEST_TOP100, ".4f")]),
        (
            records.EMBEDDINGS_CHAPTER,
            5,
            [(records.ALPHA_FINDING, ""), (records.MASK_OVER_GATHER, ".2f")],
        ),
        (records.DATA_PARALLEL_CHAPTER, 2, [(records.SGD_SINGLE_MAE, ".3f")]),
        (records.MODEL_PARALLEL_CHAPTER, 0, []),
        (
            records.COMMUNICATION_CHAPTER,
            1,
            [
                (records.PRODUCTION_FULL_WITH_ADAM_TEXT, ""),
                (records.DP_COLLECTIVE_BYTES_PER_STEP, ","),
            ],
        ),
    ],
)
def test_chapter_shows_its_plots_and_glued_figures(site, page, plots, pasted):
    html = (site / "notebooks" / f"{page}.html").read_text()
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', html)
    assert len(images) >= plots
    for src in images:
        assert (site / "notebooks" / src).resolve().stat().st_size > 5_000
    for name, fmt in pasted:
        assert glued(page, name, fmt) in html, (
            f"the recorded {name} is shown on the page, as the chapter computed it"
        )
    assert "colab.research.google.com" in html, "a launch-in-Colab button"


@pytest.mark.site
def test_bibliography_resolves_citations(site):
    page = (site / "book" / "references.html").read_text()
    for cited in (
        "doi:10.1145/2827872",
        "Hertschuh",
        "Michael Shi",
        "Ginart",
        "Sampling-bias-corrected",
    ):
        assert cited in page
    chapter = (site / "notebooks" / "01_movielens_data.html").read_text()
    assert 'href="https://doi.org/10.1145/2827872"' in chapter, (
        "the chapter's citation is a link that renders in Colab too"
    )


def text_of(page: str) -> str:
    """A built page's text: tags dropped, entities resolved."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.site
def test_results_page_shows_every_comparison(site):
    page = text_of((site / "notebooks" / f"{records.RESULTS_CHAPTER}.html").read_text())
    comparisons = results_page.comparisons(REPO / "notebooks")
    for _, row in comparisons.iterrows():
        assert row["experiment"] in page
        assert results_page.number(row["ours"]) in page, row["experiment"]
    shown = results_page.compact_table(comparisons)
    for _, row in shown[shown["verdict"] != ""].iterrows():
        assert row["verdict"] in page, row["figure"]
    # The answered rows in one table, the context rows in another (collapsed on the site).
    context = comparisons["verdict"] == "context"
    assert results_page.verdict_counts(comparisons[~context]) in page
    assert results_page.verdict_counts(comparisons[context]) in page
    assert "the whole book" in page
    assert "623,744" in page, "parameters with thousands separators"


@pytest.mark.site
def test_results_page_shows_the_overview_figure(site):
    html_page = (site / "notebooks" / f"{records.RESULTS_CHAPTER}.html").read_text()
    images = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', html_page)
    assert len(images) == 1, "one figure: the overview"
    assert (site / "notebooks" / images[0]).resolve().stat().st_size > 50_000


@pytest.mark.site
def test_every_chapter_says_how_it_was_made(site):
    recbook_site = site_extension()

    for chapter in re.findall(
        r"file: notebooks/(\S+)\.ipynb", (REPO / "_toc.yml").read_text()
    ):
        run = recbook_site.notebook_run(REPO / "notebooks" / f"{chapter}.ipynb")
        assert run, f"{chapter} records its run (recbook-run)"
        page = (site / "notebooks" / f"{chapter}.html").read_text()
        title_then_line = re.search(
            r"</h1>\s*<p class=\"recbook-run\">([^<]*)</p>", page
        )
        assert title_then_line, f"{chapter}: the run line follows the title"
        assert html.unescape(title_then_line.group(1)) == recbook_site.run_line(*run)


def public_definitions() -> list[str]:
    """Every public function and class defined in a module of recbook or
    recbook_tools, by dotted name."""
    import importlib
    import pkgutil

    import recbook
    import recbook_tools

    names = []
    for package in (recbook, recbook_tools):
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                module = importlib.import_module(f"{package.__name__}.{info.name}")
                names += public_names(module)
    return names


def public_names(module) -> list[str]:
    """The public functions and classes a module defines, by dotted name."""
    import inspect

    return [
        f"{module.__name__}.{name}"
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    ]


def site_extension():
    sys.path.insert(0, str(REPO / "book" / "_ext"))
    import recbook_site

    return recbook_site


@pytest.mark.site
def test_api_reference_has_a_page_per_module_listing_every_definition(site):
    """One page per module (generated), each with its module's public functions and
    classes, and the API page linking them all, grouped by layer."""
    recbook_site = site_extension()
    overview = (site / "book" / "api.html").read_text()
    definitions = public_definitions()
    assert len(definitions) > 100
    missing = []
    for module in recbook_site.modules(REPO):
        name = recbook_site.short_name(module)
        page = (site / "book" / "api" / f"{name}.html").read_text()
        assert f'href="api/{name}.html"' in overview, f"the API page links {module}"
        missing += [
            definition
            for definition in definitions
            if definition.rsplit(".", 1)[0] == module
            and f'id="{definition}"' not in page
        ]
    assert not missing, f"not on their module's API page: {missing}"
    for title, _, _ in recbook_site.LAYERS:
        assert f"<h2>{title}" in overview, title


def test_every_module_is_placed_in_a_layer():
    """A new module of src/recbook or tools/recbook_tools goes into a layer of
    recbook_site.LAYERS (the API reference's groups, the README's Layout), not under
    "Not yet placed"."""
    recbook_site = site_extension()
    unplaced = [
        names
        for title, _, names in recbook_site.layers(REPO)
        if title == recbook_site.UNPLACED
    ]
    assert not unplaced, f"add to a layer in book/_ext/recbook_site.py: {unplaced}"


@pytest.mark.site
def test_intro_links_every_chapter(site):
    page = (site / "book" / "intro.html").read_text()
    for chapter in re.findall(
        r"file: notebooks/(\S+)\.ipynb", (REPO / "_toc.yml").read_text()
    ):
        assert f'href="../notebooks/{chapter}.html"' in page, chapter


@pytest.mark.site
def test_references_have_author_year_labels_and_linked_identifiers(site):
    import pybtex.database

    recbook_site = site_extension()
    page = (site / "book" / "references.html").read_text()
    bibliography = pybtex.database.parse_file(REPO / "book" / "references.bib")
    labels = re.findall(
        r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span', page
    )
    expected = [
        recbook_site.author_year_label(entry) for entry in bibliography.entries.values()
    ]
    assert sorted(labels) == sorted(expected), labels
    for entry in bibliography.entries.values():
        if "doi" in entry.fields:
            doi = entry.fields["doi"]
            assert f'href="https://doi.org/{doi}">doi:{doi}</a>' in page, doi
        if "eprint" in entry.fields:
            arxiv = entry.fields["eprint"]
            assert f'href="https://arxiv.org/abs/{arxiv}">arXiv:{arxiv}</a>' in page
        assert "arXiv:" not in entry.fields.get("note", ""), (
            f"{entry.key}: an arXiv id goes in eprint (a link), not in note"
        )


@pytest.mark.site
def test_featurization_shows_the_features_code_it_teaches(site):
    """Every line of the definitions chapter 2 exports to recbook.featurization is on
    its page, in its code cells."""
    import ast

    page = text_of((site / "notebooks" / "02_featurization.html").read_text())
    source = (REPO / "src" / "recbook" / "featurization.py").read_text()
    taught = (
        "title_vectorizer",
        "feature_space",
        "Candidates",
        "candidate_set",
        "split",
    )
    for node in ast.parse(source).body:
        if getattr(node, "name", None) in taught:
            for line in ast.get_source_segment(source, node).splitlines():
                assert line.strip() in page, f"{node.name}: {line.strip()!r}"


@pytest.mark.site
@pytest.mark.parametrize(
    "page",
    [
        records.MOVIELENS_CHAPTER,
        records.FEATURIZATION_CHAPTER,
        records.RETRIEVAL_CHAPTER,
        records.EMBEDDINGS_CHAPTER,
        records.RESULTS_CHAPTER,
    ],
)
def test_chapter_launches_in_colab_and_binder_from_the_configured_repository(
    site, page
):
    owner_name = repository.configured_url(REPO).removeprefix("https://github.com/")
    branch = yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["branch"]
    page_html = (site / "notebooks" / f"{page}.html").read_text()
    colab = f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/notebooks/{page}.ipynb"
    binder = f"https://mybinder.org/v2/gh/{owner_name}/{branch}?urlpath=tree/notebooks/{page}.ipynb"
    assert f'href="{colab}"' in page_html
    assert f'href="{binder}"' in page_html


@pytest.mark.site
def test_every_page_shows_the_licenses_in_its_footer(site):
    toc = (REPO / "_toc.yml").read_text()
    for page in re.findall(r"file: (\S+)", toc) + ["book/intro"]:
        footer = (
            (site / Path(page).with_suffix(".html")).read_text().split("<footer", 1)[1]
        )
        assert (
            '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>'
            in footer
        ), page
        assert (
            '<a href="https://www.apache.org/licenses/LICENSE-2.0">Apache License 2.0</a>'
            in footer
        ), page
        assert "MovieLens" in footer, page


def test_chapter_links_follow_the_repository_setting():
    """The links under a chapter's title are made from the theme's repository options
    (which Jupyter Book fills from _config.yml), not typed."""
    recbook_site = site_extension()
    options = {
        "repository_url": "https://github.com/someone/fork",
        "repository_branch": "draft",
        "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    }
    assert recbook_site.chapter_links(options, "notebooks/03_retrieval_towers") == [
        (
            "Open in Colab",
            "https://colab.research.google.com/github/someone/fork/blob/draft/"
            "notebooks/03_retrieval_towers.ipynb",
        ),
        (
            "View source on GitHub",
            "https://github.com/someone/fork/blob/draft/notebooks/03_retrieval_towers.py",
        ),
    ]
    assert recbook_site.chapter_links({}, "notebooks/01_movielens_data") == []


@pytest.mark.site
def test_every_chapter_links_colab_and_its_source_under_its_title(site):
    recbook_site = site_extension()
    options = {
        "repository_url": repository.configured_url(REPO),
        "repository_branch": yaml.safe_load((REPO / "_config.yml").read_text())[
            "repository"
        ]["branch"],
    }
    for chapter in re.findall(
        r"file: (notebooks/\S+)\.ipynb", (REPO / "_toc.yml").read_text()
    ):
        page = (site / f"{chapter}.html").read_text()
        line = re.search(
            r'</h1>\s*(?:<p class="recbook-run">[^<]*</p>\s*)?'
            r'<p class="recbook-launch">(.*?)</p>',
            page,
            re.S,
        )
        assert line, f"{chapter}: the links under its title (after its run line)"
        for text, address in recbook_site.chapter_links(options, chapter):
            assert f'href="{address}">{text}</a>' in line.group(1), (chapter, text)


NETWORK = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
"""An address on the network (``https://...``, ``//cdn...``), not in the site."""

LOADING_LINKS = {"stylesheet", "preload", "modulepreload", "icon"}
"""``<link rel=...>`` kinds that the browser loads (a canonical or ``next`` does not)."""


def attribute(tag: str, name: str) -> str | None:
    """The value of ``name`` in an HTML start tag, if it has it."""
    found = re.search(rf'\b{name}\s*=\s*"([^"]*)"', tag, re.IGNORECASE)
    return html.unescape(found.group(1)) if found else None


def network_assets(page: str) -> list[str]:
    """What a built page would load from the network: the address of every script
    (``<script src>``), stylesheet, preload or icon (``<link href>``) outside the site,
    and every inline script that names an address on the network (which it may load)."""
    found = []
    for tag, body in re.findall(
        r"(<script\b[^>]*>)(.*?)</script>", page, re.IGNORECASE | re.DOTALL
    ):
        source = attribute(tag, "src")
        if source and NETWORK.match(source):
            found.append(f"script {source}")
        found += [
            f"inline script naming {address}"
            for address in re.findall(r"https?://[^\s\"'<>]+", body)
        ]
    for tag in re.findall(r"<link\b[^>]*>", page, re.IGNORECASE):
        kinds = set((attribute(tag, "rel") or "").lower().split())
        address = attribute(tag, "href") or ""
        if kinds & LOADING_LINKS and NETWORK.match(address):
            found.append(f"link rel={' '.join(sorted(kinds))} {address}")
    return found


def test_network_assets_finds_what_a_page_would_load_from_the_network():
    page = """
    <link rel="stylesheet" href="_static/theme.css" />
    <link rel="stylesheet" href="https://cdnjs.example.org/font-awesome.css" />
    <link rel="canonical" href="https://example.org/book/intro.html" />
    <link rel="preload" as="font" href="//fonts.example.org/a.woff2" />
    <script src="_static/mathjax/es5/tex-chtml.js?v=1"></script>
    <script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
    <script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>
    <script>window.MathJax = {"options": {}}</script>
    """
    assert network_assets(page) == [
        "script https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js",
        "inline script naming https://unpkg.com/thebe@0.8.2/lib/index.js",
        "link rel=stylesheet https://cdnjs.example.org/font-awesome.css",
        "link rel=preload //fonts.example.org/a.woff2",
    ]


@pytest.mark.site
def test_no_page_loads_a_script_or_stylesheet_from_the_network(site):
    """Opened offline, every page has its scripts, stylesheets and maths: nothing is
    loaded from a CDN (MathJax is served from ``_static/mathjax/``), and the site's
    own stylesheets import no fonts or styles from the network."""
    problems = []
    for page in sorted(site.rglob("*.html")):
        where = page.relative_to(site).as_posix()
        problems += [f"{where}: {asset}" for asset in network_assets(page.read_text())]
    for sheet in sorted((site / "_static").rglob("*.css")):
        where = sheet.relative_to(site).as_posix()
        problems += [
            f"{where}: imports {address}"
            for address in re.findall(
                r"(?:url\(|@import\s)\s*[\"']?((?:https?:)?//[^\"')\s]+)",
                sheet.read_text(encoding="utf-8", errors="replace"),
            )
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.site
def test_pages_with_maths_load_mathjax_from_the_site(site):
    """The chapter 3 page (display maths) loads MathJax's ``tex-chtml.js`` from the
    site's ``_static/mathjax/``, beside its license, its fonts and what its menu loads."""
    recbook_site = site_extension()
    served = site / "_static" / recbook_site.MATHJAX_FOLDER
    script = served / recbook_site.MATHJAX_SCRIPT
    assert script.is_file() and script.stat().st_size > 500_000, script
    for part in recbook_site.MATHJAX_PARTS:
        assert (served / part).exists(), part
    assert "Apache License" in (served / "LICENSE").read_text()
    assert list((served / "es5/output/chtml/fonts/woff-v2").glob("MathJax_Main-*.woff"))
    chapter = site / "notebooks" / f"{records.RETRIEVAL_CHAPTER}.html"
    sources = [
        attribute(tag, "src").split("?")[0]
        for tag in re.findall(r"<script\b[^>]*\bsrc=[^>]*>", chapter.read_text())
        if "mathjax" in tag.lower()
    ]
    assert sources, "the chapter with display maths loads MathJax"
    for source in sources:
        assert (chapter.parent / source).resolve() == script.resolve(), source


def test_mathjax_is_refused_without_its_package():
    """Without the wheel the build stops at once and says how to install it."""
    from sphinx.errors import ExtensionError

    recbook_site = site_extension()
    with pytest.raises(
        ExtensionError,
        match=r"package recbook-no-such-mathjax, which is not installed .*"
        r"pip install -c constraints.txt -e '\.\[dev\]'",
    ):
        recbook_site.mathjax_source("recbook-no-such-mathjax")


def test_mathjax_is_refused_when_its_package_lacks_a_part(monkeypatch):
    """A version of the wheel without a part the site copies is named as such."""
    from sphinx.errors import ExtensionError

    recbook_site = site_extension()
    source = recbook_site.mathjax_source()
    assert (source / recbook_site.MATHJAX_SCRIPT).is_file()
    monkeypatch.setattr(
        recbook_site,
        "MATHJAX_PARTS",
        (*recbook_site.MATHJAX_PARTS, "es5/output/chtml/fonts/woff-v9"),
    )
    with pytest.raises(
        ExtensionError,
        match=r"django-static-mathjax \S+ has no es5/output/chtml/fonts/woff-v9 .*"
        r"pip install -c constraints.txt django-static-mathjax",
    ):
        recbook_site.mathjax_source()


def test_copy_mathjax_copies_only_its_parts(tmp_path):
    """Each part keeps its path; the rest of MathJax's package stays behind."""
    recbook_site = site_extension()
    source, target = tmp_path / "package", tmp_path / "site" / "mathjax"
    for part in recbook_site.MATHJAX_PARTS:
        is_file = part == "LICENSE" or part.endswith(".js")
        place = source / part if is_file else source / part / "inside.json"
        place.parent.mkdir(parents=True, exist_ok=True)
        place.write_text(part)
    (source / "es5" / "tex-svg-full.js").write_text("not served")
    recbook_site.copy_mathjax(source, target)
    copied = sorted(
        p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()
    )
    expected = sorted(
        p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and p.name != "tex-svg-full.js"
    )
    assert copied == expected
    assert (target / recbook_site.MATHJAX_SCRIPT).read_text() == (
        recbook_site.MATHJAX_SCRIPT
    )


def thebe_page_assets():
    """A page's scripts and stylesheets as Sphinx hands them to html-page-context."""
    from sphinx.builders.html._assets import _CascadingStyleSheet, _JavaScript

    scripts = [
        _JavaScript("_static/doctools.js"),
        _JavaScript(None, body='const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2"'),
        _JavaScript("_static/sphinx-thebe.js", **{"async": "async"}),
        _JavaScript(None, body="window.MathJax = {}"),
    ]
    sheets = [
        _CascadingStyleSheet("_static/sphinx-thebe.css"),
        _CascadingStyleSheet("_static/recbook.css"),
    ]
    return {"script_files": scripts, "css_files": sheets}


@pytest.mark.parametrize(
    "launch, kept_scripts, kept_sheets",
    [
        ({}, 2, 1),
        ({"thebe": False, "colab_url": "https://colab.research.google.com"}, 2, 1),
        ({"thebe": True}, 4, 2),
    ],
)
def test_thebe_is_left_off_the_pages_unless_a_launch_button_starts_it(
    launch, kept_scripts, kept_sheets
):
    from types import SimpleNamespace

    recbook_site = site_extension()
    context = thebe_page_assets()
    app = SimpleNamespace(
        config=SimpleNamespace(html_theme_options={"launch_buttons": launch})
    )
    recbook_site.drop_unused_thebe(app, "book/intro", "page.html", context, None)
    assert len(context["script_files"]) == kept_scripts
    assert len(context["css_files"]) == kept_sheets
    if not launch.get("thebe"):
        assert [s.filename for s in context["script_files"]] == [
            "_static/doctools.js",
            None,
        ]
        assert context["script_files"][1].attributes["body"] == "window.MathJax = {}"


ARTICLE = re.compile(r"<article\b.*?</article>", re.DOTALL)
"""A built page's article (its body, without the header's and sidebar's icons)."""

LINKED_IMAGE = re.compile(r"(<a\b[^>]*>)?\s*(<img\b[^>]*>)")
"""An image with the start tag of the link right around it, if any."""


def image_links(page: str) -> list[tuple[str | None, str]]:
    """Every image of a page's article: (the start tag of the link around it, or
    None; the image's tag)."""
    article = "".join(ARTICLE.findall(page))
    return [(link or None, image) for link, image in LINKED_IMAGE.findall(article)]


@pytest.mark.site
@pytest.mark.parametrize(
    "chapter",
    re.findall(r"file: (notebooks/\S+)\.ipynb", (REPO / "_toc.yml").read_text()),
)
def test_every_figure_is_a_link_to_its_own_file(site, chapter):
    """Each image of a chapter's article is a link to the very file it shows
    (``recbook_site.link_images_to_their_files``), named by its alt text, and keeps
    its aspect ratio on a narrow screen (a stored width, never a fixed height)."""
    recbook_site = site_extension()
    images = image_links((site / f"{chapter}.html").read_text())
    stored = (REPO / f"{chapter}.ipynb").read_text().count('"image/png"')
    assert len(images) >= min(stored, 1), f"{chapter}: its figures are on the page"
    for link, image in images:
        source = attribute(image, "src")
        assert link is not None, f"{chapter}: {source} is not a link"
        assert attribute(link, "href") == source, (chapter, link, image)
        assert recbook_site.FULL_SIZE_CLASS in attribute(link, "class").split()
        assert attribute(link, "title") == recbook_site.FULL_SIZE_TITLE
        assert (attribute(image, "alt") or "").strip(), f"{source}: names the link"
        assert "height" not in (attribute(image, "style") or ""), image
        assert (site / Path(chapter).parent / source).resolve().is_file(), source


def image_document():
    """A doctree as MyST-NB makes a chapter's: a figure output (alt text, the inline
    backend's width and height), an image without alt text, and one already a link."""
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document
    from docutils.writers.html5_polyglot import Writer

    document = new_document("chapter", get_default_settings(Parser, Writer))
    output = nodes.container(classes=["cell_output"])
    figure = nodes.figure()
    figure += nodes.image(uri="build/a.png", alt="A chart", width="720", height="403")
    output += figure
    output += nodes.image(uri="build/b.png")
    linked = nodes.reference(refuri="https://example.org")
    linked += nodes.image(uri="build/c.png", alt="A logo")
    document += [output, nodes.paragraph("", "", linked)]
    return document


def test_images_become_links_to_their_files_in_html_builds_only():
    from types import SimpleNamespace

    from docutils import nodes

    recbook_site = site_extension()
    document = image_document()
    latex = SimpleNamespace(builder=SimpleNamespace(format="latex"))
    recbook_site.link_images_to_their_files(latex, document, "chapter")
    assert not list(document.findall(recbook_site.full_size_link))
    html = SimpleNamespace(builder=SimpleNamespace(format="html"))
    recbook_site.link_images_to_their_files(html, document, "chapter")
    images = list(document.findall(nodes.image))
    parents = [type(image.parent) for image in images]
    assert parents == [
        recbook_site.full_size_link,
        recbook_site.full_size_link,
        nodes.reference,
    ]
    assert isinstance(images[0].parent.parent, nodes.figure), "inside its figure"
    assert images[0].parent["classes"] == [recbook_site.FULL_SIZE_CLASS]
    assert images[0]["width"] == "720" and "height" not in images[0], (
        "the height follows the width"
    )
    recbook_site.link_images_to_their_files(html, document, "chapter")
    assert len(list(document.findall(recbook_site.full_size_link))) == 2, "once"


def test_the_link_points_at_the_images_file_in_the_site():
    """The link's address is the one Sphinx gives the image's ``src``; an image without
    alt text gets the link its name."""
    from types import SimpleNamespace

    from docutils import nodes
    from docutils.writers.html5_polyglot import HTMLTranslator

    recbook_site = site_extension()
    document = image_document()
    html = SimpleNamespace(builder=SimpleNamespace(format="html"))
    recbook_site.link_images_to_their_files(html, document, "chapter")
    translator = HTMLTranslator(document)
    translator.builder = SimpleNamespace(
        images={"build/a.png": "a1.png", "build/b.png": "b1.png"},
        imgpath="../_images",
    )
    tags = []
    for link in document.findall(recbook_site.full_size_link):
        recbook_site.visit_full_size_link(translator, link)
        recbook_site.depart_full_size_link(translator, link)
        tags.append(translator.body[-2])
        assert translator.body[-1] == "</a>"
    assert attribute(tags[0], "href") == "../_images/a1.png"
    assert attribute(tags[0], "class") == recbook_site.FULL_SIZE_CLASS
    assert attribute(tags[0], "title") == recbook_site.FULL_SIZE_TITLE
    assert attribute(tags[0], "aria-label") is None, "named by the image's alt text"
    assert attribute(tags[1], "href") == "../_images/b1.png"
    assert attribute(tags[1], "aria-label") == recbook_site.FULL_SIZE_TITLE
    unknown = nodes.image(uri="elsewhere/d.png")
    link = recbook_site.full_size_link()
    link += unknown
    recbook_site.visit_full_size_link(translator, link)
    assert attribute(translator.body[-1], "href") == "elsewhere/d.png"
