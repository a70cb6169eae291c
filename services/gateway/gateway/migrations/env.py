"""Alembic environment: the shared runner does the work."""

from sanctuary.migrations import run_env

run_env()
