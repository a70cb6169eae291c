"""`python -m matching migrate|worker|relay|clock|parked|...`; `--help` lists them all."""

from sanctuary.cli import main

from matching.bootstrap import bootstrap

PROCESSES = {"clock": "run the matcher daily and announce due check-ins"}
raise SystemExit(main(bootstrap, processes=PROCESSES))
