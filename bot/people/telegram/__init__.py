"""The chat part of people: /start, the menu, settings, invites, staff's people screens, privacy."""
