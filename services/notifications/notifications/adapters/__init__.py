"""The outside world: tables, HTTP clients, SMTP."""
