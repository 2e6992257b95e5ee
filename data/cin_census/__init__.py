"""The Children in Need census: read returns (XML), map them to contract rows, write synthetic ones.

See docs/cin-census.md for the mapping, the outcome rules and their limits.
"""
