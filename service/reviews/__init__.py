"""The review queue of flagged decisions: list, claim, assign, resolve."""
