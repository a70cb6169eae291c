"""The ways in: web routes, message handlers' worker, clock, mailer, CLI."""
