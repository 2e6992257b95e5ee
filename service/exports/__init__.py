"""The store read back as a contract extract (`triage export`, fairness and monitoring).

A domain of its own because it reads every other domain's tables (contacts, decisions,
completions, outcomes) and nothing imports it but the reports and the command line.
"""
