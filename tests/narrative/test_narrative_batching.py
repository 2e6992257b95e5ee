"""Runs of the sentence model: sentences grouped by length so little time goes on padding."""

from __future__ import annotations

from narrative.batching import plan


def _cost(groups: list[list[int]], lengths: list[int], run_cost: int) -> int:
    return sum(run_cost + len(g) * max(lengths[i] for i in g) for g in groups)


def test_every_sentence_is_in_exactly_one_run_shortest_first():
    lengths = [16, 20, 10, 19, 16, 15, 17, 18, 14, 12]
    groups = plan(lengths, run_cost=12, limit=16)
    flat = [i for group in groups for i in group]
    assert sorted(flat) == list(range(10))
    assert [lengths[i] for i in flat] == sorted(lengths)


def test_one_long_sentence_gets_a_run_of_its_own():
    lengths = [8, 9, 10, 9, 120]
    assert plan(lengths, run_cost=12, limit=16) == [[0, 1, 3, 2], [4]]


def test_sentences_of_one_length_share_one_run():
    assert plan([14] * 10, run_cost=12, limit=16) == [list(range(10))]


def test_no_run_is_longer_than_the_limit():
    groups = plan([20] * 40, run_cost=12, limit=16)
    assert max(len(g) for g in groups) <= 16 and sum(len(g) for g in groups) == 40


def test_the_plan_costs_no_more_than_one_batch_or_one_run_each():
    lengths = [16, 20, 10, 19, 16, 15, 17, 18, 14, 12, 33, 5]
    best = _cost(plan(lengths, run_cost=12, limit=16), lengths, 12)
    assert best <= _cost([list(range(12))], lengths, 12)
    assert best <= _cost([[i] for i in range(12)], lengths, 12)
    assert best < _cost([list(range(12))], lengths, 12)  # here a split really helps


def test_no_sentences_no_runs():
    assert plan([], run_cost=12, limit=16) == []
