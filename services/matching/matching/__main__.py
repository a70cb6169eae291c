"""`python -m matching migrate|worker|relay|parked`."""

from sanctuary.cli import main

from matching.bootstrap import bootstrap

raise SystemExit(main(bootstrap))
