"""`python -m notifications migrate|worker|relay|mailer|parked|...`; `--help` lists them all."""

from sanctuary.cli import main

from notifications.bootstrap import bootstrap

PROCESSES = {"mailer": "send the planned emails over SMTP"}
raise SystemExit(main(bootstrap, processes=PROCESSES))
