"""Download a file of known size and SHA-256 into a cache folder, all or nothing.

:func:`download` fetches with ``urllib`` and a timeout into a temporary file
beside the target, verifies its size and SHA-256, and only then renames it to
the target (``os.replace``, atomic). A host that cannot be resolved or
reached fails at once (no retries); a short, corrupt or interrupted download
is deleted and reported. The target name therefore only ever holds a
verified file.

Every download ends: it fails when no byte arrives for :data:`STALL_TIMEOUT`
seconds, and when the whole transfer takes longer than :data:`DEADLINE`
seconds (``$RECBOOK_DOWNLOAD_DEADLINE`` overrides it, for slow links). The
temporary ``.part`` files of downloads killed on the way (older than one
download can last) are removed by the next download into the same folder. A
full disk is reported as such, naming the folder.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import math
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

TIMEOUT = 30.0
"""Seconds to wait for a connection."""

STALL_TIMEOUT = 30.0
"""Seconds without a single byte after which a download is abandoned."""

DEADLINE = 600.0
"""Seconds a whole download may take (the MovieLens zips are about 5 MB: 10 minutes is
a link of under 10 kB/s). ``$RECBOOK_DOWNLOAD_DEADLINE`` overrides it."""

DEADLINE_ENV = "RECBOOK_DOWNLOAD_DEADLINE"
"""Environment variable overriding :data:`DEADLINE` (seconds, a positive number)."""

CHUNK = 1 << 16
"""Bytes asked for per read (a read returns what has arrived, up to this)."""


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


class _Deadline(TimeoutError):
    """The whole download took longer than its deadline."""


def deadline() -> float:
    """The overall deadline in seconds: ``$RECBOOK_DOWNLOAD_DEADLINE``, or :data:`DEADLINE`.

    Raises:
        ValueError: the variable is set but not a finite number greater than 0.
    """
    value = os.environ.get(DEADLINE_ENV, "").strip()
    if not value:
        return DEADLINE
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(
            f"${DEADLINE_ENV} must be a number of seconds greater than 0, like 1800; "
            f"got {value!r}."
        )
    return seconds


def remove_stale_parts(folder: Path, name: str, older_than: float) -> list[Path]:
    """Delete ``folder``'s temporary files of downloads of ``name`` older than ``older_than`` s.

    A download killed on the way (Ctrl-C twice, a killed kernel) leaves its
    ``.NAME.*.part``; one older than a download can last belongs to no running
    download. Returns the files removed.
    """
    removed = []
    now = time.time()
    for part in folder.glob(f".{name}.*.part"):
        try:
            if now - part.stat().st_mtime > older_than:
                part.unlink()
                removed.append(part)
        except FileNotFoundError:
            continue
    return removed


def _copy(
    response: http.client.HTTPResponse,
    handle: BinaryIO,
    stall: float = STALL_TIMEOUT,
    ends: float | None = None,
) -> None:
    """Copy a response body to a file; a body shorter than its Content-Length is an error.

    Each read returns what has arrived (``read1``) and waits at most ``stall``
    seconds for it; the copy stops with :class:`_Deadline` once ``time.monotonic()``
    passes ``ends``.
    """
    _set_read_timeout(response, stall)
    while True:
        if ends is not None and time.monotonic() > ends:
            raise _Deadline()
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        handle.write(chunk)
    announced = response.headers.get("Content-Length")
    received = handle.tell()
    if announced is not None and int(announced) != received:
        raise http.client.IncompleteRead(b"", int(announced) - received)


def _set_read_timeout(response: http.client.HTTPResponse, seconds: float) -> None:
    """Make each socket read of ``response`` wait at most ``seconds`` (no-op for ``file:``)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def download(
    url: str,
    target: Path,
    size: int,
    sha256: str,
    timeout: float = TIMEOUT,
    stall: float = STALL_TIMEOUT,
    within: float | None = None,
) -> Path:
    """Download ``url`` to ``target`` and verify it; return ``target``.

    Args:
        url: the address (``http``, ``https`` or ``file``).
        target: the final path; its folder is created if needed.
        size: the expected size in bytes.
        sha256: the expected hex SHA-256.
        timeout: seconds to wait for the connection.
        stall: seconds to wait for the next bytes (:data:`STALL_TIMEOUT`).
        within: seconds the whole download may take; by default :func:`deadline`
            (checked between reads, so a download ends within ``within + stall``).

    Raises:
        DownloadError: the host could not be reached, the server answered with
            an error, the transfer broke off, stalled or passed its deadline,
            the disk is full, or the bytes are not the expected ones. Nothing is
            left under ``target`` or in a temporary file.
        ValueError: ``$RECBOOK_DOWNLOAD_DEADLINE`` is not a positive number.
    """
    within = deadline() if within is None else within
    for name, value in (("timeout", timeout), ("stall", stall), ("within", within)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(
                f"{name} must be a number of seconds above 0; got {value!r}."
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(target.parent, target.name, older_than=within + stall + timeout)
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as error:
        raise DownloadError(
            f"Cannot write the download of {url} into {target.parent} "
            f"({error.strerror or error})."
        ) from error
    partial = Path(name)
    started = time.monotonic()
    try:
        with os.fdopen(fd, "wb") as handle:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                _copy(response, handle, stall, started + within)
        problem = mismatch(partial, size, sha256)
        if problem:
            raise DownloadError(
                f"The download of {url} is not the expected file ({problem}); it was deleted."
            )
        os.replace(partial, target)
    except _Deadline as error:
        raise DownloadError(
            f"Could not download {url} within {within:g} s (${DEADLINE_ENV}; "
            f"{partial.stat().st_size if partial.exists() else 0:,} of {size:,} bytes "
            f"after {time.monotonic() - started:.0f} s): the link is too slow. Set "
            f"${DEADLINE_ENV} to more seconds, or work offline."
        ) from error
    except TimeoutError as error:
        raise DownloadError(
            f"Could not download {url} (no data for {stall:g} s: the transfer stalled)."
        ) from error
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
        if isinstance(getattr(error, "reason", None), TimeoutError):
            raise DownloadError(
                f"Could not download {url} (no answer within {timeout:g} s)."
            ) from error
        raise DownloadError(f"Could not download {url} ({_reason(error)}).") from error
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise DownloadError(
            f"Could not download {url}: the disk holding {target.parent} is full "
            f"({error.strerror}; the file needs {size:,} bytes). Free some space, or "
            f"point $KERAS_HOME at another disk."
        ) from error
    finally:
        partial.unlink(missing_ok=True)
    return target
