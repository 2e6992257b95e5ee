"""Fit, evaluate, gate and register models."""
