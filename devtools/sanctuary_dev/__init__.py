"""What developers and tests use and production never installs: the local mail sink of
`make run`, and the helpers every test shares (real brokers and databases, made and thrown
away; the system's processes started the way production starts them)."""
