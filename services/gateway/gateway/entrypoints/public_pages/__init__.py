"""The public HTML pages."""
