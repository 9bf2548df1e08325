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
#     quick_parameters:
#       variant: 100k
# ---

# %% [markdown]
# # Featurization
#
# Raw features are rarely model inputs. Ids are strings, titles are free text, ages
# are numbers on their own scale. This chapter turns MovieLens-100K's raw columns into
# the inputs of the retrieval towers, following the keras.io *Deep Recommenders*
# tutorial {cite}`keras2023deeprec`, with `keras.utils.FeatureSpace`. Each step is shown
# on real records. What the retrieval chapter reuses lives in `recbook.features`.

# %% [markdown]
# ## Setup
#
# In Colab, the next cell installs the book's helper package `recbook`; elsewhere it
# does nothing.

# %%
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    # The book's repository (RECBOOK_REPOSITORY replaces it, e.g. by a local checkout).
    repository = os.environ.get(
        "RECBOOK_REPOSITORY",
        "https://github.com/recbook-authors/deep-recommenders-keras",
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", f"recbook @ git+{repository}"],
        check=True,
    )

# %%
from recbook import data, features, glue, records

import numpy as np

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
# share what the model learns about them. The book's package builds it so:

# %% [markdown]
# ```{literalinclude} ../src/recbook/features.py
# :pyobject: title_vectorizer
# :caption: recbook/features.py
# ```

# %%
vectorizer = features.title_vectorizer(movies)

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

# %% [markdown]
# ```{literalinclude} ../src/recbook/features.py
# :pyobject: feature_space
# :caption: recbook/features.py
# ```

# %%
space = features.feature_space(ratings, vectorizer)

# %% tags=["nbval-check-output"]
for name in ("user_gender", "user_occupation_label"):
    print(f"{name}: {space.preprocessors[name].vocabulary_size()} categories")
edges = space.preprocessors["raw_user_age"].bin_boundaries
print("age bin edges (years):", [round(float(e), 2) for e in edges])

# %% [markdown]
# What one rating becomes, run through the FeatureSpace as the training pipeline runs
# it (`features.encode`, in a `tf.data` graph):

# %%
record = next(ratings.take(1).as_numpy_iterator())
raw = {k: record[k] for k in features.FEATURE_SPACE_INPUTS}
encoded = features.encode(space, raw)

# %% tags=["nbval-check-output"]
for name in (*features.FEATURE_SPACE_INPUTS, features.CROSS):
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

# %% [markdown]
# ```{literalinclude} ../src/recbook/features.py
# :pyobject: Candidates
# :caption: recbook/features.py
# ```
#
# ```{literalinclude} ../src/recbook/features.py
# :pyobject: candidate_set
# :caption: recbook/features.py
# ```

# %%
candidates = features.candidate_set(movies, vectorizer)

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

# %% [markdown]
# ```{literalinclude} ../src/recbook/features.py
# :pyobject: preprocessor
# :caption: recbook/features.py
# ```
#
# ```{literalinclude} ../src/recbook/features.py
# :pyobject: split
# :caption: recbook/features.py
# ```

# %%
preprocess = features.preprocessor(space, candidates.max_genres)
train, test = features.split(ratings, preprocess)

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
# The retrieval chapter builds its towers on exactly these inputs:
# `recbook.features` returns the same FeatureSpace, candidate set and split.
