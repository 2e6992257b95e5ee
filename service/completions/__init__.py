"""Social-work assessments completed with their outcome (after an assessment decision)."""
