"""The dashboards\x27 pages."""
