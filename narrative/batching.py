"""Which sentences go into each model run, so that little time is spent on padding.

A run pads every sentence to its longest, and each run has a fixed cost of its own, so one
batch of all sentences pads short ones to the longest and one run per sentence pays the fixed
cost many times. Sorted by length, the sentences are cut into the consecutive groups whose
padded tokens plus runs (each counted as ``run_cost`` tokens) are fewest.
"""

from __future__ import annotations

from collections.abc import Sequence


def plan(lengths: Sequence[int], *, run_cost: int, limit: int) -> list[list[int]]:
    """Group sentence indices into runs of at most ``limit``, shortest first, least padded cost."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    sizes = [lengths[i] for i in order]
    # best[j]: the least cost of the first j sentences; cut[j]: where its last run starts.
    best, cut = [0] + [0] * len(sizes), [0] * (len(sizes) + 1)
    for end in range(1, len(sizes) + 1):
        options = (
            (best[start] + run_cost + (end - start) * sizes[end - 1], start)
            for start in range(max(0, end - limit), end)
        )
        best[end], cut[end] = min(options)
    groups, end = [], len(sizes)
    while end:
        groups.append(order[cut[end] : end])
        end = cut[end]
    return groups[::-1]
