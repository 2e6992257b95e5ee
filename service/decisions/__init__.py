"""Front-door decisions on contacts and the one rule that flags them for review."""
