"""The monitoring report of the service's own store."""
