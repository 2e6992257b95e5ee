"""Stored text checked against the audit trail: every note and contact body against the
fingerprint its audit entry holds (`triage audit verify`).

A domain of its own because it reads every domain's tables and the audit trail, while every
domain writes to the audit trail: inside ``audit`` it would make a cycle.
"""
