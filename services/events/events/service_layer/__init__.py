"""Use cases: each changes state and announces it through one unit of work."""
