"""The features stage: the inbox, the census import and the narrative check, each on its own.

Each runs its own standalone script's measurement (``benchmarks/inbox.py``,
``benchmarks/cin_import.py``, ``benchmarks/narrative_speed.py``), so a figure here is the figure
that script prints.
"""

from __future__ import annotations

from typing import Any

from benchmarks.plan import Plan
from benchmarks.stages import attempt


def features_stage(plan: Plan, progress: Any, results: dict[str, Any]) -> dict[str, Any]:
    """Measure the inbox, the census import and the narrative check; their figures."""
    from benchmarks import cin_import, inbox, narrative_speed

    figures: dict[str, Any] = {}
    with progress.stage(
        f"the inbox of one team with {plan.inbox_items:,} open items", plan.inbox_items / 200
    ):
        found = attempt(
            results, "inbox", lambda: inbox.measure(plan.inbox_items, plan.inbox_requests)
        )
        if found is not None:
            figures["inbox"] = found
    with progress.stage(
        f"the census import of {plan.cin_children:,} children", plan.cin_children / 1_000
    ):
        found = attempt(results, "cin_import", lambda: cin_import.run(plan.cin_children))
        if found is not None:
            figures["cin_import"] = found
    with progress.stage(f"the narrative check, {plan.narrative_runs} runs", 30):
        found = attempt(
            # In a new process: this one may have loaded the model already (in-process stage).
            results,
            "narrative",
            lambda: narrative_speed.measure_fresh(runs=plan.narrative_runs),
        )
        if found is not None:
            figures["narrative"] = found
    return figures
