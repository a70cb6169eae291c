"""The notifications service: turns what happened into emails, sent once and logged."""
