"""Outcomes (need within 12 months) recorded when they become known, and the store's export."""
