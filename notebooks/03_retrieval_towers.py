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
#       tuning_seeds:
#       - 0
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
# with the objective of TensorFlow Recommenders, and tunes every depth alike.

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
from recbook import (
    backend_timing,
    evidence,
    features,
    glue,
    plots,
    published,
    records,
    retrieval,
    training,
)

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")

# %% [markdown]
# The chapter's parameters: the tutorial's 30 epochs, three seeds per model, and the
# learning rates and seeds of the tuning study. The test suite runs the chapter with 5
# epochs and one seed.

# %% tags=["parameters"]
variant = "100k"
epochs = 30
seeds = [0, 1, 2]
towers = [[32], [64, 32], [128, 64, 32]]
tuning_learning_rates = [0.05, 0.1, 0.2]
tuning_seeds = [0, 1]

# %% [markdown]
# ## Features and split
#
# The inputs are those of the featurization chapter, built by
# `recbook.features.retrieval_problem`: the FeatureSpace adapted to the 100,000
# ratings, the candidate set of every movie, and the tutorial's 80,000 / 20,000 split.
# The batches are small enough to hold as arrays, in the split's order (the tutorial
# never reshuffles them).

# %%
problem = features.retrieval_problem(variant)
train_inputs, train_labels = problem.train
test_inputs, test_labels = problem.test
five_star_tests = int((test_labels > retrieval.FIVE_STARS).sum())

# %% tags=["wrap-output", "nbval-check-output"]
print("table sizes:", ", ".join(f"{k} {v:,}" for k, v in vars(problem.vocab).items()))
print(
    f"train: {len(train_labels):,} ratings; test: {len(test_labels):,}, "
    f"of which {five_star_tests:,} five-star"
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
#   share of test ratings whose movie is among the user's 100 retrieved.
#
# Which test ratings count matters. The keras.io tutorial counts only the **5-star**
# ones; TensorFlow Recommenders' `FactorizedTopK` counts **all** of them. The model
# reports both, and every table below shows both.
#
# The three depths differ only in their dense layers; most of the trainable parameters
# are embedding rows (the retrieval index, a copy of the candidate tower's outputs, is
# not counted):

# %% [markdown]
# The two towers, as `recbook.retrieval` defines them:
#
# ```{literalinclude} ../src/recbook/retrieval.py
# :pyobject: QueryTower
# :caption: recbook/retrieval.py
# ```
#
# ```{literalinclude} ../src/recbook/retrieval.py
# :pyobject: CandidateTower
# :caption: recbook/retrieval.py
# ```

# %%
model_sizes = pd.DataFrame(
    [
        {
            "towers": str(tuple(sizes)),
            "parameters": retrieval.RetrievalModel(
                sizes, problem.vocab, problem.candidates
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
def mse_towers(sizes):
    return lambda: retrieval.RetrievalModel(sizes, problem.vocab, problem.candidates)


tutorial_runs = {
    str(tuple(sizes)): retrieval.fit_seeds(
        mse_towers(sizes), problem, seeds, epochs=epochs
    )
    for sizes in towers
}
tutorial = pd.DataFrame(
    [training.summarize(runs, label=label) for label, runs in tutorial_runs.items()]
)

# %% [markdown]
# Our curves (solid, mean over seeds with a band of one standard deviation) beside the
# tutorial's published run (dashed), on the tutorial's metric:

# %% tags=["hide-input"]
published_curves = {
    str(sizes): values for sizes, values in published.RETRIEVAL_TOP100.items()
}
fig, ax = plt.subplots(figsize=(7, 4.5))
plots.accuracy_vs_epoch(
    tutorial.to_dict("records"),
    published_curves,
    published.VALIDATION_EPOCHS,
    ax=ax,
    title="Top-100 accuracy vs. epoch, MSE on ratings",
)
plt.show()

# %% [markdown]
# The final accuracy of each depth on both metrics, beside the tutorial's two
# published runs. A depth reproduces the tutorial when ours lies within the
# tolerance of `recbook.evidence.tolerance`: twice the spread of the two published
# runs (one run's noise, twice: theirs and another like it) plus three of our seed
# standard deviations.

# %% tags=["wide-table"]
reproduction = pd.DataFrame(
    [
        {
            "towers": row["label"],
            "5-star": row["accuracy"],
            "std": row["accuracy_std"],
            "all ratings": row["accuracy_all"],
            "published": published.RETRIEVAL_TOP100[tuple(sizes)][-1],
            "later run": published.RETRIEVAL_TOP100_LATER_RUN[tuple(sizes)][-1],
            "tolerance": evidence.tolerance(
                (
                    published.RETRIEVAL_TOP100[tuple(sizes)][-1],
                    published.RETRIEVAL_TOP100_LATER_RUN[tuple(sizes)][-1],
                ),
                row["accuracy_std"],
            ),
        }
        for sizes, row in zip(towers, tutorial.to_dict("records"))
    ]
)
reproduction.assign(
    within=(reproduction["5-star"] - reproduction["published"]).abs()
    <= reproduction["tolerance"]
).round(4)

# %% tags=["remove-cell"]
glue.record(
    records.TOWERS,
    {
        row["label"]: records.fields(row, records.RETRIEVAL_FIELDS)
        for row in tutorial.to_dict("records")
    },
)
glue.record(records.SHALLOW_TOP100, tutorial["accuracy"].iloc[0])

# %% [markdown]
# ## What the model recommends
#
# The shallow model's top 10 for three users, beside movies they rated 5 stars in
# training. A `*` marks a movie the user rated 5 stars in the test split (a hit);
# `(seen)` one they already rated in training: the tutorial's retrieval does not
# filter those out.

# %%
shallow = tutorial_runs[str(tuple(towers[0]))][0].model
example_users = (42, 200, 655)
for user in example_users:
    print(f"User {user}")
    display(
        retrieval.recommendations(
            {"shallow towers (MSE)": shallow}, user, problem.train, problem.test
        )
    )

# %% [markdown]
# The lists hardly change from one user to the next. Trained only to predict the
# ratings users gave, the towers rank highest the movies whose embeddings point where
# the average user's does: well-rated films, not necessarily ones this user watches.

# %% [markdown]
# ## What does 0.32 mean? A popularity baseline
#
# The simplest recommender gives everyone the 100 movies with the most training
# ratings. On both metrics:

# %%
popularity = {
    metric: retrieval.popularity_accuracy(
        train_inputs["movie_id"],
        test_inputs["movie_id"],
        test_labels,
        problem.candidates.movies_count,
        five_stars_only=metric == "accuracy",
    )
    for metric in retrieval.METRICS
}

# %% tags=["nbval-check-output"]
print(
    f"popularity baseline, top-100 accuracy on 5-star test ratings: "
    f"{popularity['accuracy']:.4f}"
)
print(
    f"popularity baseline, top-100 accuracy on all test ratings:    "
    f"{popularity['accuracy_all']:.4f}"
)

# %% tags=["remove-cell"]
glue.record(records.POPULARITY, popularity)
glue.record(records.POPULARITY_TOP100, popularity["accuracy"])
glue.record(records.POPULARITY_TOP100_ALL, popularity["accuracy_all"])

# %% [markdown]
# The popularity list beats every tower of the tutorial. Five-star ratings go mostly
# to popular movies, and the MSE objective never teaches the towers that: it fits the
# ratings users gave, and never sees a movie a user did not rate, so nothing pushes
# unwatched movies down the ranking. Retrieval needs negatives.
#
# The metric matters as much: counting every test rating, popularity scores
# {glue:text}`popularity_top100_all:.3f`, much less than on 5-star ratings only, and
# the MSE towers lose even more (the table above).

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
#   (`keras_rs.layers.SamplingProbabilityCorrection`) subtracts the log of each
#   movie's share of training ratings from its logits, which removes that bias
#   {cite}`yi2019sampling`.
#
# Every rating counts as a positive, whatever its stars. We keep the tutorial's
# batches and 30 epochs, with TFRS's learning rate, 0.1, and three seeds.

# %% [markdown]
# The loss of `RetrievalModel`, and how it leaves out the accidental hits:
#
# ```{literalinclude} ../src/recbook/retrieval.py
# :pyobject: RetrievalModel.compute_loss
# :dedent:
# :caption: recbook/retrieval.py
# ```
#
# ```{literalinclude} ../src/recbook/retrieval.py
# :pyobject: remove_accidental_hits
# :caption: recbook/retrieval.py
# ```

# %%
probabilities = retrieval.movie_probabilities(
    train_inputs["movie_id"], problem.candidates.movies_count
)


def softmax_towers(sizes, correction):
    return lambda: retrieval.RetrievalModel(
        sizes,
        problem.vocab,
        problem.candidates,
        objective="softmax",
        movie_probabilities=probabilities if correction else None,
    )


softmax_runs = {
    f"{tuple(sizes)}{', log Q' if correction else ''}": retrieval.fit_seeds(
        softmax_towers(sizes, correction),
        problem,
        seeds,
        epochs=epochs,
        learning_rate=0.1,
    )
    for correction in (False, True)
    for sizes in towers
}
softmax = pd.DataFrame(
    [training.summarize(runs, label=label) for label, runs in softmax_runs.items()]
)

# %% tags=["hide-input"]
corrected = softmax["label"].str.contains("log Q")
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
plots.accuracy_vs_epoch(
    softmax[~corrected].to_dict("records"), ax=axes[0], title="In-batch softmax"
)
plots.accuracy_vs_epoch(
    softmax[corrected].to_dict("records"),
    ax=axes[1],
    title="In-batch softmax with log Q correction",
)
for ax in axes:
    ax.axhline(
        popularity["accuracy"], color="grey", linestyle=":", label="popularity baseline"
    )
    ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# The final accuracies on both metrics. The TFRS tutorial's figures (its own
# features, 300 epochs, batches of 2,048; about 0.27 for one layer and 0.29 for two,
# less for three) count all test ratings, so they belong beside the `all ratings`
# column only:

# %%
softmax_table = pd.DataFrame(
    {
        "towers": softmax["label"],
        "5-star": softmax["accuracy"],
        "std": softmax["accuracy_std"],
        "all ratings": softmax["accuracy_all"],
        "std (all)": softmax["accuracy_all_std"],
        "TFRS (all)": [published.TFRS_TOP100.get(tuple(s)) for s in towers]
        + [None] * len(towers),
    }
)
best_softmax = softmax[corrected].sort_values("accuracy", ascending=False).iloc[0]
softmax_table.round(4)

# %% tags=["remove-cell"]
glue.record(
    records.SOFTMAX,
    {
        row["label"]: records.fields(row, records.RETRIEVAL_FIELDS)
        for row in softmax.to_dict("records")
    },
)
glue.record(records.LOG_Q_WORST_TOP100, softmax[corrected]["accuracy"].min())
glue.record(records.BEST_MODEL, best_softmax["label"])
glue.record(records.BEST_TOP100, best_softmax["accuracy"])
glue.record(records.BEST_TOP100_ALL, best_softmax["accuracy_all"])

# %% [markdown]
# The metric decides the ordering. On 5-star ratings the plain in-batch softmax trails
# the MSE towers at every depth. On all ratings, TFRS's own metric, its one- and
# two-layer towers lead them (the three-layer one varies too much from seed to seed
# to say), though they stay below TFRS's figures (which came from other features and
# 300 epochs) and below popularity alone ({glue:text}`popularity_top100_all:.3f`).
# With the log Q correction, the same towers and batches beat the popularity list on
# both metrics.
#
# The same three users, now with the best corrected softmax model beside the shallow
# MSE one:

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
            problem.train,
            problem.test,
        )
    )

# %% [markdown]
# ## Does depth help once tuned?
#
# The tutorial ends noting that deeper models need tuning. A fair answer gives every
# depth the same budget: on the tutorial's MSE objective, each depth tries the same
# learning rates with the same seeds, and may stop at any validation epoch. To keep
# the test split out of the choice, each candidate trains on the first 70,000
# training ratings (`retrieval.holdout`) and is validated on the last 10,000; each
# depth's best (learning rate, epoch), by mean validation accuracy over the seeds,
# is then retrained on all 80,000 with three seeds and scored on the test split once.

# %%
tuning_problem = retrieval.holdout(problem, 70_000)
tuning = []
for sizes in towers:
    for learning_rate in tuning_learning_rates:
        runs = retrieval.fit_seeds(
            mse_towers(sizes),
            tuning_problem,
            tuning_seeds,
            epochs=epochs,
            learning_rate=learning_rate,
        )
        curve = training.summarize(runs)["accuracy_curve"]
        best = int(np.argmax(curve))
        tuning.append(
            {
                "towers": str(tuple(sizes)),
                "learning rate": learning_rate,
                "best epoch": runs[0].epochs[best],
                "validation top-100": curve[best],
            }
        )
tuning = pd.DataFrame(tuning)
tuning.round(4)

# %% tags=["wide-table"]
choices = tuning.loc[
    tuning.groupby("towers", sort=False)["validation top-100"].idxmax()
]
tuned = pd.DataFrame(
    [
        training.summarize(
            retrieval.fit_seeds(
                mse_towers(sizes),
                problem,
                seeds,
                epochs=int(row["best epoch"]),
                learning_rate=row["learning rate"],
            ),
            label=row["towers"],
            learning_rate=row["learning rate"],
            stop_epoch=int(row["best epoch"]),
        )
        for sizes, row in zip(towers, choices.to_dict("records"))
    ]
)
tuned[
    [
        "label",
        "learning_rate",
        "stop_epoch",
        "accuracy",
        "accuracy_std",
        "accuracy_all",
        "accuracy_all_std",
    ]
].round(4)

# %% [markdown]
# Is the best tuned depth better than the tuned shallow towers? The difference counts
# only when it exceeds twice its seed-to-seed spread (`recbook.evidence.compare`):

# %% tags=["wrap-output"]
shallow_tuned = tuned.iloc[0]
deep_tuned = tuned.iloc[1:].sort_values("accuracy", ascending=False).iloc[0]
depth_after_tuning = evidence.compare(
    deep_tuned["accuracy"],
    deep_tuned["accuracy_std"],
    shallow_tuned["accuracy"],
    shallow_tuned["accuracy_std"],
).describe(f"tuned {deep_tuned['label']}", f"tuned {shallow_tuned['label']}")
print(depth_after_tuning)

# %% tags=["remove-cell"]
glue.record(
    records.TUNED,
    {
        row["label"]: records.fields(
            row, (*records.RETRIEVAL_FIELDS, "learning_rate", "stop_epoch")
        )
        for row in tuned.to_dict("records")
    },
)
glue.record(records.DEPTH_AFTER_TUNING, depth_after_tuning)

# %% [markdown]
# A larger learning rate and an earlier stop let every depth peak before it
# overfits. With the same budget for each, the answer is the line above: tuning
# moves every depth by a few hundredths at most, far less than changing the
# objective does.

# %% [markdown]
# ## Ranking metrics
#
# Top-100 accuracy counts each test rating once, so active users weigh more. The
# ranking metrics of `keras_rs.metrics` score each user's whole ranking of the 1,682
# movies instead, against the movies they rated in the test split (5 stars only, or
# all), then average over users: recall@k (the share of those movies in the top k)
# and NDCG@k (which also rewards ranking them higher).

# %%
users, queries = retrieval.users_queries(test_inputs)
counts = retrieval.movie_counts(
    train_inputs["movie_id"], problem.candidates.movies_count
)
finalists = {
    "popularity": np.broadcast_to(counts.astype("float32"), (len(users), len(counts))),
    f"shallow {tuple(towers[0])}, MSE": shallow.scores(queries),
    f"{best_softmax['label']}, softmax": best_softmax_model.scores(queries),
}
ranking = {}
for relevant_name, five_stars_only in (("5-star", True), ("all ratings", False)):
    relevant = retrieval.relevance(
        test_inputs,
        test_labels,
        users,
        problem.candidates.movies_count,
        five_stars_only,
    )
    ranking[relevant_name] = {
        name: retrieval.ranking_metrics(scores, relevant)
        for name, scores in finalists.items()
    }
pd.concat(
    {name: pd.DataFrame(table).T for name, table in ranking.items()},
    names=["relevant", "model"],
).round(4)

# %% tags=["remove-cell"]
glue.record(records.RANKING, ranking)

# %% [markdown]
# The corrected softmax model finds the most of each user's test movies in its top
# 10 and top 100, on both definitions of relevant. At the very top, popularity is
# hard to beat on 5-star ratings: the most-rated movies are safe first picks, which
# NDCG@10, weighting the first ranks most, rewards.

# %% [markdown]
# ## Training time, and the backend
#
# Wall time of one 30-epoch run (validations included) on this 2-core CPU, per model:

# %% tags=["hide-input"]
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
backend_times = backend_timing.compare_backends(problem, epochs=epochs)
for backend in backend_timing.BACKENDS:
    print(
        f"{backend:>10}: {backend_times[backend]['seconds']:.1f} s, "
        f"top-100 {backend_times[backend]['accuracy']:.4f}"
    )
print(f"TensorFlow / JAX time: {backend_times['ratio']:.2f}x")

# %% tags=["remove-cell"]
glue.record(
    records.BACKEND_SECONDS,
    {b: backend_times[b]["seconds"] for b in backend_timing.BACKENDS},
)
glue.record(records.JAX_SPEEDUP, backend_times["ratio"])

# %% [markdown]
# The accuracies differ a little: the backends draw different initial weights from the
# same seed.

# %% [markdown]
# ## What we learned
#
# - The tutorial reproduces: one layer reaches a top-100 accuracy of
#   {glue:text}`shallow_top100:.3f` on 5-star test ratings (published 0.322), and
#   deeper towers do no better with the tutorial's settings.
# - Which ratings a metric counts changes the ranking of models: TFRS's figures count
#   all test ratings, on which popularity alone scores
#   {glue:text}`popularity_top100_all:.3f`.
# - Recommending the 100 most-rated movies to everyone scores
#   {glue:text}`popularity_top100:.3f` on 5-star ratings, more than any tower trained
#   on ratings alone.
# - The objective matters more than depth: an in-batch softmax with the log Q
#   correction reaches {glue:text}`best_top100:.3f` on 5-star ratings
#   ({glue:text}`best_top100_all:.3f` on all) with {glue:text}`best_model` towers,
#   and at least {glue:text}`log_q_worst_top100:.3f` with any depth, over three
#   seeds: so yes, a two-tower model can pass 0.35.
# - With the same tuning budget for every depth: {glue:text}`depth_after_tuning`.
# - JAX trains the one-layer model {glue:text}`jax_speedup:.1f` times faster than the
#   TensorFlow backend on this CPU.
