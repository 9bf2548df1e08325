"""recbook.data on synthetic files, TFDS mock data and deliberately bad input."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
import tensorflow_datasets as tfds

from recbook import data

ROWS = [  # (user, movie, rating, timestamp), deliberately out of order
    (3, 7, 5, 978300760),
    (1, 9, 3, 978302109),
    (3, 2, 1, 0),
    (1, 4, 4, 978301968),
    (2, 7, 2, 978824291),
]


@pytest.fixture
def no_data_dir(monkeypatch):
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)


def accept_as_genuine(monkeypatch, variant, path):
    """Register the synthetic archive's checksum in place of the GroupLens one."""
    raw = path.read_bytes()
    genuine = dataclasses.replace(
        data.ARCHIVES[variant], sha256=hashlib.sha256(raw).hexdigest(), size=len(raw)
    )
    monkeypatch.setitem(data.ARCHIVES, variant, genuine)


def test_unknown_variant_names_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown MovieLens variant '10m'.*'100k', '1m'"):
        data.archive_for("10m")
    with pytest.raises(ValueError, match="Unknown MovieLens variant"):
        data.load_ratings("20m")


def test_unknown_table_is_refused():
    with pytest.raises(ValueError, match=r"Unknown MovieLens table 'users'"):
        data.tfds_name("users")
    assert data.tfds_name("ratings") == "movielens/100k-ratings"
    assert data.tfds_name("movies", "1m") == "movielens/1m-movies"


def test_archive_addresses():
    archive = data.archive_for("1m")
    assert archive.filename == "ml-1m.zip"
    assert archive.url == "https://files.grouplens.org/datasets/movielens/ml-1m.zip"


def test_data_dir_that_does_not_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(data.MissingArchiveError, match="not a folder"):
        data.local_data_dir()


def test_unset_or_empty_data_dir_means_online(monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, "  ")
    assert data.local_data_dir() is None
    assert data.local_archive("100k") is None


def test_missing_archive_says_what_to_put_where(monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(data.MissingArchiveError) as raised:
        data.load_tfds("ratings")
    message = str(raised.value)
    assert "ml-100k.zip" in message and str(tmp_path) in message
    assert "https://files.grouplens.org/datasets/movielens/ml-100k.zip" in message


def test_archive_with_wrong_size_is_corrupt(monkeypatch, tmp_path):
    (tmp_path / "ml-100k.zip").write_bytes(b"PK\x03\x04 truncated")
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(data.CorruptArchiveError, match=r"not the genuine ml-100k.zip \(14 bytes"):
        data.load_tfds("movies")


def test_archive_with_right_size_but_wrong_bytes_is_corrupt(monkeypatch, tmp_path):
    (tmp_path / "ml-100k.zip").write_bytes(bytes(data.ARCHIVES["100k"].size))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    zeros = hashlib.sha256(bytes(data.ARCHIVES["100k"].size)).hexdigest()
    with pytest.raises(data.CorruptArchiveError, match=f"sha256 {zeros}"):
        data.local_archive("100k")


def test_offline_download_failure_points_at_the_data_dir(monkeypatch, no_data_dir):
    def unreachable(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'files.grouplens.org'")

    monkeypatch.setattr(tfds, "load", unreachable)
    with pytest.raises(data.MovieLensError, match=r"Offline, set \$MOVIELENS_DIR.*ml-100k.zip"):
        data.load_tfds("ratings")


def test_load_tfds_on_mock_data_gives_the_tutorial_features(no_data_dir):
    with tfds.testing.mock_data(num_examples=7):
        ratings = data.load_tfds("ratings")
        frame = data.as_frame(ratings, ["user_id", "movie_title", "user_rating"])
    assert len(frame) == 7
    assert list(frame.columns) == ["user_id", "movie_title", "user_rating"]
    assert all(isinstance(v, str) for v in frame["movie_title"])
    assert {"movie_genres", "raw_user_age", "user_occupation_label"} <= set(ratings.element_spec)


@pytest.mark.parametrize("variant", ["100k", "1m"])
def test_ratings_from_extracted_folder_are_sorted_without_timestamps(
    monkeypatch, synthetic, variant
):
    synthetic.ratings_file(variant, ROWS)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(synthetic.root))
    frame = data.load_ratings(variant)
    assert list(frame.columns) == ["user_id", "movie_id", "rating"]
    assert frame.to_records(index=False).tolist() == [
        (1, 4, 4), (1, 9, 3), (2, 7, 2), (3, 2, 1), (3, 7, 5)
    ]


def test_ratings_from_verified_zip(monkeypatch, synthetic):
    archive = synthetic.archive("1m", ROWS)
    accept_as_genuine(monkeypatch, "1m", archive)
    (synthetic.root / "ml-1m" / "ratings.dat").unlink()  # the zip is what is read
    monkeypatch.setenv(data.DATA_DIR_ENV, str(synthetic.root))
    assert len(data.load_ratings("1m")) == len(ROWS)


def test_zip_is_preferred_and_verified(monkeypatch, synthetic):
    synthetic.archive("1m", ROWS)  # a zip that is not the genuine archive
    monkeypatch.setenv(data.DATA_DIR_ENV, str(synthetic.root))
    with pytest.raises(data.CorruptArchiveError, match="not the genuine ml-1m.zip"):
        data.load_ratings("1m")


def test_missing_ratings_names_both_layouts(monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(data.MissingArchiveError, match=r"put ml-1m.zip or its extracted ml-1m/ folder"):
        data.load_ratings("1m")


@pytest.mark.parametrize(
    "content", ["1::2::five::0\n", "1::2\n", "", "1::2::9::0\n"], ids=["text", "short", "empty", "range"]
)
def test_corrupt_ratings_file(monkeypatch, tmp_path, content):
    (tmp_path / "ml-1m").mkdir()
    (tmp_path / "ml-1m" / "ratings.dat").write_text(content)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(data.CorruptArchiveError, match="ratings.dat"):
        data.load_ratings("1m")


def test_online_path_downloads_with_the_checksum(monkeypatch, synthetic, no_data_dir):
    import keras

    archive = synthetic.archive("100k", ROWS)
    calls = []

    def fake_get_file(fname, origin, file_hash, hash_algorithm, cache_subdir):
        calls.append((fname, origin, file_hash, hash_algorithm))
        return str(archive)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    assert len(data.load_ratings("100k")) == len(ROWS)
    genuine = data.ARCHIVES["100k"]
    assert calls == [("ml-100k.zip", genuine.url, genuine.sha256, "sha256")]


def test_online_failure_is_explained(monkeypatch, no_data_dir):
    import keras

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(data.MovieLensError, match=r"Could not download .*ml-1m.zip"):
        data.load_ratings("1m")

