"""The chat part of announcements: the composer, the rendered announcement and the sender."""
