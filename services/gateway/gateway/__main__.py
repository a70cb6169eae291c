"""`python -m gateway migrate|relay|...`, and the coordinator account and group commands."""

from sanctuary.cli import main

from gateway.bootstrap import bootstrap
from gateway.entrypoints import admin

raise SystemExit(main(bootstrap, more=admin))
