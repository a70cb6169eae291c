"""The gateway: the public front door (JSON API and pages) of the sanctuary network."""
