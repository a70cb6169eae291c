"""The shared library of the sanctuary services: contracts, messaging, outbox, inbox, web."""
