"""The integrations benchmark's estimator: what tracing adds, paired by round."""

from __future__ import annotations

import statistics

import pytest

from benchmarks.integrations import added_pct, paired_added_pct


def test_a_slow_spell_covering_both_samples_of_a_round_cancels_out() -> None:
    # Every traced sample is 4 % above the bare one of its round; the machine is twice as slow
    # in some rounds, for both samples, and in the last one for the traced sample only.
    slow = [1, 1, 1, 2, 2, 2, 1, 2, 2, 1, 2]
    bare = [0.010 * s for s in slow] + [0.010]
    traced = [0.0104 * s for s in slow] + [0.0208]  # a last round slow for traced only
    samples = {"bare": bare, "ours": traced}
    assert paired_added_pct(samples, "ours") == pytest.approx(4.0)
    # The medians' ratio mixes spells: one slow sample more on the traced side reads as +39 %.
    medians_pct = (statistics.median(traced) / statistics.median(bare) - 1) * 100
    assert medians_pct > 30


def test_added_pct_reads_the_paired_value_and_falls_back_to_the_medians() -> None:
    by_name = {"bare": {"median": 2.0}, "ours": {"median": 2.2}}
    assert added_pct(by_name, "ours") == pytest.approx(10.0)  # results saved before pairing
    assert added_pct({**by_name, "paired_added_pct": 3.5}, "ours") == 3.5


def test_rounds_must_pair_up() -> None:
    with pytest.raises(ValueError, match=r"shorter|longer"):
        paired_added_pct({"bare": [1.0, 1.0], "ours": [1.0]}, "ours")
