"""`python -m notifications migrate|worker|relay|mailer|parked`."""

from sanctuary.cli import main

from notifications.bootstrap import bootstrap

raise SystemExit(main(bootstrap))
