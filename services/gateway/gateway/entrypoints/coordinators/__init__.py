"""What coordinators use: their JSON API and their dashboard pages."""
