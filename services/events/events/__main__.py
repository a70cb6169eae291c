"""`python -m events migrate|worker|relay|parked`."""

from sanctuary.cli import main

from events.bootstrap import bootstrap

raise SystemExit(main(bootstrap))
