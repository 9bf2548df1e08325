# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: recbook
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   recbook:
#     export: featurization
#     quick_parameters:
#       variant: 100k
# ---

# %% [markdown]
# # Featurization
#
# Raw features are rarely model inputs. Ids are strings, titles are free text, ages are
# numbers on their own scale. This chapter turns MovieLens-100K's raw columns into the
# inputs of the retrieval towers, following the keras.io *Deep Recommenders* tutorial
# ([Hertschuh and Sharma, 2025](https://keras.io/keras_rs/examples/deep_recommender/)),
# with `keras.utils.FeatureSpace`. Each step is defined here and shown on real records.
# The cells marked `#| export` are also written into the book's package (as
# `recbook.featurization`), so that the retrieval chapter and the tests use this very
# code.

# %% [markdown]
# ## Setup
#
# In Colab, the next cell installs the book's helper package `recbook`; elsewhere it
# does nothing.

# %%
import os
import sys

if "google.colab" in sys.modules:  # in Colab only; RECBOOK_REPOSITORY: another copy
    book = os.environ.get(
        "RECBOOK_REPOSITORY",
        "https://github.com/recbook-authors/deep-recommenders-keras",
    )
    # %pip install -q "recbook @ git+{book}"

# %%
#| export
from collections.abc import Callable
from dataclasses import dataclass, field

from recbook import checks

import keras
import numpy as np
import tensorflow as tf

# %%
from recbook import data, glue, records

# %% [markdown]
# The tutorial's settings:

# %%
#| export
AGE_BINS = 10
GENDER_AGE_CROSS_BINS = 20
TITLE_MAX_TOKENS = 10_000
TITLE_LENGTH = 16
SHUFFLE_SEED = 42
SHUFFLE_BUFFER = 100_000
"""Ratings shuffled for the split: all of MovieLens-100K."""
TRAIN_SIZE, TEST_SIZE, BATCH_SIZE = 80_000, 20_000, 1_000

FEATURE_SPACE_INPUTS = (
    "raw_user_age",
    "user_gender",
    "user_occupation_label",
    "user_rating",
    "movie_title",
)
CROSS = "user_gender_X_raw_user_age"

# %% tags=["parameters"]
variant = "100k"

# %%
ratings = data.load_tfds("ratings", variant)
movies = data.load_tfds("movies", variant)

# %% [markdown]
# ## Titles: tokens from text
#
# `TextVectorization` lower-cases each title, splits it into words and maps each word
# to an integer, learning the vocabulary from all movie titles. Titles become 16 token
# ids, padded with 0. Words shared between titles (a series' name, a year) can then
# share what the model learns about them:


# %%
#| export
def title_vectorizer(movies: tf.data.Dataset) -> keras.layers.TextVectorization:
    """A ``TextVectorization`` adapted to every movie title.

    At most 10,000 tokens; every title becomes 16 token ids.
    """
    vectorizer = keras.layers.TextVectorization(
        max_tokens=TITLE_MAX_TOKENS, output_sequence_length=TITLE_LENGTH, dtype="int32"
    )
    vectorizer.adapt(movies.map(lambda x: x["movie_title"]))
    return vectorizer


# %%
vectorizer = title_vectorizer(movies)

# %% tags=["nbval-check-output"]
vocabulary = vectorizer.get_vocabulary()
size = vectorizer.vocabulary_size()
print(f"vocabulary size: {size:,} tokens (0 = padding, 1 = unknown)")
print("tokens 40 to 49:", ", ".join(str(token) for token in vocabulary[40:50]))
for record in movies.take(1).as_numpy_iterator():
    title = record["movie_title"].decode()
    tokens = np.asarray(vectorizer([title]))[0]
    print(f"{title!r} -> {tokens.tolist()}")
    print("            ->", [str(vocabulary[t]) for t in tokens if t])

# %% [markdown]
# ## The FeatureSpace
#
# One `FeatureSpace` holds the per-rating transformations and learns what they need
# from the data with `adapt`:
#
# - **age**, discretized into 10 bins (`float_discretized`; the bin edges are quantiles,
#   so each bin holds about a tenth of the ratings);
# - **rating**, rescaled from 1-5 stars to [0, 1] as `(r - 1) / 4` (`float_rescaled`):
#   the training label;
# - **gender** and **occupation**, integer categories;
# - a **gender x age cross**, hashed into 20 bins, so that a model can learn tastes
#   that belong to a combination (say, young women) rather than to either part;
# - the **title** tokens, through the vectorizer above.
#
# Adapting it reads all 100,000 ratings (about 20 s here). In code:


# %%
#| export
def feature_space(
    ratings: tf.data.Dataset, vectorizer: keras.layers.TextVectorization
) -> keras.utils.FeatureSpace:
    """The tutorial's FeatureSpace, adapted to ``ratings`` (20 s for MovieLens-100K).

    ``float_discretized`` adapts quantile bin edges (the tutorial says equal-width).
    """
    space = keras.utils.FeatureSpace(
        features={
            "raw_user_age": keras.utils.FeatureSpace.float_discretized(
                num_bins=AGE_BINS, output_mode="int"
            ),
            "user_gender": keras.utils.FeatureSpace.integer_categorical(
                num_oov_indices=0, output_mode="int"
            ),
            "user_occupation_label": keras.utils.FeatureSpace.integer_categorical(
                num_oov_indices=0, output_mode="int"
            ),
            "user_rating": keras.utils.FeatureSpace.float_rescaled(
                scale=1.0 / 4.0, offset=-1.0 / 4.0
            ),
            "movie_title": keras.utils.FeatureSpace.feature(
                preprocessor=vectorizer, dtype="string", output_mode="float"
            ),
        },
        crosses=[
            keras.utils.FeatureSpace.cross(
                feature_names=("user_gender", "raw_user_age"),
                crossing_dim=GENDER_AGE_CROSS_BINS,
                output_mode="int",
            )
        ],
        output_mode="dict",
    )
    space.adapt(ratings.map(lambda x: {k: x[k] for k in FEATURE_SPACE_INPUTS}))
    return space


# %%
space = feature_space(ratings, vectorizer)

# %% tags=["nbval-check-output"]
for name in ("user_gender", "user_occupation_label"):
    print(f"{name}: {space.preprocessors[name].vocabulary_size()} categories")
edges = space.preprocessors["raw_user_age"].bin_boundaries
print("age bin edges (years):", [round(float(e), 2) for e in edges])

# %% [markdown]
# What one rating becomes, run through the FeatureSpace as the training pipeline runs
# it, in a `tf.data` graph:


# %%
#| export
def encode(space: keras.utils.FeatureSpace, record: dict) -> dict[str, np.ndarray]:
    """One raw rating through the FeatureSpace as :func:`preprocessor` runs it: in a
    ``tf.data`` graph, every output (the cross included) as a numpy array, batch axis
    dropped.

    Called eagerly on a non-TensorFlow backend, a FeatureSpace converts its outputs
    to that backend's tensors, and JAX (without x64) truncates the int64 outputs of
    ``IntegerLookup``, ``HashedCrossing`` and the title feature to int32 with a
    ``UserWarning``. The training pipeline never converts them: it runs in the graph,
    as here, so the values and dtypes shown are those the models receive.

    Args:
        record: the raw features of one rating (at least :data:`FEATURE_SPACE_INPUTS`).
    """
    one = tf.data.Dataset.from_tensors({k: [record[k]] for k in FEATURE_SPACE_INPUTS})
    encoded = next(one.map(space).as_numpy_iterator())
    return {name: np.asarray(value)[0] for name, value in encoded.items()}


# %%
record = next(ratings.take(1).as_numpy_iterator())
raw = {k: record[k] for k in FEATURE_SPACE_INPUTS}
encoded = encode(space, raw)

# %% tags=["nbval-check-output"]
for name in (*FEATURE_SPACE_INPUTS, CROSS):
    before = raw.get(name, (raw["user_gender"], raw["raw_user_age"]))
    print(f"{name:>27}: {before!r}")
    print(f"{'-> ':>29}{encoded[name].tolist()}")

# %% [markdown]
# ## Genres: a padded list
#
# A movie has one or more genres, numbered from 0 by TFDS. Genre `g` becomes `g + 1`,
# and the list is padded with 0 to the largest count, so that 0 can be masked as "no
# genre" when the candidate tower averages the genre embeddings.
#
# ## The candidate set
#
# Retrieval scores every movie for a user, so the retrieval layer needs every movie's
# features at once: the id, the title tokens and the padded genres, as native tensors
# indexed by movie id (row 0 stays empty: ids start at 1). They are kept together in a
# `Candidates`:


# %%
#| export
@dataclass(frozen=True)
class Candidates:
    """Every movie's features as backend-native tensors, indexed by movie id.

    Row 0 holds no movie: ids start at 1.
    """

    tensors: dict[str, object]
    genres_count: int
    max_genres: int
    titles: tuple[str, ...] = field(default=(), repr=False)
    """Every movie's title, by movie id ("" for ids without a movie)."""

    @property
    def movies_count(self) -> int:
        """Number of movies (the largest movie id)."""
        return int(self.tensors["movie_id"].shape[0]) - 1


# %%
#| export
def candidate_set(
    movies: tf.data.Dataset, vectorizer: keras.layers.TextVectorization
) -> Candidates:
    """Every movie's id, title tokens and genres (genre g is g + 1, padded with 0)."""
    records = list(movies.as_numpy_iterator())
    count = max(int(r["movie_id"]) for r in records)
    titles, genres = [""] * (count + 1), [[] for _ in range(count + 1)]
    for record in records:
        movie = int(record["movie_id"])
        titles[movie] = record["movie_title"].decode("utf-8")
        genres[movie] = [int(g) + 1 for g in record["movie_genres"]]
    max_genres = max(len(g) for g in genres)
    padded = np.array([g + [0] * (max_genres - len(g)) for g in genres], dtype="int32")
    return Candidates(
        tensors={
            "movie_id": keras.ops.arange(count + 1, dtype="int32"),
            "movie_title_vector": keras.ops.convert_to_tensor(
                vectorizer(titles), dtype="int32"
            ),
            "movie_genres": keras.ops.convert_to_tensor(padded, dtype="int32"),
        },
        genres_count=int(padded.max()),
        max_genres=max_genres,
        titles=tuple(titles),
    )


# %%
candidates = candidate_set(movies, vectorizer)

# %% tags=["nbval-check-output"]
print(
    f"movies: {candidates.movies_count:,}; genre ids 1 to {candidates.genres_count} "
    f"(0 pads); at most {candidates.max_genres} genres per movie"
)
for name, tensor in candidates.tensors.items():
    print(f"{name:>19}: shape {tuple(tensor.shape)}, dtype {tensor.dtype}")
print("movie 1's genres:", np.asarray(candidates.tensors["movie_genres"])[1].tolist())

# %% [markdown]
# ## The split
#
# As in the tutorial: the 100,000 ratings are shuffled once (buffer 100,000, seed 42,
# the same order every epoch), the first 80,000 train and the next 20,000 test, in
# batches of 1,000, cached after the first pass. Each rating goes through the
# FeatureSpace on the way (`preprocessor`), and the genres are shifted and padded there:


# %%
#| export
def preprocessor(
    space: keras.utils.FeatureSpace, max_genres: int
) -> Callable[[dict], tuple[dict, tf.Tensor]]:
    """The per-rating ``tf.data`` map: model inputs and the rescaled rating as label.

    With Keras 3.15, every FeatureSpace output, the cross included, is a scalar
    after squeezing the batch axis that FeatureSpace adds to one record.
    """

    def preprocess(x: dict) -> tuple[dict, tf.Tensor]:
        features = space({k: x[k] for k in FEATURE_SPACE_INPUTS})
        features = {k: tf.squeeze(v, axis=0) for k, v in features.items()}
        genres = tf.cast(x["movie_genres"], tf.int32) + 1
        return (
            {
                "user_id": tf.strings.to_number(x["user_id"], out_type=tf.int32),
                "raw_user_age": features["raw_user_age"],
                "user_gender": features["user_gender"],
                "user_occupation_label": features["user_occupation_label"],
                CROSS: features[CROSS],
                "movie_id": tf.strings.to_number(x["movie_id"], out_type=tf.int32),
                "movie_title_vector": features["movie_title"],
                "movie_genres": tf.pad(genres, [[0, max_genres - tf.shape(genres)[0]]]),
            },
            features["user_rating"],
        )

    return preprocess


# %%
#| export
def split(
    ratings: tf.data.Dataset,
    preprocess: Callable,
    train_size: int = TRAIN_SIZE,
    test_size: int = TEST_SIZE,
    batch_size: int = BATCH_SIZE,
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """The tutorial's split: one shuffle (seed 42), 80,000 ratings train, 20,000 test.

    Raises:
        TypeError, ValueError: ``train_size``, ``test_size`` or ``batch_size`` is
            not a whole number of at least 1, or the two sizes exceed the 100,000
            shuffled ratings.
    """
    checks.whole(
        "train_size",
        train_size,
        maximum=SHUFFLE_BUFFER - 1,
        bound="the shuffled ratings minus one",
    )
    checks.whole(
        "test_size",
        test_size,
        maximum=SHUFFLE_BUFFER - train_size,
        bound="the shuffled ratings minus train_size",
    )
    checks.whole("batch_size", batch_size)
    shuffled = ratings.map(preprocess).shuffle(
        SHUFFLE_BUFFER, seed=SHUFFLE_SEED, reshuffle_each_iteration=False
    )
    train = shuffled.take(train_size).batch(batch_size).cache()
    test = shuffled.skip(train_size).take(test_size).batch(batch_size).cache()
    return train, test


# %%
preprocess = preprocessor(space, candidates.max_genres)
train, test = split(ratings, preprocess)

# %% tags=["nbval-check-output"]
sizes = {
    name: sum(int(y.shape[0]) for _, y in part)
    for name, part in (("train", train), ("test", test))
}
five_stars = sum(int(np.sum(np.asarray(y) > 0.9)) for _, y in test)
print(f"train: {sizes['train']:,} ratings; test: {sizes['test']:,} ratings")
print(f"5-star test ratings (the retrieval metric's targets): {five_stars:,}")
inputs, labels = next(iter(train))
for name, value in inputs.items():
    print(f"{name:>27}: {tuple(value.shape)} {value.dtype.name}")
print(f"{'label':>27}: {tuple(labels.shape)} {labels.dtype.name}")

# %% tags=["remove-cell"]
glue.record(records.TITLE_VOCABULARY_SIZE, vectorizer.vocabulary_size())
glue.record(records.MOVIES_COUNT, candidates.movies_count)
glue.record(records.MAX_GENRES, candidates.max_genres)
glue.record(records.TRAIN_SIZE, sizes["train"])
glue.record(records.TEST_SIZE, sizes["test"])
glue.record(records.TEST_FIVE_STARS, five_stars)

# %% [markdown]
# The retrieval chapter builds its towers on exactly these inputs: it calls these
# definitions, exported to `recbook.featurization`.
