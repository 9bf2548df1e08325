"""recbook.download: verification by hand, and a download that always ends.

The fault injection runs a trickling and a stalling HTTP server on 127.0.0.1
(never any other address), each test bounded to a few seconds.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from recbook import download

import pytest

BODY = b"0123456789" * 10
SHA = hashlib.sha256(BODY).hexdigest()


def test_sha256_of_known_bytes(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    assert download.sha256_of(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_mismatch_says_what_differs(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert download.mismatch(path, 3, abc) is None
    assert download.mismatch(path, 4, abc) == (
        f"3 bytes; expected 4 bytes with sha256 {abc}"
    )
    zero = "0" * 64
    assert download.mismatch(path, 3, zero) == (
        f"sha256 {abc}; expected 3 bytes with sha256 {zero}"
    )


class Server:
    """Serves BODY on 127.0.0.1: ``ok``, ``trickle`` (a byte every ``pause`` s),
    or ``stall`` (one byte, then nothing until the test ends)."""

    def __init__(self, mode: str, pause: float = 0.2) -> None:
        self.done = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                try:
                    if mode == "ok":
                        self.wfile.write(BODY)
                        return
                    for i in range(len(BODY)):
                        self.wfile.write(BODY[i : i + 1])
                        self.wfile.flush()
                        if mode == "stall" or owner.done.wait(pause):
                            owner.done.wait(10)
                            return
                except OSError:  # the client gave up
                    return

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/file.zip"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.done.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(mode: str, pause: float = 0.2) -> Server:
        servers.append(Server(mode, pause))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_good_download_is_verified_and_named(serve, tmp_path):
    server = serve("ok")
    target = download.download(server.url, tmp_path / "f.zip", len(BODY), SHA)
    assert target.read_bytes() == BODY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.zip"]


def test_a_trickling_server_is_abandoned_at_the_deadline(serve, tmp_path):
    server = serve("trickle", pause=0.2)  # 100 bytes at 5 bytes/s: 20 s
    tic = time.monotonic()
    with pytest.raises(download.DownloadError) as raised:
        download.download(
            server.url, tmp_path / "f.zip", len(BODY), SHA, stall=1.0, within=1.0
        )
    assert time.monotonic() - tic < 3  # the deadline plus at most one stall
    message = str(raised.value)
    assert f"Could not download {server.url} within 1 s" in message
    assert "$RECBOOK_DOWNLOAD_DEADLINE" in message and "of 100 bytes" in message
    assert list(tmp_path.iterdir()) == []  # no .part, no target


def test_a_stalled_server_is_abandoned_after_the_stall_timeout(serve, tmp_path):
    server = serve("stall")
    tic = time.monotonic()
    with pytest.raises(download.DownloadError, match=r"no data for 0.5 s: .*stalled"):
        download.download(
            server.url, tmp_path / "f.zip", len(BODY), SHA, stall=0.5, within=30
        )
    assert time.monotonic() - tic < 3
    assert list(tmp_path.iterdir()) == []


def test_the_deadline_is_documented_and_overridable(monkeypatch):
    monkeypatch.delenv(download.DEADLINE_ENV, raising=False)
    assert download.deadline() == download.DEADLINE == 600
    monkeypatch.setenv(download.DEADLINE_ENV, "1800")
    assert download.deadline() == 1800
    for wrong in ("soon", "0", "-5", "nan", "inf"):
        monkeypatch.setenv(download.DEADLINE_ENV, wrong)
        with pytest.raises(
            ValueError, match=r"RECBOOK_DOWNLOAD_DEADLINE must be a number of seconds"
        ):
            download.deadline()


def test_stale_part_files_are_removed_and_fresh_ones_kept(serve, tmp_path):
    stale = tmp_path / ".f.zip.abc123.part"
    fresh = tmp_path / ".f.zip.def456.part"
    other = tmp_path / ".g.zip.abc123.part"
    for path in (stale, fresh, other):
        path.write_bytes(b"half")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    server = serve("ok")
    download.download(server.url, tmp_path / "f.zip", len(BODY), SHA, within=60)
    assert not stale.exists()  # older than one download can last
    assert fresh.exists()  # perhaps a download running now
    assert other.exists()  # another file's


def test_a_full_disk_is_named(serve, tmp_path, monkeypatch):
    def full(response, handle, *args):
        handle.write(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download, "_copy", full)
    server = serve("ok")
    with pytest.raises(download.DownloadError) as raised:
        download.download(server.url, tmp_path / "f.zip", len(BODY), SHA)
    assert f"the disk holding {tmp_path} is full" in str(raised.value)
    assert "the file needs 100 bytes" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_file_url_downloads_too(tmp_path):
    source = tmp_path / "src.bin"
    source.write_bytes(BODY)
    target = download.download(
        Path(source).as_uri(), tmp_path / "out" / "f.zip", len(BODY), SHA
    )
    assert target.read_bytes() == BODY
