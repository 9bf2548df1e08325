"""MovieLens, loaded the way the tutorials load it, online or from local archives.

Two readers share one way of finding local data:

* :func:`load_tfds` is the TensorFlow Datasets path of the keras.io retrieval
  tutorials (``tfds.load("movielens/100k-ratings")``).
* :func:`load_ratings` reads the GroupLens ratings file with pandas, as the
  memory-efficient-embeddings recipe does for MovieLens-1M.

Online (Colab), both download the original GroupLens archive and verify its
SHA-256. Offline, set the environment variable ``MOVIELENS_DIR`` to a folder
holding the original archives (``ml-100k.zip``; ``ml-1m.zip`` or its extracted
``ml-1m/`` folder). Nothing falls back silently to other data: a missing or
corrupt archive is an error that says what to put where.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import tensorflow as tf

DATA_DIR_ENV = "MOVIELENS_DIR"
"""Environment variable naming the folder of local GroupLens archives."""

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/"


@dataclass(frozen=True)
class Archive:
    """One GroupLens MovieLens release: where it comes from and how to read it."""

    variant: str
    sha256: str
    size: int
    ratings_file: str
    separator: str

    @property
    def folder(self) -> str:
        """Name of the archive's top folder (and of its extracted copy)."""
        return f"ml-{self.variant}"

    @property
    def filename(self) -> str:
        """File name of the zip archive, as GroupLens and TFDS name it."""
        return f"{self.folder}.zip"

    @property
    def url(self) -> str:
        """Download address at GroupLens."""
        return GROUPLENS_URL + self.filename


# Checksums as TensorFlow Datasets registers them for these URLs.
ARCHIVES: dict[str, Archive] = {
    "100k": Archive(
        variant="100k",
        sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        size=4_924_029,
        ratings_file="u.data",
        separator="\t",
    ),
    "1m": Archive(
        variant="1m",
        sha256="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        size=5_917_549,
        ratings_file="ratings.dat",
        separator="::",
    ),
}

TFDS_TABLES = ("ratings", "movies")


class MovieLensError(RuntimeError):
    """MovieLens data could not be found, verified or read."""


class MissingArchiveError(MovieLensError, FileNotFoundError):
    """The local data folder lacks the archive asked for."""


class CorruptArchiveError(MovieLensError):
    """An archive or ratings file is present but is not the genuine one."""


def archive_for(variant: str) -> Archive:
    """Return the archive description of a MovieLens variant ("100k" or "1m")."""
    try:
        return ARCHIVES[variant]
    except KeyError:
        known = ", ".join(repr(v) for v in ARCHIVES)
        raise ValueError(
            f"Unknown MovieLens variant {variant!r}; choose one of {known}."
        ) from None


def local_data_dir() -> Path | None:
    """The folder named by ``$MOVIELENS_DIR``, or ``None`` when it is unset.

    Raises:
        MissingArchiveError: the variable names a folder that does not exist.
    """
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise MissingArchiveError(
            f"${DATA_DIR_ENV} is set to {value!r}, which is not a folder. "
            f"Point it at a folder holding the GroupLens archives, or unset it "
            f"to download them."
        )
    return path


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_archive(path: Path, archive: Archive) -> Path:
    """Check that ``path`` is the genuine GroupLens archive; return it.

    Raises:
        CorruptArchiveError: its size or SHA-256 differs from the registered one.
    """
    size = path.stat().st_size
    actual = sha256_of(path) if size == archive.size else None
    if actual != archive.sha256:
        found = f"sha256 {actual}" if actual else f"{size:,} bytes"
        raise CorruptArchiveError(
            f"{path} is not the genuine {archive.filename} ({found}; expected "
            f"{archive.size:,} bytes with sha256 {archive.sha256}). Replace it "
            f"with a fresh download of {archive.url}."
        )
    return path


def _missing(folder: Path, archive: Archive, *alternatives: str) -> MissingArchiveError:
    wanted = " or ".join((archive.filename, *alternatives))
    return MissingArchiveError(
        f"No MovieLens-{archive.variant.upper()} in ${DATA_DIR_ENV} ({folder}): "
        f"put {wanted} there (download {archive.url}), or unset "
        f"${DATA_DIR_ENV} to download it online."
    )


def local_archive(variant: str) -> Path | None:
    """The verified local zip of ``variant``, or ``None`` when no data folder is set.

    Raises:
        MissingArchiveError: the data folder is set but lacks the zip.
        CorruptArchiveError: the zip in the data folder is not the genuine one.
    """
    archive = archive_for(variant)
    folder = local_data_dir()
    if folder is None:
        return None
    path = folder / archive.filename
    if not path.is_file():
        raise _missing(folder, archive)
    return verify_archive(path, archive)


# --- TensorFlow Datasets (the retrieval tutorials' path) ---------------------------


def tfds_name(table: str, variant: str = "100k") -> str:
    """TFDS name of a MovieLens table, e.g. ``movielens/100k-ratings``."""
    archive_for(variant)
    if table not in TFDS_TABLES:
        raise ValueError(f"Unknown MovieLens table {table!r}; choose one of {TFDS_TABLES}.")
    return f"movielens/{variant}-{table}"


def load_tfds(table: str, variant: str = "100k", split: str = "train") -> tf.data.Dataset:
    """Load a MovieLens table with TensorFlow Datasets, as the tutorials do.

    Online this is ``tfds.load(f"movielens/{variant}-{table}")``. With
    ``$MOVIELENS_DIR`` set, its verified zip is TFDS's ``manual_dir``, so TFDS
    builds the data set offline (and checks the checksum again itself).

    TFDS's messages while it prepares the data set on a first call are
    silenced, so that a chapter shows the same output on every run.

    Args:
        table: ``"ratings"`` or ``"movies"``.
        variant: ``"100k"`` (offline) or another TFDS MovieLens variant online.
        split: the TFDS split; MovieLens has only ``"train"``.
    """
    import tensorflow_datasets as tfds

    name = tfds_name(table, variant)
    tfds.disable_progress_bar()
    manual = local_archive(variant)
    if manual is None:
        try:
            with _quiet_preparation():
                return tfds.load(name, split=split)
        except OSError as error:
            raise MovieLensError(
                f"Could not download {name} ({error.__class__.__name__}). Offline, "
                f"set ${DATA_DIR_ENV} to a folder holding {archive_for(variant).filename}."
            ) from error
    config = tfds.download.DownloadConfig(manual_dir=str(manual.parent))
    with _quiet_preparation():
        return tfds.load(
            name, split=split, download_and_prepare_kwargs={"download_config": config}
        )


@contextlib.contextmanager
def _quiet_preparation():
    """Silence what TFDS prints (stdout) and logs (absl warnings) while it prepares a data set."""
    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        absl.setLevel(level)


def as_frame(dataset: tf.data.Dataset, columns: Iterable[str]) -> pd.DataFrame:
    """Collect the scalar ``columns`` of a TFDS data set into a DataFrame.

    Byte strings are decoded to ``str``.
    """
    columns = list(columns)
    batches = dataset.map(lambda x: {c: x[c] for c in columns}).batch(100_000)
    parts = [
        {c: np.asarray(v) for c, v in batch.items()} for batch in batches.as_numpy_iterator()
    ]
    frame = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})
    for column in columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].str.decode("utf-8")
    return frame


# --- GroupLens ratings files (the embeddings recipe's path) ------------------------

RATING_COLUMNS = ["user_id", "movie_id", "rating"]


def _read_ratings_bytes(raw: bytes, archive: Archive, source: str) -> pd.DataFrame:
    # pandas' fast parser takes one-character separators only: "::" becomes a tab.
    raw = raw.replace(archive.separator.encode(), b"\t")
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            sep="\t",
            names=[*RATING_COLUMNS, "unix_timestamp"],
            usecols=RATING_COLUMNS,
            dtype={c: "int64" for c in RATING_COLUMNS},
            header=None,
        )
    except (ValueError, pd.errors.ParserError) as error:
        raise CorruptArchiveError(
            f"{source} is not a GroupLens ratings file ({error}). Replace it with "
            f"the file from {archive.url}."
        ) from error
    if frame.empty or not frame["rating"].between(1, 5).all():
        raise CorruptArchiveError(
            f"{source} holds no ratings, or ratings outside 1 to 5. Replace it with "
            f"the file from {archive.url}."
        )
    return frame


def _ratings_from_zip(path: Path, archive: Archive) -> pd.DataFrame:
    member = f"{archive.folder}/{archive.ratings_file}"
    with zipfile.ZipFile(path) as bundle:
        raw = bundle.read(member)
    return _read_ratings_bytes(raw, archive, f"{path}:{member}")


def _download(archive: Archive) -> Path:
    import keras

    try:
        return Path(
            keras.utils.get_file(
                archive.filename,
                archive.url,
                file_hash=archive.sha256,
                hash_algorithm="sha256",
                cache_subdir="datasets",
            )
        )
    except Exception as error:
        raise MovieLensError(
            f"Could not download {archive.url} ({error}). Offline, set "
            f"${DATA_DIR_ENV} to a folder holding {archive.filename}."
        ) from error


def load_ratings(variant: str = "1m") -> pd.DataFrame:
    """Read a GroupLens ratings file into ``user_id, movie_id, rating`` columns.

    Timestamps are dropped, as the memory-efficient-embeddings recipe drops
    them. Rows are sorted by user and then movie, so that a seeded split of
    the result does not depend on the order of the lines in the file.

    Sources, in order: ``$MOVIELENS_DIR/ml-<variant>.zip`` (checksum verified)
    or the extracted ``$MOVIELENS_DIR/ml-<variant>/`` folder; without the
    variable, the GroupLens archive downloaded once (checksum verified) into
    the Keras cache.
    """
    archive = archive_for(variant)
    folder = local_data_dir()
    if folder is None:
        frame = _ratings_from_zip(_download(archive), archive)
    elif (folder / archive.filename).is_file():
        frame = _ratings_from_zip(verify_archive(folder / archive.filename, archive), archive)
    elif (folder / archive.folder / archive.ratings_file).is_file():
        path = folder / archive.folder / archive.ratings_file
        frame = _read_ratings_bytes(path.read_bytes(), archive, str(path))
    else:
        raise _missing(folder, archive, f"its extracted {archive.folder}/ folder")
    return frame.sort_values(["user_id", "movie_id"], ignore_index=True)
