"""`python -m gateway migrate|relay`."""

from sanctuary.cli import main

from gateway.bootstrap import bootstrap

raise SystemExit(main(bootstrap))
