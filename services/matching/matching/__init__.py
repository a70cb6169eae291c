"""The matching service: befrienders, newcomers, their readiness and their matches."""
