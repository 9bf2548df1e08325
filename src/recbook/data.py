"""MovieLens, loaded the way the tutorials load it, online or from local archives.

Two readers share one way of finding local data:

* :func:`load_tfds` is the TensorFlow Datasets path of the keras.io retrieval
  tutorials (``tfds.load("movielens/100k-ratings")``).
* :func:`load_ratings` reads the GroupLens ratings file with pandas, as the
  memory-efficient-embeddings recipe does for MovieLens-1M.

Online (Colab), both download the original GroupLens archive once into the
Keras cache (``$KERAS_HOME/datasets``, by default ``~/.keras/datasets``) and
verify its size and SHA-256 (:func:`cached_archive`); ``$RECBOOK_GROUPLENS_URL``
replaces the GroupLens address by a mirror. Offline, set the environment
variable ``MOVIELENS_DIR`` to a folder holding the original archives
(``ml-100k.zip``; ``ml-1m.zip`` or its extracted ``ml-1m/`` folder). An
extracted ratings file is verified by its content (:func:`verify_ratings`).
Nothing falls back silently to other data: a missing or corrupt archive is an
error that says what to put where.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import stat
import urllib.parse
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .download import DownloadError, download, mismatch

if TYPE_CHECKING:
    import tensorflow as tf
    import tensorflow_datasets as tfds

DATA_DIR_ENV = "MOVIELENS_DIR"
"""Environment variable naming the folder of local GroupLens archives."""

GROUPLENS_URL_ENV = "RECBOOK_GROUPLENS_URL"
"""Environment variable replacing :data:`GROUPLENS_URL` (a mirror, or a test server)."""

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/"
"""Where GroupLens publishes the MovieLens archives (the default download base)."""


URL_SCHEMES = ("http", "https", "file")
"""Address schemes a download base may use."""


def grouplens_url() -> str:
    """The download base, ending with ``/``.

    ``$RECBOOK_GROUPLENS_URL`` if set, else :data:`GROUPLENS_URL`.

    Raises:
        ValueError: ``$RECBOOK_GROUPLENS_URL`` is not an ``http``, ``https`` or
            ``file`` address (``https://host/path/``).
    """
    base = os.environ.get(GROUPLENS_URL_ENV, "").strip() or GROUPLENS_URL
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in URL_SCHEMES or (parts.scheme != "file" and not parts.netloc):
        raise ValueError(
            f"${GROUPLENS_URL_ENV} must be an address like {GROUPLENS_URL} (scheme "
            f"{', '.join(URL_SCHEMES)}); got {base!r}. Unset it to use GroupLens."
        )
    return base if base.endswith("/") else base + "/"


@dataclass(frozen=True)
class Archive:
    """One GroupLens MovieLens release: where it comes from, how to read and verify it.

    ``sha256`` and ``size`` identify the zip. ``ratings``, ``users``,
    ``movies`` and ``ratings_digest`` identify its ratings whatever their
    order and timestamps (see :func:`ratings_digest`), so that an extracted
    ratings file can be verified too.
    """

    variant: str
    sha256: str
    size: int
    ratings_file: str
    separator: str
    ratings: int
    users: int
    movies: int
    ratings_digest: str

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
        """Download address: GroupLens's, or under ``$RECBOOK_GROUPLENS_URL``."""
        return grouplens_url() + self.filename


# Zip checksums as TensorFlow Datasets registers them for these URLs; counts as
# GroupLens publishes them; digests computed by ratings_digest on the genuine ratings.
ARCHIVES: dict[str, Archive] = {
    "100k": Archive(
        variant="100k",
        sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        size=4_924_029,
        ratings_file="u.data",
        separator="\t",
        ratings=100_000,
        users=943,
        movies=1_682,
        ratings_digest="273f855410feb093231e19c35b690a9098bed32c77d1aa7b33d7cdcfec2d8b11",
    ),
    "1m": Archive(
        variant="1m",
        sha256="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        size=5_917_549,
        ratings_file="ratings.dat",
        separator="::",
        ratings=1_000_209,
        users=6_040,
        movies=3_706,
        ratings_digest="927a392397fb028e4974abbda37b71dca5614cfbeb9d7d66b364039c6bd58450",
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
    """Return the archive description of a MovieLens variant ("100k" or "1m").

    Raises:
        TypeError: ``variant`` is not a string.
        ValueError: no such variant.
    """
    known = ", ".join(repr(v) for v in ARCHIVES)
    if not isinstance(variant, str):
        raise TypeError(f"variant must be a string, one of {known}; got {variant!r}.")
    try:
        return ARCHIVES[variant]
    except KeyError:
        raise ValueError(
            f"Unknown MovieLens variant {variant!r}; choose one of {known}."
        ) from None


def local_data_dir() -> Path | None:
    """The folder named by ``$MOVIELENS_DIR`` (made absolute), or ``None`` when it is unset.

    Raises:
        MissingArchiveError: the variable names a folder that does not exist.
    """
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if not value:
        return None
    given = Path(value).expanduser()
    fix = (
        "Point it at a folder holding the GroupLens archives, or unset it "
        "to download them."
    )
    try:
        path = given.resolve(strict=False)
    except (RuntimeError, OSError) as error:  # a symbolic link loop
        raise MissingArchiveError(
            f"${DATA_DIR_ENV} is set to {value!r} ({given.absolute()}), a symbolic "
            f"link loop ({error}). {fix}"
        ) from None
    if not path.is_dir():
        raise MissingArchiveError(
            f"${DATA_DIR_ENV} is set to {value!r} ({path}), which is "
            f"{_what_is(given if given.is_symlink() else path)}, not a folder. {fix}"
        )
    return path


def _what_is(path: Path) -> str:
    """What a path is, in words: "missing", "a dangling symbolic link to X", "a file"..."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as error:
        return f"unreadable ({error.strerror or error})"
    if stat.S_ISLNK(mode):
        try:
            path.stat()
        except FileNotFoundError:
            return f"a dangling symbolic link (to {os.readlink(path)})"
        except OSError as error:
            return (
                f"a symbolic link that cannot be followed ({error.strerror or error})"
            )
        return _what_is(path.resolve())
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISREG, "a file"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((word for test, word in kinds if test(mode)), "not a regular file")


def _other_case(folder: Path, name: str) -> str | None:
    """An entry of ``folder`` whose name is ``name`` in another case, if there is one."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return None
    return next(
        (e for e in sorted(entries) if e.lower() == name.lower() and e != name), None
    )


def _zip_problem(path: Path) -> str | None:
    """Why ``path`` (a data folder's ``ml-*.zip``) cannot be read as the zip, or ``None``.

    ``None`` also when there is nothing there at all (the caller says what to put).
    """
    what = _what_is(path)
    if what == "a file":
        return None
    if what == "missing":
        other = _other_case(path.parent, path.name)
        if other is None:
            return None
        return f"{path.parent / other} is named in another case: rename it {path.name}"
    return f"{path} is {what}, not the zip file; replace it with the downloaded {path.name}"


def _extracted_problem(folder: Path, archive: Archive) -> str | None:
    """What is wrong with an extracted ``ml-*/`` folder's ratings file, if there is one.

    ``None`` when neither the folder (in any case) is there.
    """
    top = folder / archive.folder
    what = _what_is(top)
    if what == "missing":
        other = _other_case(folder, archive.folder)
        if other is None:
            return None
        return f"{folder / other} is named in another case: rename it {archive.folder}"
    if what != "a folder":
        return f"{top} is {what}, not the extracted folder"
    ratings = top / archive.ratings_file
    what = _what_is(ratings)
    if what == "a file":
        return None
    if what != "missing":
        return f"{ratings} is {what}, not the ratings file"
    other = _other_case(top, archive.ratings_file)
    if other is not None:
        return (
            f"{top / other} is named in another case: rename it {archive.ratings_file}"
        )
    nested = top / archive.folder / archive.ratings_file
    if _what_is(nested) != "missing":
        return (
            f"{top} holds another {archive.folder}/ folder ({nested}): the archive was "
            f"extracted one level too deep; move the contents of {top / archive.folder} "
            f"up into {top}"
        )
    try:
        held = ", ".join(sorted(os.listdir(top))[:10]) or "nothing"
    except OSError as error:
        held = f"unreadable: {error.strerror or error}"
    return f"{ratings} is missing ({top} holds: {held})"


def verify_archive(path: Path, archive: Archive) -> Path:
    """Check that ``path`` is the genuine GroupLens archive; return it.

    Raises:
        CorruptArchiveError: its size or SHA-256 differs from the registered one.
    """
    problem = mismatch(path, archive.size, archive.sha256)
    if problem:
        raise CorruptArchiveError(
            f"{path} is not the genuine {archive.filename} ({problem}). Replace it "
            f"with a fresh download of {archive.url}."
        )
    return path


def _missing(
    folder: Path, archive: Archive, *alternatives: str, problem: str | None = None
) -> MissingArchiveError:
    if problem is not None:
        return MissingArchiveError(
            f"MovieLens-{archive.variant.upper()} in ${DATA_DIR_ENV} ({folder}) cannot "
            f"be read: {problem}. (The files: {archive.url}; or unset ${DATA_DIR_ENV} "
            f"to download it online.)"
        )
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
        raise _missing(folder, archive, problem=_zip_problem(path))
    return verify_archive(path, archive)


def cache_dir() -> Path:
    """The Keras download cache: ``$KERAS_HOME/datasets``, by default ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME", "").strip()
    return (Path(home) if home else Path.home() / ".keras") / "datasets"


def cached_archive(variant: str, folder: Path | None = None) -> Path:
    """The verified zip of ``variant`` in ``folder`` (the Keras cache), downloaded first if needed.

    A cached file that fails verification is deleted and downloaded afresh.

    Raises:
        MovieLensError: the download failed or is not the genuine archive
            (nothing is left under the archive's name).
    """
    archive = archive_for(variant)
    target = (cache_dir() if folder is None else Path(folder)) / archive.filename
    if target.exists() and not target.is_file():
        raise MovieLensError(
            f"{target} is {_what_is(target)}, not the zip file: remove it, and run again "
            f"to download {archive.url}."
        )
    if target.is_file():
        if mismatch(target, archive.size, archive.sha256) is None:
            return target
        target.unlink()
    try:
        return download(archive.url, target, archive.size, archive.sha256)
    except DownloadError as error:
        raise MovieLensError(
            f"{error} Offline, set ${DATA_DIR_ENV} to a folder holding {archive.filename}; "
            f"behind a mirror, set ${GROUPLENS_URL_ENV} to its address."
        ) from error


def fetch_archives(
    folder: str | Path, variants: Iterable[str] = ("100k", "1m")
) -> list[Path]:
    """Download the verified GroupLens zips of ``variants`` into ``folder``: a ``$MOVIELENS_DIR``.

    What a machine with internet runs once to work offline afterwards (the
    book's CI does, under a cache keyed by the archives' checksums). Archives
    already there and genuine are kept; the paths are returned in order.

    Raises:
        TypeError: ``variants`` is a string (``"100k"``), not a list of them.
    """
    if isinstance(variants, (str, bytes)):
        raise TypeError(
            f"variants must be a list of variants, like ['100k', '1m']; got "
            f"{variants!r} (write [{variants!r}] for one)."
        )
    variants = list(variants)
    for variant in variants:
        archive_for(variant)
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return [cached_archive(variant, folder) for variant in variants]


# --- TensorFlow Datasets (the retrieval tutorials' path) ---------------------------


def tfds_name(table: str, variant: str = "100k") -> str:
    """TFDS name of a MovieLens table, e.g. ``movielens/100k-ratings``."""
    archive_for(variant)
    if table not in TFDS_TABLES:
        raise ValueError(
            f"Unknown MovieLens table {table!r}; choose one of {TFDS_TABLES}."
        )
    return f"movielens/{variant}-{table}"


def _check_split(split: str) -> None:
    if not isinstance(split, str) or not split.startswith("train"):
        raise (ValueError if isinstance(split, str) else TypeError)(
            f"split must be 'train' (MovieLens's only TFDS split) or a slice of it such as "
            f"'train[:80%]'; got {split!r}."
        )


def check_tfds_cache(builder: tfds.core.DatasetBuilder) -> None:
    """Read every record of a prepared TFDS data set's TFRecord files once.

    The records are not decoded, only their CRCs checked, which is quick next to
    loading them. Data sets stored in another file format are not checked.

    Raises:
        MovieLensError: a file is missing, cut or corrupt, or holds fewer
            records than TFDS recorded; the message names the folder to delete.
    """
    import tensorflow as tf
    from tensorflow_datasets.core import FileFormat

    if builder.info.file_format != FileFormat.TFRECORD:
        return
    for info in builder.info.splits.values():
        records = tf.data.TFRecordDataset([str(path) for path in info.filepaths]).batch(
            8192
        )
        try:
            count = int(
                records.reduce(
                    tf.constant(0, tf.int64),
                    lambda n, batch: n + tf.size(batch, tf.int64),
                )
            )
            problem = (
                None
                if count == info.num_examples
                else f"{count:,} of {info.num_examples:,} records"
            )
        except tf.errors.OpError as error:
            # DataLossError for a cut record, NotFoundError for a lost file.
            message = error.message.split("}} ")[-1].splitlines()[0]
            problem = f"{type(error).__name__}: {message}"
        if problem:
            raise MovieLensError(
                f"The TFDS cache of {builder.name}/{builder.builder_config.name} "
                f"is damaged ({problem}). "
                f"Delete the folder {builder.data_dir} and run again: TFDS rebuilds it."
            )


def load_tfds(
    table: str, variant: str = "100k", split: str = "train"
) -> tf.data.Dataset:
    """Load a MovieLens table with TensorFlow Datasets, as the tutorials do.

    This is ``tfds.load(f"movielens/{variant}-{table}")``, except that the
    GroupLens zip is never fetched by TFDS itself: it is the verified zip of
    ``$MOVIELENS_DIR`` or, online, the one :func:`cached_archive` downloads, and
    TFDS builds the data set from it as its ``manual_dir`` (checking the
    checksum again). An already built data set is read without the zip, after
    :func:`check_tfds_cache`, so that a damaged TFDS cache stops here with
    the folder to delete.

    TFDS's messages while it looks for and prepares the data set on a first call
    are silenced, so that a chapter shows the same output on every run (and
    ``pytest --nbval`` passes on a machine whose TFDS cache is empty).

    Args:
        table: ``"ratings"`` or ``"movies"``.
        variant: ``"100k"`` or ``"1m"``: the variants whose archive recbook
            verifies. Other TFDS MovieLens variants (``25m``, ``latest-small``,
            ...) are refused; call ``tfds.load`` directly for them.
        split: ``"train"`` (MovieLens's only split) or a slice of it.

    Raises:
        MovieLensError: the archive is missing, corrupt or cannot be downloaded,
            or the TFDS cache is damaged.
    """
    import tensorflow_datasets as tfds

    name = tfds_name(table, variant)
    _check_split(split)
    tfds.disable_progress_bar()
    manual = local_archive(variant)
    try:
        # On a first call TFDS logs that the version's folder holds no data set yet.
        with _quiet_preparation():
            builder = tfds.builder(name)
            prepared = builder.is_prepared()
    except Exception as error:  # ParseError, AssertionError, ...: an unreadable info
        folder = tfds_cache_folder(name)
        if not folder.exists():
            raise
        raise _damaged_cache(name, folder, error) from error
    if manual is None and not prepared:
        manual = cached_archive(variant)
    if manual is not None:
        config = tfds.download.DownloadConfig(manual_dir=str(manual.parent))
        with _quiet_preparation():
            builder.download_and_prepare(download_config=config)
    check_tfds_cache(builder)
    try:
        return builder.as_dataset(split=split)
    except KeyError as error:  # "splits is empty": an emptied cache
        raise _damaged_cache(name, Path(builder.data_dir), error) from error


def tfds_cache_folder(name: str) -> Path:
    """The folder of TensorFlow Datasets' cache holding data set ``name`` (all versions)."""
    from tensorflow_datasets.core import constants

    return Path(os.path.expanduser(constants.DATA_DIR)) / name


def _damaged_cache(name: str, folder: Path, error: BaseException) -> MovieLensError:
    first = (str(error).strip("'\"").splitlines() or [""])[0][:300]
    return MovieLensError(
        f"The TFDS cache of {name} is damaged ({type(error).__name__}: {first}). "
        f"Delete the folder {folder} and run again: TFDS rebuilds it from the "
        f"verified zip."
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
        {c: np.asarray(v) for c, v in batch.items()}
        for batch in batches.as_numpy_iterator()
    ]
    frame = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})
    for column in columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].str.decode("utf-8")
    return frame


# --- GroupLens ratings files (the embeddings recipe's path) ------------------------

RATING_COLUMNS = ["user_id", "movie_id", "rating"]
FIELDS = [*RATING_COLUMNS, "unix_timestamp"]


def _corrupt(source: str, archive: Archive, problem: str) -> CorruptArchiveError:
    return CorruptArchiveError(
        f"{source} is not the genuine GroupLens {archive.ratings_file} ({problem}). Replace it "
        f"with the file from {archive.url}."
    )


def _read_ratings_bytes(raw: bytes, archive: Archive, source: str) -> pd.DataFrame:
    """Parse a ratings file; every line must have exactly four fields, ratings 1 to 5."""
    # pandas' fast parser takes one-character separators only: "::" becomes a tab.
    raw = raw.replace(archive.separator.encode(), b"\t")
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            sep="\t",
            names=[*FIELDS, "extra"],
            header=None,
            dtype={c: "int64" for c in RATING_COLUMNS},
        )
    except (ValueError, pd.errors.ParserError) as error:
        raise _corrupt(source, archive, str(error)) from error
    wrong = frame["unix_timestamp"].isna() | frame["extra"].notna()
    if wrong.any():
        line = int(np.flatnonzero(wrong.to_numpy())[0]) + 1
        raise _corrupt(
            source,
            archive,
            f"line {line:,} does not have the 4 fields "
            f"user{archive.separator}movie{archive.separator}rating"
            f"{archive.separator}timestamp",
        )
    if frame.empty or not frame["rating"].between(1, 5).all():
        raise _corrupt(source, archive, "no ratings, or ratings outside 1 to 5")
    return frame[RATING_COLUMNS]


def ratings_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a ratings table, independent of row order and timestamps.

    The rows are sorted by ``user_id`` then ``movie_id``, and each becomes the
    ASCII line ``user<TAB>movie<TAB>rating<LF>`` (decimal integers); the digest
    is the hex SHA-256 of those lines concatenated. For ML-1M this is::

        awk -F'::' '{print $1"\\t"$2"\\t"$3}' ratings.dat \\
          | sort -t"$(printf '\\t')" -k1,1n -k2,2n | sha256sum
    """
    ordered = frame[RATING_COLUMNS].sort_values(["user_id", "movie_id"])
    text = ordered.to_csv(sep="\t", header=False, index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def verify_ratings(frame: pd.DataFrame, archive: Archive, source: str) -> pd.DataFrame:
    """Check a parsed ratings table against the release's counts and digest; return it.

    Checked: the number of ratings, users and movies, that no (user, movie)
    pair is rated twice, and :func:`ratings_digest`. None of these depends on
    the order of the lines or on the timestamps.

    Raises:
        CorruptArchiveError: naming ``source`` and the first difference found.
    """
    found = {
        "ratings": len(frame),
        "users": frame["user_id"].nunique(),
        "movies": frame["movie_id"].nunique(),
    }
    for what, count in found.items():
        expected = getattr(archive, what)
        if count != expected:
            raise _corrupt(
                source, archive, f"{count:,} {what}; the release has {expected:,}"
            )
    doubled = frame.duplicated(["user_id", "movie_id"])
    if doubled.any():
        user, movie = frame.loc[doubled.idxmax(), ["user_id", "movie_id"]]
        raise _corrupt(
            source, archive, f"user {user} rates movie {movie} more than once"
        )
    digest = ratings_digest(frame)
    if digest != archive.ratings_digest:
        raise _corrupt(
            source,
            archive,
            f"ratings digest {digest}; expected {archive.ratings_digest}",
        )
    return frame


def _ratings_from_zip(path: Path, archive: Archive) -> pd.DataFrame:
    member = f"{archive.folder}/{archive.ratings_file}"
    with zipfile.ZipFile(path) as bundle:
        raw = bundle.read(member)
    return _read_ratings_bytes(raw, archive, f"{path}:{member}")


def load_ratings(variant: str = "1m") -> pd.DataFrame:
    """Read a GroupLens ratings file into ``user_id, movie_id, rating`` columns.

    Timestamps are dropped, as the memory-efficient-embeddings recipe drops
    them. Rows are sorted by user and then movie, so that a seeded split of
    the result does not depend on the order of the lines in the file.

    Sources, in order: ``$MOVIELENS_DIR/ml-<variant>.zip`` (checksum verified)
    or the extracted ``$MOVIELENS_DIR/ml-<variant>/`` folder; without the
    variable, the GroupLens archive downloaded once (checksum verified) into
    the Keras cache (:func:`cached_archive`). Whatever the source, the ratings
    are verified by :func:`verify_ratings` (counts, no duplicates, digest).

    Raises:
        TypeError, ValueError: ``variant`` is not ``"100k"`` or ``"1m"``.
        MovieLensError: the data is missing, not genuine, or cannot be downloaded.
    """
    archive = archive_for(variant)
    folder = local_data_dir()
    if folder is None:
        path = cached_archive(variant)
        frame = _ratings_from_zip(path, archive)
    elif (folder / archive.filename).is_file():
        path = verify_archive(folder / archive.filename, archive)
        frame = _ratings_from_zip(path, archive)
    elif (folder / archive.folder / archive.ratings_file).is_file():
        path = folder / archive.folder / archive.ratings_file
        frame = _read_ratings_bytes(path.read_bytes(), archive, str(path))
    else:
        problem = _zip_problem(folder / archive.filename) or _extracted_problem(
            folder, archive
        )
        raise _missing(
            folder, archive, f"its extracted {archive.folder}/ folder", problem=problem
        )
    verify_ratings(frame, archive, str(path))
    return frame.sort_values(["user_id", "movie_id"], ignore_index=True)
