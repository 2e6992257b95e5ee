"""The inbox: the team's incoming work with its working-day clock, and who has what."""
