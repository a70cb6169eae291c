"""The events service: webinars and training, registrations, waiting lists and reminders."""
