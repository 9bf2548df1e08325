"""Download a file of known size and SHA-256 into a cache folder, all or nothing.

:func:`download` fetches with ``urllib`` and a timeout into a temporary file
beside the target, verifies its size and SHA-256, and only then renames it to
the target (``os.replace``, atomic). A host that cannot be resolved or
reached fails at once (no retries); a short, corrupt or interrupted download
is deleted and reported. The target name therefore only ever holds a
verified file.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

TIMEOUT = 30.0
"""Seconds to wait for a connection or for the next bytes of a download."""


class DownloadError(OSError):
    """A download failed, or its bytes are not the expected file."""


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mismatch(path: Path, size: int, sha256: str) -> str | None:
    """What differs between a file and its expected size and SHA-256, or ``None`` if nothing."""
    actual_size = path.stat().st_size
    if actual_size != size:
        return f"{actual_size:,} bytes; expected {size:,} bytes with sha256 {sha256}"
    actual = sha256_of(path)
    if actual != sha256:
        return f"sha256 {actual}; expected {size:,} bytes with sha256 {sha256}"
    return None


def _reason(error: BaseException) -> str:
    """A short description of why a connection or transfer failed."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{error.reason}"
    return f"{error.__class__.__name__}: {error}"


def _copy(response: http.client.HTTPResponse, handle: BinaryIO) -> None:
    """Copy a response body to a file; a body shorter than its Content-Length is an error."""
    shutil.copyfileobj(response, handle, 1 << 20)
    announced = response.headers.get("Content-Length")
    received = handle.tell()
    if announced is not None and int(announced) != received:
        raise http.client.IncompleteRead(b"", int(announced) - received)


def download(
    url: str, target: Path, size: int, sha256: str, timeout: float = TIMEOUT
) -> Path:
    """Download ``url`` to ``target`` and verify it; return ``target``.

    Args:
        url: the address (``http``, ``https`` or ``file``).
        target: the final path; its folder is created if needed.
        size: the expected size in bytes.
        sha256: the expected hex SHA-256.
        timeout: seconds to wait for the connection and for each read.

    Raises:
        DownloadError: the host could not be reached, the server answered with
            an error, the transfer broke off, or the bytes are not the expected
            ones. Nothing is left under ``target`` or in a temporary file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                _copy(response, handle)
        problem = mismatch(partial, size, sha256)
        if problem:
            raise DownloadError(
                f"The download of {url} is not the expected file ({problem}); it was deleted."
            )
        os.replace(partial, target)
    except http.client.IncompleteRead as error:
        raise DownloadError(
            f"Could not download {url} (the connection closed with {error.expected:,} bytes "
            f"missing)."
        ) from error
    except (
        urllib.error.URLError,
        http.client.HTTPException,
        TimeoutError,
        ConnectionError,
    ) as error:
        raise DownloadError(f"Could not download {url} ({_reason(error)}).") from error
    finally:
        partial.unlink(missing_ok=True)
    return target
