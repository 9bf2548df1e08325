"""recbook.data on synthetic files, TFDS mock data and deliberately bad input."""

from __future__ import annotations

import hashlib
import os
import time

from recbook import data

import pytest
import tensorflow_datasets as tfds

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


def test_unknown_variant_names_the_known_ones():
    with pytest.raises(
        ValueError, match=r"Unknown MovieLens variant '10m'.*'100k', '1m'"
    ):
        data.archive_for("10m")
    with pytest.raises(ValueError, match="Unknown MovieLens variant"):
        data.load_ratings("20m")
    with pytest.raises(
        TypeError, match=r"variant must be a string, one of '100k', '1m'; got \['1m'\]"
    ):
        data.load_ratings(["1m"])


@pytest.mark.parametrize("variant", ["25m", "latest-small"])
def test_tfds_variants_recbook_does_not_verify_are_refused(variant):
    with pytest.raises(ValueError, match=f"Unknown MovieLens variant '{variant}'"):
        data.load_tfds("ratings", variant)


@pytest.mark.parametrize(
    "split, error", [(5, TypeError), ("test", ValueError), (["train"], TypeError)]
)
def test_load_tfds_says_which_splits_exist(split, error):
    with pytest.raises(
        error,
        match=r"split must be 'train' .* or a slice of it such as 'train\[:80%\]'",
    ):
        data.load_tfds("ratings", split=split)


def test_unknown_table_is_refused():
    with pytest.raises(ValueError, match=r"Unknown MovieLens table 'users'"):
        data.tfds_name("users")
    assert data.tfds_name("ratings") == "movielens/100k-ratings"
    assert data.tfds_name("movies", "1m") == "movielens/1m-movies"


def test_archive_addresses():
    archive = data.archive_for("1m")
    assert archive.filename == "ml-1m.zip"
    assert archive.url == "https://files.grouplens.org/datasets/movielens/ml-1m.zip"


def test_download_address_is_overridable(monkeypatch):
    monkeypatch.setenv(data.GROUPLENS_URL_ENV, "http://mirror.example/ml")
    assert data.archive_for("100k").url == "http://mirror.example/ml/ml-100k.zip"
    monkeypatch.setenv(data.GROUPLENS_URL_ENV, " ")
    assert (
        data.archive_for("100k").url
        == "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
    )


def test_data_dir_that_does_not_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(data.MissingArchiveError, match="not a folder"):
        data.local_data_dir()


def test_relative_data_dir_errors_show_the_resolved_path(monkeypatch, tmp_path):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv(data.DATA_DIR_ENV, "../shared/data")
    with pytest.raises(
        data.MissingArchiveError, match=f"'../shared/data' \\({tmp_path}/shared/data\\)"
    ):
        data.load_ratings("1m")
    (tmp_path / "shared" / "data").mkdir(parents=True)
    with pytest.raises(
        data.MissingArchiveError, match=f"\\({tmp_path}/shared/data\\): put ml-1m.zip"
    ):
        data.load_ratings("1m")


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
    with pytest.raises(
        data.CorruptArchiveError, match=r"not the genuine ml-100k.zip \(14 bytes"
    ):
        data.load_tfds("movies")


def test_archive_with_right_size_but_wrong_bytes_is_corrupt(monkeypatch, tmp_path):
    (tmp_path / "ml-100k.zip").write_bytes(bytes(data.ARCHIVES["100k"].size))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    zeros = hashlib.sha256(bytes(data.ARCHIVES["100k"].size)).hexdigest()
    with pytest.raises(data.CorruptArchiveError, match=f"sha256 {zeros}"):
        data.local_archive("100k")


def test_load_tfds_on_mock_data_gives_the_tutorial_features(
    monkeypatch, synthetic, accept_as_genuine
):
    accept_as_genuine("100k", zip_path=synthetic.archive("100k", ROWS))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(synthetic.root))
    with tfds.testing.mock_data(num_examples=7):
        ratings = data.load_tfds("ratings")
        frame = data.as_frame(ratings, ["user_id", "movie_title", "user_rating"])
    assert len(frame) == 7
    assert list(frame.columns) == ["user_id", "movie_title", "user_rating"]
    assert all(isinstance(v, str) for v in frame["movie_title"])
    assert {"movie_genres", "raw_user_age", "user_occupation_label"} <= set(
        ratings.element_spec
    )


@pytest.mark.parametrize("variant", ["100k", "1m"])
def test_ratings_from_extracted_folder_are_sorted_without_timestamps(
    monkeypatch, synthetic, accept_as_genuine, variant
):
    synthetic.ratings_file(variant, ROWS)
    accept_as_genuine(variant, rows=ROWS)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(synthetic.root))
    frame = data.load_ratings(variant)
    assert list(frame.columns) == ["user_id", "movie_id", "rating"]
    assert frame.to_records(index=False).tolist() == [
        (1, 4, 4),
        (1, 9, 3),
        (2, 7, 2),
        (3, 2, 1),
        (3, 7, 5),
    ]


def test_ratings_from_verified_zip(monkeypatch, synthetic, accept_as_genuine):
    archive = synthetic.archive("1m", ROWS)
    accept_as_genuine("1m", rows=ROWS, zip_path=archive)
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
    with pytest.raises(
        data.MissingArchiveError, match=r"put ml-1m.zip or its extracted ml-1m/ folder"
    ):
        data.load_ratings("1m")


@pytest.mark.parametrize(
    "content",
    ["1::2::five::0\n", "1::2\n", "", "1::2::9::0\n"],
    ids=["text", "short", "empty", "range"],
)
def test_corrupt_ratings_file(monkeypatch, tmp_path, content):
    (tmp_path / "ml-1m").mkdir()
    (tmp_path / "ml-1m" / "ratings.dat").write_text(content)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(data.CorruptArchiveError, match="ratings.dat"):
        data.load_ratings("1m")


GRID = [
    (user, movie, 1 + (user * movie) % 5, 978300000 + user)
    for user in range(1, 6)
    for movie in range(1, 7)
]
"""30 ratings: every one of users 1-5 rates every one of movies 1-6 once."""


def lines(rows, separator="::"):
    return "".join(separator.join(map(str, row)) + "\n" for row in rows)


@pytest.mark.parametrize(
    "content, problem",
    [
        (lines(GRID[:20]), "20 ratings; the release has 30"),
        (
            lines(GRID) + "5::7::4::\n",
            "line 31 does not have the 4 fields user::movie::rating::timestamp",
        ),
        (lines(GRID[:-1]) + "5::6::2\n", "line 30 does not have the 4 fields"),
        (lines(GRID) + lines(GRID), "60 ratings; the release has 30"),
        (lines(GRID) + "1::2::3::4::5\n", "line 31 does not have the 4 fields"),
        (lines(GRID[:-1] + [(5, 5, 3, 0)]), "user 5 rates movie 5 more than once"),
        (
            lines(GRID[:-1] + [(5, 6, 1 + GRID[-1][2] % 5, 0)]),
            "ratings digest [0-9a-f]{64}; expected",
        ),
        (lines(GRID[1:] + [(9, 1, 3, 0)]), "6 users; the release has 5"),
    ],
    ids=[
        "cut",
        "cut-before-timestamp",
        "no-timestamp",
        "doubled",
        "fifth-field",
        "duplicate-pair",
        "changed-rating",
        "other-file",
    ],
)
def test_extracted_ratings_are_verified_by_content(
    monkeypatch, tmp_path, accept_as_genuine, content, problem
):
    accept_as_genuine("1m", rows=GRID)
    path = tmp_path / "ml-1m" / "ratings.dat"
    path.parent.mkdir()
    path.write_text(content)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(
        data.CorruptArchiveError,
        match=f"{path} is not the genuine GroupLens ratings.dat \\(.*{problem}",
    ):
        data.load_ratings("1m")


def test_order_and_timestamps_do_not_change_the_digest(
    monkeypatch, tmp_path, accept_as_genuine
):
    accept_as_genuine("1m", rows=GRID)
    reordered = [(u, m, r, 0) for u, m, r, _ in reversed(GRID)]
    (tmp_path / "ml-1m").mkdir()
    (tmp_path / "ml-1m" / "ratings.dat").write_text(lines(reordered))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    assert data.load_ratings("1m").to_records(index=False).tolist() == [
        row[:3] for row in GRID
    ]


def test_ratings_digest_is_the_documented_one():
    frame = data.pd.DataFrame(
        [(2, 10, 5), (1, 3, 4), (1, 20, 1)], columns=data.RATING_COLUMNS
    )
    assert (
        data.ratings_digest(frame)
        == hashlib.sha256(b"1\t3\t4\n1\t20\t1\n2\t10\t5\n").hexdigest()
    )


@pytest.mark.data
def test_genuine_extracted_ml_1m_passes_the_checks(monkeypatch, movielens_dir):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(movielens_dir))
    frame = data.load_ratings("1m")
    assert (len(frame), frame["user_id"].nunique(), frame["movie_id"].nunique()) == (
        1_000_209,
        6_040,
        3_706,
    )


# --- the online path, against a local server -----------------------------------------


def served_archive(synthetic, accept_as_genuine, variant="1m"):
    """A synthetic zip registered as the genuine archive of ``variant``; its bytes."""
    path = synthetic.archive(variant, GRID)
    accept_as_genuine(variant, rows=GRID, zip_path=path)
    return path.read_bytes()


def cache_listing():
    return (
        sorted(p.name for p in data.cache_dir().iterdir())
        if data.cache_dir().exists()
        else []
    )


def test_download_is_verified_and_cached(archive_server, synthetic, accept_as_genuine):
    archive_server.serve("ml-1m.zip", served_archive(synthetic, accept_as_genuine))
    assert len(data.load_ratings("1m")) == len(GRID)
    assert cache_listing() == ["ml-1m.zip"]
    assert len(data.load_ratings("1m")) == len(GRID)
    assert archive_server.requests == ["ml-1m.zip"]  # the second load used the cache


def test_corrupt_cached_archive_is_downloaded_again(
    archive_server, synthetic, accept_as_genuine
):
    archive_server.serve("ml-1m.zip", served_archive(synthetic, accept_as_genuine))
    data.cache_dir().mkdir(parents=True)
    (data.cache_dir() / "ml-1m.zip").write_bytes(b"half an archive")
    assert len(data.load_ratings("1m")) == len(GRID)
    assert archive_server.requests == ["ml-1m.zip"]


def test_corrupt_cached_archive_is_deleted_even_if_the_download_fails(
    archive_server, synthetic, accept_as_genuine
):
    served_archive(synthetic, accept_as_genuine)  # registered, but not served: 404
    data.cache_dir().mkdir(parents=True)
    (data.cache_dir() / "ml-1m.zip").write_bytes(b"half an archive")
    with pytest.raises(data.MovieLensError, match="HTTP 404"):
        data.load_ratings("1m")
    assert cache_listing() == []


@pytest.mark.parametrize(
    "mode, problem",
    [
        ("short", r"is not the expected file \([0-9,]+ bytes; expected"),
        ("corrupt", r"is not the expected file \(sha256 [0-9a-f]{64}; expected"),
        (
            "drop",
            r"Could not download .* \(the connection closed with [0-9,]+ bytes missing",
        ),
        ("missing", r"Could not download .* \(HTTP 404"),
    ],
)
def test_failed_download_leaves_nothing_under_the_final_name(
    archive_server, synthetic, accept_as_genuine, mode, problem
):
    body = served_archive(synthetic, accept_as_genuine)
    if mode == "corrupt":
        body = bytes(len(body))
    if mode != "missing":
        archive_server.serve("ml-1m.zip", body, "ok" if mode == "corrupt" else mode)
    with pytest.raises(data.MovieLensError, match=problem) as raised:
        data.load_ratings("1m")
    assert f"{archive_server.url}ml-1m.zip" in str(raised.value)
    assert "Offline, set $MOVIELENS_DIR to a folder holding ml-1m.zip" in str(
        raised.value
    )
    assert cache_listing() == []  # neither the archive nor a temporary file


def test_unresolvable_host_fails_within_seconds(archive_server, monkeypatch):
    monkeypatch.setenv(data.GROUPLENS_URL_ENV, "http://nonexistent.invalid/")
    tic = time.perf_counter()
    with pytest.raises(
        data.MovieLensError,
        match=r"Could not download http://nonexistent.invalid/ml-100k.zip.*"
        r"Offline, set \$MOVIELENS_DIR",
    ):
        data.load_tfds("ratings")
    assert time.perf_counter() - tic < 5
    assert cache_listing() == []


def test_load_tfds_online_builds_from_the_downloaded_archive(
    archive_server, synthetic, accept_as_genuine
):
    archive_server.serve(
        "ml-100k.zip", served_archive(synthetic, accept_as_genuine, "100k")
    )
    with tfds.testing.mock_data(num_examples=3):
        assert len(data.as_frame(data.load_tfds("ratings"), ["user_id"])) == 3
    assert archive_server.requests == ["ml-100k.zip"] and cache_listing() == [
        "ml-100k.zip"
    ]


@pytest.mark.data
def test_tfds_online_end_to_end_and_a_damaged_cache(
    archive_server, movielens_dir, tmp_path
):
    """The genuine ml-100k.zip served locally: TFDS builds from the download.

    A cut file in the TFDS cache is then explained.
    """
    archive_server.serve("ml-100k.zip", (movielens_dir / "ml-100k.zip").read_bytes())
    movies = data.load_tfds("movies")
    assert len(data.as_frame(movies, ["movie_id"])) == 1682
    assert cache_listing() == ["ml-100k.zip"]
    (shard,) = (tmp_path / "tensorflow_datasets").glob(
        "movielens/100k-movies/*/*.tfrecord*"
    )
    whole = shard.read_bytes()
    for cut in (
        whole[:-100],
        whole[: len(whole) // 2],
    ):  # a lost last record; a record cut mid-way
        shard.write_bytes(cut)
        with pytest.raises(
            data.MovieLensError,
            match=f"damaged .* Delete the folder {shard.parent} and run again",
        ):
            data.load_tfds("movies")


def test_fetch_archives_fills_a_data_folder_that_load_ratings_then_reads(
    archive_server, synthetic, accept_as_genuine, tmp_path, monkeypatch
):
    archive_server.serve("ml-1m.zip", served_archive(synthetic, accept_as_genuine))
    folder = tmp_path / "fetched"
    assert data.fetch_archives(folder, ["1m"]) == [folder / "ml-1m.zip"]
    assert data.fetch_archives(str(folder), ["1m"]) == [folder / "ml-1m.zip"]
    assert archive_server.requests == [
        "ml-1m.zip"
    ]  # the second call kept the verified file
    monkeypatch.setenv(data.DATA_DIR_ENV, str(folder))
    assert len(data.load_ratings("1m")) == len(GRID)
    assert cache_listing() == []  # read from the folder, not the Keras cache


# --- issue 20: data-folder messages that diagnose ------------------------------------


def ml_1m_folder(root):
    (root / "ml-1m").mkdir()
    return root / "ml-1m"


@pytest.mark.parametrize(
    "make, problem",
    [
        (
            lambda top: (top / "movies.dat").write_text(""),
            r"ml-1m/ratings.dat is missing \(.*ml-1m holds: movies.dat\)",
        ),
        (
            lambda top: (top / "ratings.dat").mkdir(),
            r"ml-1m/ratings.dat is a folder, not the ratings file",
        ),
        (
            lambda top: (top / "ratings.dat").symlink_to(top / "gone.dat"),
            r"ml-1m/ratings.dat is a dangling symbolic link \(to .*gone.dat\)",
        ),
        (
            lambda top: os.mkfifo(top / "ratings.dat"),
            r"ml-1m/ratings.dat is a named pipe \(FIFO\), not the ratings file",
        ),
        (
            lambda top: (top / "Ratings.dat").write_text(""),
            r"ml-1m/Ratings.dat is named in another case: rename it ratings.dat",
        ),
        (
            lambda top: (top / "ml-1m").mkdir() or (top / "ml-1m/ratings.dat").touch(),
            r"holds another ml-1m/ folder .*one level too deep; move the contents",
        ),
    ],
    ids=["missing", "a-folder", "dangling-link", "fifo", "other-case", "nested"],
)
def test_an_extracted_folder_that_is_wrong_inside_is_diagnosed(
    monkeypatch, tmp_path, make, problem
):
    make(ml_1m_folder(tmp_path))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(data.MissingArchiveError, match=problem) as raised:
        data.load_ratings("1m")
    assert "put ml-1m.zip or its extracted" not in str(raised.value)


def test_a_folder_named_like_the_zip_is_diagnosed(monkeypatch, tmp_path):
    (tmp_path / "ml-100k.zip").mkdir()
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(
        data.MissingArchiveError, match=r"ml-100k.zip is a folder, not the zip file"
    ):
        data.local_archive("100k")
    (tmp_path / "ml-100k.zip").rmdir()
    (tmp_path / "ML-100K.zip").write_bytes(b"")
    with pytest.raises(
        data.MissingArchiveError, match=r"ML-100K.zip is named in another case"
    ):
        data.local_archive("100k")


def test_a_data_dir_that_is_a_symlink_loop_or_dangling_is_diagnosed(
    monkeypatch, tmp_path
):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(loop))
    with pytest.raises(data.MissingArchiveError, match=r"symbolic link") as raised:
        data.load_ratings("1m")
    assert "MOVIELENS_DIR is set to" in str(raised.value)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    monkeypatch.setenv(data.DATA_DIR_ENV, str(dangling))
    with pytest.raises(
        data.MissingArchiveError,
        match=r"which is a dangling symbolic link \(to .*nowhere\), not a folder",
    ):
        data.local_data_dir()
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "file"))
    with pytest.raises(
        data.MissingArchiveError, match=r"which is a file, not a folder"
    ):
        data.local_data_dir()


def test_fetch_archives_refuses_a_string_of_variants(tmp_path):
    with pytest.raises(
        TypeError, match=r"variants must be a list .* \(write \[.100k.\] for one\)"
    ):
        data.fetch_archives(tmp_path, "100k")
    with pytest.raises(ValueError, match="Unknown MovieLens variant '10m'"):
        data.fetch_archives(tmp_path, ["10m"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["not a url", "ftp://host/x/", "http:///path"])
def test_a_download_base_that_is_not_an_address_is_refused(monkeypatch, url):
    monkeypatch.setenv(data.GROUPLENS_URL_ENV, url)
    with pytest.raises(ValueError, match=r"RECBOOK_GROUPLENS_URL must be an address"):
        data.archive_for("1m").url


def test_ratings_digest_by_hand():
    frame = data.pd.DataFrame(
        [r[:3] for r in ROWS], columns=["user_id", "movie_id", "rating"]
    )
    # printf '1\t4\t4\n1\t9\t3\n2\t7\t2\n3\t2\t1\n3\t7\t5\n' | sha256sum
    assert data.ratings_digest(frame) == (
        "d2cb39aab752f252aa8649558428af3ab9969efa7a9f774aa82865278c0fc3a9"
    )


def test_registered_digests_are_the_documented_ones():
    assert data.ARCHIVES["1m"].ratings_digest == (
        "927a392397fb028e4974abbda37b71dca5614cfbeb9d7d66b364039c6bd58450"
    )
    assert data.ARCHIVES["100k"].ratings_digest == (
        "273f855410feb093231e19c35b690a9098bed32c77d1aa7b33d7cdcfec2d8b11"
    )
    assert (data.ARCHIVES["1m"].size, data.ARCHIVES["100k"].size) == (
        5_917_549,
        4_924_029,
    )


@pytest.mark.parametrize(
    "info, error",
    [
        ("not json", "ParseError"),
        ("{}", "AssertionError"),
        ('{"name": "movielens", "version": "0.1.1"}', "KeyError"),
    ],
    ids=["invalid-json", "wrong-info", "emptied"],
)
def test_a_damaged_tfds_cache_names_the_folder_to_delete(
    archive_server, tmp_path, info, error
):
    folder = tmp_path / "tensorflow_datasets" / "movielens" / "100k-movies"
    (folder / "0.1.1").mkdir(parents=True)
    (folder / "0.1.1" / "dataset_info.json").write_text(info)
    with pytest.raises(data.MovieLensError) as raised:
        data.load_tfds("movies")
    message = str(raised.value)
    assert f"The TFDS cache of movielens/100k-movies is damaged ({error}" in message
    assert "Delete the folder" in message and str(folder) in message
    assert archive_server.requests == []  # nothing downloaded meanwhile
