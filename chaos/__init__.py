"""Fault trials under load: `make chaos` (see chaos/__main__.py)."""
