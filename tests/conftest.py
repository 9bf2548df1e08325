"""Shared fixtures: where the real MovieLens archives are, and small synthetic ones."""

from __future__ import annotations

import os

# The book's backend, whichever module a test imports first (recbook sets the same default).
os.environ.setdefault("KERAS_BACKEND", "jax")
import dataclasses
import hashlib
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from recbook import checks, data

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def movielens_dir() -> Path:
    """The folder of genuine GroupLens archives ($MOVIELENS_DIR).

    Tests that need it are skipped on a machine without it, but fail in CI,
    which always sets it.
    """
    value = os.environ.get("MOVIELENS_DIR", "").strip()
    if not value:
        if checks.in_ci():
            pytest.fail(
                "CI must set MOVIELENS_DIR to the folder of MovieLens archives."
            )
        pytest.skip("MOVIELENS_DIR is not set (see README: offline data)")
    return Path(value)


class SyntheticMovieLens:
    """Writes small ratings files and archives in the real GroupLens formats."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def ratings_file(self, variant: str, rows: list[tuple[int, int, int, int]]) -> Path:
        """``ml-<variant>/<ratings file>`` under the root, in that release's format."""
        name, separator = {"100k": ("u.data", "\t"), "1m": ("ratings.dat", "::")}[
            variant
        ]
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


@pytest.fixture
def accept_as_genuine(monkeypatch):
    """Register synthetic data as a variant's genuine release, for this test only.

    ``accept(variant, rows=..., zip_path=...)``: ``rows`` (user, movie, rating,
    timestamp) give the expected counts and ratings digest; ``zip_path`` the
    expected archive size and SHA-256.
    """

    def accept(
        variant: str, rows: list[tuple] | None = None, zip_path: Path | None = None
    ) -> data.Archive:
        changes = {}
        if rows is not None:
            frame = pd.DataFrame([row[:3] for row in rows], columns=data.RATING_COLUMNS)
            changes.update(
                ratings=len(frame),
                users=frame["user_id"].nunique(),
                movies=frame["movie_id"].nunique(),
                ratings_digest=data.ratings_digest(frame),
            )
        if zip_path is not None:
            raw = zip_path.read_bytes()
            changes.update(sha256=hashlib.sha256(raw).hexdigest(), size=len(raw))
        genuine = dataclasses.replace(data.ARCHIVES[variant], **changes)
        monkeypatch.setitem(data.ARCHIVES, variant, genuine)
        return genuine

    return accept


class ArchiveServer:
    """An HTTP server on 127.0.0.1 serving files from memory, well or badly.

    ``serve(name, body, mode)``: ``"ok"``; ``"short"`` (only the first half,
    with a matching Content-Length); ``"drop"`` (announces the whole length,
    sends half, closes the connection). Unknown names answer 404.
    """

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                owner.requests.append(name)
                if name not in owner.files:
                    self.send_error(404)
                    return
                body, mode = owner.files[name]
                sent = body[: len(body) // 2] if mode in ("short", "drop") else body
                self.send_response(200)
                self.send_header(
                    "Content-Length", str(len(body if mode == "drop" else sent))
                )
                self.end_headers()
                self.wfile.write(sent)
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/movielens/"

    def serve(self, name: str, body: bytes, mode: str = "ok") -> None:
        self.files[name] = (body, mode)


@pytest.fixture
def archive_server(monkeypatch, tmp_path) -> Iterator[ArchiveServer]:
    """A local :class:`ArchiveServer` as the GroupLens address.

    With fresh Keras and TFDS caches, and no ``$MOVIELENS_DIR``.
    """
    from tensorflow_datasets.core import constants

    monkeypatch.setattr(constants, "DATA_DIR", str(tmp_path / "tensorflow_datasets"))
    server = ArchiveServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(data.GROUPLENS_URL_ENV, server.url)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The book built by jupyter-book from the stored outputs (warnings as errors).

    Returns the folder of its HTML.
    """
    output = tmp_path_factory.mktemp("site")
    repo = Path(__file__).resolve().parents[1]
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(repo),
            "--path-output",
            str(output),
            "--warningiserror",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return output / "_build" / "html"
