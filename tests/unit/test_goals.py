"""recbook.records.Goal and recbook.baselines.gain_share: a goal's threshold is one finite
number stated in its question, and its verdict and the shares it judges come from
finite figures only."""

from __future__ import annotations

import re

from recbook import baselines, records

import numpy as np
import pytest

NAN, INF = float("nan"), float("inf")


def goal(question="Below {limit}?", record="gap", limit=0.03, **more):
    return records.Goal(question, record, limit, "why", **more)


def test_a_goal_is_met_strictly_past_its_limit_on_either_side():
    below = goal(lower_is_better=True)
    assert below.text == "Below 0.03?"
    assert below.verdict(0.0299) == "met" and below.verdict(0.03) == "not met"
    above = goal("Keeps more than {limit:.0%}?", "share", 0.5)
    assert above.text == "Keeps more than 50%?"
    assert above.verdict(0.51) == "met" and above.verdict(0.5) == "not met"
    assert above.verdict(np.float64(0.51)) == "met"


@pytest.mark.parametrize("value", [NAN, INF, -INF])
def test_a_verdict_needs_a_finite_figure(value):
    # NaN compared with the limit said "not met", inf "met": neither is a verdict.
    for which in (goal(), goal(lower_is_better=True)):
        with pytest.raises(
            ValueError, match="the figure 'gap' of its goal must be a finite number"
        ):
            which.verdict(value)
        with pytest.raises(ValueError, match="the figure 'gap' of its goal"):
            which.met(value)


@pytest.mark.parametrize("value", [None, "0.01", True])
def test_a_verdict_needs_a_number(value):
    with pytest.raises(
        TypeError, match="the figure 'gap' of its goal must be a finite"
    ):
        goal().verdict(value)


@pytest.mark.parametrize("limit", [NAN, INF, -INF])
def test_a_limit_must_be_finite(limit):
    with pytest.raises(
        ValueError, match="the limit of goal 'gap' must be a finite number"
    ):
        goal(limit=limit)


@pytest.mark.parametrize("limit", [None, "0.03", True])
def test_a_limit_must_be_a_number(limit):
    with pytest.raises(TypeError, match="the limit of goal 'gap' must be a finite"):
        goal(limit=limit)


def test_a_question_must_state_its_limit_not_type_it():
    # The question says 0.03, the verdict would use 0.05: two thresholds.
    with pytest.raises(
        ValueError,
        match=re.escape(
            "the question of goal 'gap' must state its threshold as {limit}, not typed"
        ),
    ):
        goal("Below 0.03?", limit=0.05)


@pytest.mark.parametrize(
    "question, placeholder",
    [
        ("Below {limt}?", "{limt}"),
        ("Below {Limit}?", "{Limit}"),
        ("{0} {limit}", "{0}"),
    ],
)
def test_a_misspelt_placeholder_is_named_with_its_goal(question, placeholder):
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"the question of goal 'gap' holds the placeholder {placeholder}"
        ),
    ):
        goal(question)


def test_a_question_that_cannot_be_filled_in_is_refused_with_its_goal():
    with pytest.raises(ValueError, match="question of goal 'gap' cannot be filled in"):
        goal("Below {limit:.0q}?")
    with pytest.raises(ValueError, match="question of goal 'gap' is not a format"):
        goal("Below {limit?")
    with pytest.raises(TypeError, match="question of goal 'gap' must be a string"):
        goal(None)


def test_a_goal_names_its_record_and_a_bool_direction():
    with pytest.raises(ValueError, match="a goal's record must be the name"):
        goal(record="")
    with pytest.raises(TypeError, match="a goal's record must be the name"):
        goal(record=None)
    with pytest.raises(TypeError, match="lower_is_better of goal 'gap' must be True"):
        goal(lower_is_better="no")


# --- gain_share ----------------------------------------------------------------


def test_gain_share_by_hand_with_numpy_figures_alike():
    # (0.72 - 0.70) / (0.72 - 0.68) = 0.5, also from float64 and float32 MAEs.
    assert baselines.gain_share(0.70, 0.72, 0.68) == pytest.approx(0.5)
    assert baselines.gain_share(*np.float64([0.70, 0.72, 0.68])) == pytest.approx(0.5)
    assert baselines.gain_share(*np.float32([0.70, 0.72, 0.68])) == pytest.approx(
        0.5, abs=1e-5
    )


@pytest.mark.parametrize("name", ["mae", "bias_mae", "full_mae"])
@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_gain_share_refuses_figures_that_are_not_finite(name, bad):
    maes = {"mae": 0.70, "bias_mae": 0.72, "full_mae": 0.68, name: bad}
    with pytest.raises(ValueError, match=f"^{name} must be a finite number"):
        baselines.gain_share(**maes)


def test_gain_share_refuses_a_missing_figure_and_a_level_pair():
    with pytest.raises(TypeError, match="^bias_mae must be a finite number"):
        baselines.gain_share(0.70, None, 0.68)
    with pytest.raises(ValueError, match="full_mae equals bias_mae .*no gain to share"):
        baselines.gain_share(0.70, 0.68, 0.68)
