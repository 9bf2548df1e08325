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
# # The MovieLens data
#
# Every chapter of this book trains on
# [MovieLens](https://grouplens.org/datasets/movielens/), the movie ratings that
# GroupLens collected from the users of its recommender site ([Harper and Konstan,
# 2015](https://doi.org/10.1145/2827872)). This chapter loads MovieLens-100K exactly as
# the keras.io recommender tutorials do, with TensorFlow Datasets, and looks at what a
# recommender has to learn from: who rated what, how they rated it, and how unevenly the
# ratings fall over movies and users.

# %% [markdown]
# ## Setup
#
# In Colab, the next cell installs the book's helper package `recbook` (and with it
# Keras, keras-rs and TensorFlow Datasets). Elsewhere it does nothing: install the
# book as its README says.

# %%
import os
import sys

if "google.colab" in sys.modules:  # in Colab only; RECBOOK_REPOSITORY: another copy
    book = os.environ.get(
        "RECBOOK_REPOSITORY",
        "https://github.com/recbook-authors/deep-recommenders-keras",
    )
    # %pip install -q "recbook @ git+{book}"

# %% [markdown]
# Importing `recbook` first selects Keras's JAX backend; the data module loads
# MovieLens online, or offline from the folder named by `MOVIELENS_DIR`.

# %%
from recbook import data, glue, plots, records, tables

import matplotlib.pyplot as plt

plots.setup()

# %% [markdown]
# The parameters of this chapter. The book's test suite overrides them (papermill
# injects a cell after this one).

# %% tags=["parameters"]
variant = "100k"

# %% [markdown]
# ## Two tables: ratings and movies
#
# TensorFlow Datasets serves MovieLens as two tables. The ratings table has one
# record per rating, with the user's features (age, gender, occupation, zip code)
# and the movie's (id, title, genres) joined in. Here is the first record:

# %%
ratings = data.load_tfds("ratings", variant)

# %% tags=["nbval-check-output"]
for record in ratings.take(1).as_numpy_iterator():
    for key, value in sorted(record.items()):
        print(f"{key:>24}: {value!r}")

# %% [markdown]
# The movies table lists every movie once, rated or not. The retrieval chapters
# score all of them for every user.

# %%
movies = data.load_tfds("movies", variant)

# %% tags=["nbval-check-output"]
for record in movies.take(1).as_numpy_iterator():
    for key, value in sorted(record.items()):
        print(f"{key:>24}: {value!r}")

# %% [markdown]
# For counting and plotting, the scalar columns go into a pandas DataFrame, one row per
# rating. The first three:

# %%
frame = data.as_frame(
    ratings, ["user_id", "movie_id", "user_rating", "raw_user_age", "user_gender"]
)
movie_frame = data.as_frame(movies, ["movie_id", "movie_title"])
tables.show(
    frame.head(3),
    headers={
        "user_id": "user id",
        "movie_id": "movie id",
        "user_rating": "rating (stars)",
        "raw_user_age": "age (years)",
        "user_gender": "user gender",
    },
    formats={"user_rating": "{:.0f}", "raw_user_age": "{:.0f}"},
    caption="The first three ratings in the DataFrame",
)

# %% [markdown]
# ## How much there is

# %% tags=["nbval-check-output"]
counts = {
    "ratings": len(frame),
    "users": frame["user_id"].nunique(),
    "rated movies": frame["movie_id"].nunique(),
    "movies in the catalogue": len(movie_frame),
}
density = counts["ratings"] / (counts["users"] * counts["rated movies"])
for name, count in counts.items():
    print(f"{name:>24}: {count:,}")
print(f"{'density':>24}: {density:.2%} of all user-movie pairs are rated")

# %% tags=["remove-cell"]
glue.record(records.N_RATINGS, counts["ratings"])
glue.record(records.N_USERS, counts["users"])
glue.record(records.N_MOVIES, counts["movies in the catalogue"])
glue.record(records.DENSITY, density)

# %% [markdown]
# The density line says it: only a few in a hundred user-movie pairs carry a rating.
# The matrix a recommender fills in is almost empty.

# %% [markdown]
# ## How people rate
#
# Ratings are whole stars from 1 to 5. Most are 3 or 4; the retrieval chapters
# treat a 5-star rating as "this user liked this movie" and rescale ratings to
# [0, 1] as `(r - 1) / 4`.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "How many ratings give each number of stars, in MovieLens-100K.", "name": "fig-rating-distribution"}, "image": {"alt": "Bar chart of the number of ratings per star value, bars from 0: 6,110 one-star, 11,370 two-star, 27,145 three-star, 34,174 four-star and 21,201 five-star ratings."}}
fig, ax = plots.figure()
plots.rating_distribution(frame["user_rating"], ax=ax)
plt.show()

# %% tags=["nbval-check-output"]
share_by_stars = frame["user_rating"].value_counts(normalize=True).sort_index()
for stars, share in share_by_stars.items():
    print(f"{stars:.0f} star{'s' * (stars > 1)}: {share:6.2%}")
print(f"mean rating: {frame['user_rating'].mean():.3f}")

# %% tags=["remove-cell"]
glue.record(records.MEAN_RATING, frame["user_rating"].mean())
glue.record(records.SHARE_FIVE_STARS, share_by_stars.loc[5.0])

# %% [markdown]
# ## The long tail of movie popularity
#
# A few movies collect most of the ratings; most movies have a handful. On a log
# scale the counts fall steadily with popularity rank. This is why a model must
# learn something about the rarely rated movies from their features (title,
# genres) and not only from their ids, and why the memory-efficient-embeddings
# chapter can give rare movies smaller embeddings.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Top: ratings per movie, most rated first, on a log scale. Bottom: the share of all ratings that the most-rated movies hold, against the share of movies; the dashed diagonal is what equal popularity would give.", "name": "fig-movie-long-tail"}, "image": {"alt": "Two charts. The top one is a curve of ratings per movie falling from 583 for the most rated movie to 1 for the rarest of the 1,682. The bottom one is a cumulative curve that rises steeply, far above the diagonal: the 10% most-rated movies hold about 43% of the ratings."}}
fig, (top_axes, bottom_axes) = plots.figure(nrows=2)
plots.long_tail(frame["movie_id"], "movies", ax=top_axes)
plots.share_of_ratings(frame["movie_id"], "movies", ax=bottom_axes)
plt.show()

# %% tags=["nbval-check-output"]
per_movie = frame["movie_id"].value_counts()
head = per_movie.iloc[: len(per_movie) // 10].sum() / per_movie.sum()
print(f"the 10% most-rated movies hold {head:.1%} of the ratings")
print(f"movies rated once: {(per_movie == 1).sum():,}")
top = per_movie.head(5).rename_axis("movie_id").reset_index(name="ratings")
top = top.merge(movie_frame, on="movie_id")[["movie_id", "movie_title", "ratings"]]
tables.show(
    top,
    headers={"movie_id": "movie id", "movie_title": "title", "ratings": "ratings"},
    caption="The five most-rated movies",
)

# %% tags=["remove-cell"]
glue.record(records.TOP_DECILE_SHARE, head)

# %% [markdown]
# ## How active users are
#
# The same view for users. GroupLens kept only users with at least 20 ratings in
# MovieLens-100K, so the user tail is cut off at 20 but is still long: some users
# rated hundreds of movies.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Ratings per user, most active first, with both axes on a log scale.", "name": "fig-user-long-tail"}, "image": {"alt": "Log-log curve of ratings per user for the 943 users, falling from 737 ratings for the most active user to 20, the minimum GroupLens kept."}}
fig, ax = plots.figure()
plots.long_tail(frame["user_id"], "users", ax=ax, loglog=True)
plt.show()

# %% tags=["nbval-check-output"]
per_user = frame["user_id"].value_counts()
print(
    f"ratings per user: min {per_user.min()}, median {per_user.median():.0f}, "
    f"max {per_user.max()}"
)

# %% [markdown]
# ## What comes next
#
# The featurization chapter turns these raw columns into model inputs with
# `keras.utils.FeatureSpace`; the retrieval chapter learns a user and a movie tower
# from them. The memory-efficient-embeddings chapter works on MovieLens-1M, read from
# the GroupLens files as its recipe does: `data.load_ratings("1m")`.
