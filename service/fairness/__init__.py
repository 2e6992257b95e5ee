"""The fairness audit of the service's own stored contacts and decisions."""
