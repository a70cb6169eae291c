"""`python -m gateway migrate|relay|...`, and the coordinator account commands."""

import sys

from sanctuary.cli import main

from gateway.bootstrap import bootstrap
from gateway.entrypoints import admin

if sys.argv[1:2] and sys.argv[1] in admin.COMMANDS:
    raise SystemExit(admin.main(bootstrap, sys.argv[1:]))
raise SystemExit(main(bootstrap))
