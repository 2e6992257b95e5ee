"""Synthetic demonstration data for a fresh store, loaded through the service's own functions."""
