"""The `triage` command line: one entry point for every job."""
