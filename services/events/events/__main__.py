"""`python -m events migrate|worker|relay|clock|parked|...`; `--help` lists them all."""

from sanctuary.cli import main

from events.bootstrap import bootstrap

PROCESSES = {"clock": "announce each reminder when it is due"}
raise SystemExit(main(bootstrap, processes=PROCESSES))
