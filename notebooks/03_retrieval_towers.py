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
#       epochs: 5
#       seeds:
#       - 0
#       tuning_learning_rates:
#       - 0.2
# ---

# %% [markdown]
# # Shallow vs. deep retrieval towers
#
# A retrieval model picks, out of every movie, the few a user is most likely to want.
# The two-tower design embeds the user (the *query*) and each movie (the *candidate*)
# in the same space and scores a pair by the dot product of their embeddings, so all
# movies can be embedded ahead of time and scored with one matrix product.
#
# This chapter reproduces the keras.io *Deep Recommenders* tutorial
# {cite}`keras2023deeprec` with Keras 3 and keras-rs: towers with one, two and three
# dense layers on the features of the previous chapter, scored by top-100 accuracy.
# Then it asks what that accuracy means (a popularity baseline), trains the same towers
# with the objective of TensorFlow Recommenders, and tunes the deep towers.

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
from recbook import backend_timing, data, features, glue, plots, published, retrieval

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")

# %% [markdown]
# The chapter's parameters: the tutorial's 30 epochs, three seeds per model, and the
# learning rates the tuning study tries. The test suite runs the chapter with 5 epochs
# and one seed.

# %% tags=["parameters"]
variant = "100k"
epochs = 30
seeds = [0, 1, 2]
towers = [[32], [64, 32], [128, 64, 32]]
tuning_learning_rates = [0.1, 0.2]

# %% [markdown]
# ## Features and split
#
# The inputs are those of the featurization chapter, built by `recbook.features`: the
# FeatureSpace adapted to the 100,000 ratings, the candidate set of every movie, and the
# tutorial's 80,000 / 20,000 split. The batches are small enough to hold as arrays, in
# the split's order (the tutorial never reshuffles them).

# %%
ratings = data.load_tfds("ratings", variant)
movies = data.load_tfds("movies", variant)
vectorizer = features.title_vectorizer(movies)
space = features.feature_space(ratings, vectorizer)
candidates = features.candidate_set(movies, vectorizer)
train_ds, test_ds = features.split(
    ratings, features.preprocessor(space, candidates.max_genres)
)
train, test = retrieval.arrays(train_ds), retrieval.arrays(test_ds)
vocab = retrieval.vocabularies(ratings, space, candidates)

# %% tags=["nbval-check-output"]
print(vocab)
print(
    f"train: {len(train[1]):,} ratings; test: {len(test[1]):,}, "
    f"of which {int((test[1] > retrieval.FIVE_STARS).sum()):,} five-star"
)

# %% [markdown]
# ## The towers
#
# The **query tower** embeds the user id, gender, age bin, gender x age cross and
# occupation (32 dimensions each), concatenates the five embeddings and passes them
# through dense layers. The **candidate tower** does the same with the movie id, the
# mean of its title tokens' embeddings and the mean of its genres' embeddings. ReLU
# separates the dense layers; the last layer stays linear, so that embeddings can take
# any sign. Both towers end in the same width, 32, so their outputs can be multiplied.
#
# `recbook.retrieval.RetrievalModel` joins them as the tutorial does:
#
# - training minimises the squared error between the dot product of a rating's user
#   and movie embeddings and the rating rescaled to [0, 1];
# - before each evaluation, the candidate tower embeds all 1,682 movies into a
#   `keras_rs.layers.BruteForceRetrieval(k=100)` index, which returns each query's 100
#   best-scoring movies;
# - the metric, `SparseTopKCategoricalAccuracy(k=100, from_sorted_ids=True)`, is the
#   share of 5-star test ratings whose movie is among the user's 100 retrieved.
#
# The three depths differ only in their dense layers; most of the trainable parameters
# are embedding rows (the retrieval index, a copy of the candidate tower's outputs, is
# not counted):

# %%
model_sizes = pd.DataFrame(
    [
        {
            "towers": str(tuple(sizes)),
            "parameters": retrieval.RetrievalModel(
                sizes, vocab, candidates
            ).trainable_params,
        }
        for sizes in towers
    ]
)

# %% tags=["nbval-check-output"]
print(model_sizes.to_string(index=False))

# %% [markdown]
# ## Training shallow and deep towers
#
# Each depth trains with Adagrad at learning rate 0.05 for 30 epochs, validating every
# 5, once per seed. On this 2-core CPU one run takes seconds, not minutes: the JAX
# backend compiles each training step once.

# %%
runs = {
    str(tuple(sizes)): [
        retrieval.train(
            lambda: retrieval.RetrievalModel(sizes, vocab, candidates),
            train,
            test,
            seed=seed,
            epochs=epochs,
        )
        for seed in seeds
    ]
    for sizes in towers
}
tutorial = pd.DataFrame(
    [retrieval.summarize(r, label=label) for label, r in runs.items()]
)

# %% [markdown]
# Our curves (solid, mean over seeds with a band of one standard deviation) beside the
# tutorial's published run (dashed):

# %%
published_curves = {
    str(sizes): values for sizes, values in published.RETRIEVAL_TOP100.items()
}
fig, ax = plt.subplots(figsize=(7, 4.5))
plots.accuracy_vs_epoch(
    tutorial.to_dict("records"),
    published_curves,
    published.VALIDATION_EPOCHS,
    ax=ax,
    title="Top-100 accuracy vs. epoch, MSE on ratings (the tutorial)",
)
plt.show()

# %% [markdown]
# The final accuracy of each depth beside both published runs of the tutorial (their
# spread is one seed's noise):

# %%
reproduction = tutorial[
    ["label", "params", "accuracy", "accuracy_std", "seconds"]
].assign(
    published=[published.RETRIEVAL_TOP100[tuple(s)][-1] for s in towers],
    published_later_run=[
        published.RETRIEVAL_TOP100_LATER_RUN[tuple(s)][-1] for s in towers
    ],
)
reproduction.rename(
    columns={
        "label": "towers",
        "accuracy": "top-100 (mean)",
        "accuracy_std": "std",
        "seconds": "seconds per run",
    }
).round(4)

# %%
glue.record(
    "towers_params", dict(zip(model_sizes["towers"], model_sizes["parameters"]))
)
glue.record("towers_top100", dict(zip(tutorial["label"], tutorial["accuracy"])))
glue.record("towers_top100_std", dict(zip(tutorial["label"], tutorial["accuracy_std"])))
glue.record("towers_seconds", dict(zip(tutorial["label"], tutorial["seconds"])))
glue.record("shallow_top100", tutorial["accuracy"].iloc[0])

# %% [markdown]
# ## What the model recommends
#
# The shallow model's top 10 for three users, beside movies they rated 5 stars in
# training. A `*` marks a movie the user rated 5 stars in the test split (a hit);
# `(seen)` one they already rated in training: the tutorial's retrieval does not
# filter those out.

# %%
shallow = runs[str(tuple(towers[0]))][0].model
example_users = (42, 200, 655)
for user in example_users:
    print(f"User {user}")
    display(
        retrieval.recommendations({"shallow towers (MSE)": shallow}, user, train, test)
    )

# %% [markdown]
# The lists hardly change from one user to the next. Trained only to predict the
# ratings users gave, the towers rank highest the movies whose embeddings point where
# the average user's does: well-rated films, not necessarily ones this user watches.

# %% [markdown]
# ## What does 0.32 mean? A popularity baseline
#
# The simplest recommender gives everyone the 100 movies with the most training
# ratings. On the same metric:

# %%
popularity_top100 = retrieval.popularity_accuracy(
    train[0]["movie_id"], test[0]["movie_id"], test[1], candidates.movies_count
)

# %% tags=["nbval-check-output"]
print(f"popularity baseline, top-100 accuracy: {popularity_top100:.4f}")

# %%
glue.record("popularity_top100", popularity_top100)

# %% [markdown]
# The popularity list beats every tower of the tutorial. Five-star ratings go mostly
# to popular movies, and the MSE objective never teaches the towers that: it fits the
# ratings users gave, and never sees a movie a user did not rate, so nothing pushes
# unwatched movies down the ranking. Retrieval needs negatives.

# %% [markdown]
# ## An in-batch softmax, as in TensorFlow Recommenders
#
# TensorFlow Recommenders {cite}`tfrs2020deeprec` trains retrieval towers differently:
# each rating in a batch is a positive pair, and the batch's other movies are its
# negatives. The loss is the softmax cross-entropy of each user's positive movie
# among all the batch's movies (summed over the batch). TFRS does not run on Keras 3;
# `RetrievalModel(objective="softmax")` rebuilds the objective from keras-rs pieces and
# Keras ops.
#
# Two details matter:
#
# - **Accidental hits.** A popular movie can appear twice in a batch; for the other
#   user it would count as a negative. Those logits are masked. (keras-rs 0.4's
#   `RemoveAccidentalHits` adds about 1e-40 to them, which changes nothing, so
#   `recbook.retrieval.remove_accidental_hits` masks them itself.)
# - **Sampling bias.** A movie is a negative as often as it appears in batches, so
#   popular movies are pushed down most. The log Q correction
#   (`keras_rs.layers.SamplingProbabilityCorrection`) subtracts the log of each movie's
#   share of training ratings from its logits, which removes that bias {cite}`yi2019sampling`.
#
# Every rating counts as a positive, whatever its stars; the metric is unchanged. We
# keep the tutorial's batches and 30 epochs, with TFRS's learning rate, 0.1. The plain
# softmax, only context here, trains with one seed; the corrected one with three.

# %%
probabilities = retrieval.movie_probabilities(
    train[0]["movie_id"], candidates.movies_count
)
softmax_runs = {}
for correction in (False, True):
    for sizes in towers:
        build = lambda: retrieval.RetrievalModel(
            sizes,
            vocab,
            candidates,
            objective="softmax",
            movie_probabilities=probabilities if correction else None,
        )
        label = f"{tuple(sizes)}{', log Q' if correction else ''}"
        softmax_runs[label] = [
            retrieval.train(
                build, train, test, seed=seed, epochs=epochs, learning_rate=0.1
            )
            for seed in (seeds if correction else seeds[:1])
        ]
softmax = pd.DataFrame(
    [retrieval.summarize(r, label=label) for label, r in softmax_runs.items()]
)

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
plots.accuracy_vs_epoch(
    softmax[~softmax["label"].str.contains("log Q")].to_dict("records"),
    ax=axes[0],
    title="In-batch softmax",
)
plots.accuracy_vs_epoch(
    softmax[softmax["label"].str.contains("log Q")].to_dict("records"),
    ax=axes[1],
    title="In-batch softmax with log Q correction",
)
for ax in axes:
    ax.axhline(
        popularity_top100, color="grey", linestyle=":", label="popularity baseline"
    )
    ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# The final accuracies, with the TFRS tutorial's (its own features, 300 epochs,
# batches of 2,048; about 0.27 for one layer and 0.29 for two, less for three):

# %%
softmax_table = softmax[
    ["label", "seeds", "accuracy", "accuracy_std", "seconds"]
].assign(
    tfrs_published=[published.TFRS_TOP100.get(tuple(s)) for s in towers]
    + [None] * len(towers)
)
softmax_table.rename(
    columns={
        "label": "towers",
        "accuracy": "top-100 (mean)",
        "accuracy_std": "std",
        "seconds": "seconds per run",
    }
).round(4)

# %%
glue.record("softmax_top100", dict(zip(softmax["label"], softmax["accuracy"])))
glue.record("softmax_top100_std", dict(zip(softmax["label"], softmax["accuracy_std"])))
corrected = softmax[softmax["label"].str.contains("log Q")]
glue.record("log_q_worst_top100", corrected["accuracy"].min())
best_softmax = corrected.sort_values("accuracy", ascending=False).iloc[0]
glue.record("best_model", best_softmax["label"])
glue.record("best_top100", best_softmax["accuracy"])
glue.record("best_top100_std", best_softmax["accuracy_std"])

# %% [markdown]
# The plain in-batch softmax lands below the TFRS figures (which came from other
# features and 300 epochs) and below the MSE towers: it learns which movies a user
# watches *rather than* popular ones. With the log Q
# correction, the same towers and batches beat the popularity list by a wide margin.
# The one-layer model peaks within a few epochs and then overfits; the deeper towers
# hold on and end best: with this objective, depth helps.
#
# The same three users, now with the corrected softmax model beside the shallow MSE one:

# %%
best_softmax_model = softmax_runs[best_softmax["label"]][0].model
for user in example_users:
    print(f"User {user}")
    display(
        retrieval.recommendations(
            {
                "shallow towers (MSE)": shallow,
                f"{best_softmax['label']} (softmax)": best_softmax_model,
            },
            user,
            train,
            test,
        )
    )

# %% [markdown]
# ## Tuning the deep towers
#
# The tutorial ends noting that deeper models need tuning. A small study, on the
# tutorial's MSE objective: the two deep towers at two larger learning rates. To keep
# the test split out of the choice, each candidate trains on the first 70,000 training
# ratings and is validated on the last 10,000; the best (towers, learning rate, epoch)
# is then retrained on all 80,000 with three seeds and scored on the test split once.

# %%
fit_part, validation_part = (
    retrieval.rows(train, slice(0, 70_000)),
    retrieval.rows(train, slice(70_000, None)),
)
tuning = []
for sizes in towers[1:]:
    for learning_rate in tuning_learning_rates:
        run = retrieval.train(
            lambda: retrieval.RetrievalModel(sizes, vocab, candidates),
            fit_part,
            validation_part,
            seed=seeds[0],
            epochs=epochs,
            learning_rate=learning_rate,
        )
        best = int(np.argmax(run.accuracy))
        tuning.append(
            {
                "towers": str(tuple(sizes)),
                "sizes": sizes,
                "learning rate": learning_rate,
                "best epoch": run.epochs[best],
                "validation top-100": run.accuracy[best],
            }
        )
tuning = pd.DataFrame(tuning)
tuning.drop(columns="sizes").round(4)

# %%
chosen = tuning.sort_values("validation top-100", ascending=False).iloc[0]
tuned_runs = [
    retrieval.train(
        lambda: retrieval.RetrievalModel(chosen["sizes"], vocab, candidates),
        train,
        test,
        seed=seed,
        epochs=int(chosen["best epoch"]),
        learning_rate=chosen["learning rate"],
    )
    for seed in seeds
]
tuned = retrieval.summarize(
    tuned_runs,
    label=f"{chosen['towers']}, lr {chosen['learning rate']}, "
    f"{chosen['best epoch']} epochs",
)
print(
    f"tuned {tuned['label']}: test top-100 {tuned['accuracy']:.4f} +/- {tuned['accuracy_std']:.4f}; "
    f"the shallow tutorial model: {tutorial['accuracy'].iloc[0]:.4f} +/- {tutorial['accuracy_std'].iloc[0]:.4f}"
)

# %%
glue.record("tuned_model", tuned["label"])
glue.record("tuned_top100", tuned["accuracy"])
glue.record("tuned_top100_std", tuned["accuracy_std"])

# %% [markdown]
# A larger learning rate and an earlier stop let a deep tower peak before it overfits.
# Tuned this way (the choice: {glue:text}`tuned_model`), the deep towers reach a test
# top-100 accuracy of {glue:text}`tuned_top100:.3f` against the shallow model's
# {glue:text}`shallow_top100:.3f`: deeper towers do help once tuned, by a few
# hundredths, far less than changing the objective.

# %% [markdown]
# ## Ranking metrics
#
# Top-100 accuracy counts each 5-star rating once, so active users weigh more. The
# ranking metrics of `keras_rs.metrics` score each user's whole ranking of the 1,682
# movies instead, against the movies they rated 5 stars in the test split, then
# average over users: recall@k (the share of those movies in the top k) and NDCG@k
# (which also rewards ranking them higher).

# %%
users, queries = retrieval.users_queries(test[0])
relevant = retrieval.relevance(test[0], test[1], users, candidates.movies_count)
popularity_scores = np.broadcast_to(
    retrieval.movie_counts(train[0]["movie_id"], candidates.movies_count).astype(
        "float32"
    ),
    relevant.shape,
)
finalists = {
    "popularity": popularity_scores,
    f"shallow {tuple(towers[0])}, MSE": shallow.scores(queries),
    f"tuned {tuned['label']}, MSE": tuned_runs[0].model.scores(queries),
    f"{best_softmax['label']}, softmax": best_softmax_model.scores(queries),
}
ranking = pd.DataFrame(
    [
        {"model": name, **retrieval.ranking_metrics(scores, relevant)}
        for name, scores in finalists.items()
    ]
)
ranking.round(4)

# %%
glue.record("ranking_metrics", ranking.set_index("model").to_dict("index"))

# %% [markdown]
# The corrected softmax model finds the most of each user's 5-star movies in its top 10
# and top 100. At the very top, popularity is hard to beat: the most-rated movies are
# safe first picks, which NDCG@10, weighting the first ranks most, rewards.

# %% [markdown]
# ## Training time, and the backend
#
# Wall time of one 30-epoch run (validations included) on this 2-core CPU, per model:

# %%
timing = pd.concat(
    [tutorial.assign(objective="MSE"), softmax.assign(objective="in-batch softmax")]
)
fig, ax = plt.subplots(figsize=(7, 4))
ax.barh(
    timing["objective"] + ", " + timing["label"],
    timing["seconds"],
    label="mean over seeds",
)
ax.set_xlabel("wall time of one training run (s)")
ax.set_title(f"Training time, {epochs} epochs of 80 batches")
ax.legend()
plt.show()

# %% [markdown]
# The book uses Keras's JAX backend; TensorFlow still reads the data. The same
# one-layer model, on the same arrays, trained once with each backend (each in its own
# process, since Keras picks its backend once per process):

# %%
backend_times = backend_timing.compare_backends(
    train, test, vocab, candidates, epochs=epochs
)
for backend in backend_timing.BACKENDS:
    print(
        f"{backend:>10}: {backend_times[backend]['seconds']:.1f} s, "
        f"top-100 {backend_times[backend]['accuracy']:.4f}"
    )
print(f"TensorFlow / JAX time: {backend_times['ratio']:.2f}x")

# %%
glue.record(
    "backend_seconds", {b: backend_times[b]["seconds"] for b in backend_timing.BACKENDS}
)
glue.record("jax_speedup", backend_times["ratio"])

# %% [markdown]
# The accuracies differ a little: the backends draw different initial weights from the
# same seed.

# %% [markdown]
# ## What we learned
#
# - The tutorial reproduces: one layer reaches a top-100 accuracy of
#   {glue:text}`shallow_top100:.3f` (published 0.322), and deeper towers do no better
#   with the tutorial's settings.
# - Recommending the 100 most-rated movies to everyone scores
#   {glue:text}`popularity_top100:.3f`, more than any tower trained on ratings alone.
# - The objective matters more than depth: an in-batch softmax with the log Q
#   correction reaches {glue:text}`best_top100:.3f` with {glue:text}`best_model`
#   towers (mean over three seeds), and at least {glue:text}`log_q_worst_top100:.3f`
#   with any depth: past the book's goal of 0.35.
# - Tuned on held-out training ratings, the deep MSE towers reach
#   {glue:text}`tuned_top100:.3f` ({glue:text}`tuned_model`).
# - JAX trains the one-layer model {glue:text}`jax_speedup:.1f` times faster than the
#   TensorFlow backend on this CPU.
