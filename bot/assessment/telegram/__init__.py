"""The chat part of the self-assessment: answering, results, the mentor's view."""
