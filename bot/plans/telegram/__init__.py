"""The chat part of plans: viewing and ticking off (young people), editing (mentors), reminders."""
