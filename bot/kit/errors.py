"""Refusals a service gives; the Telegram layer turns each into a polite, localized line."""

from __future__ import annotations


class NotAllowed(Exception):
    """The person may not do this (wrong role, or not theirs)."""


class NotFound(Exception):
    """Nothing of that id that this person may see. Deliberately the same for both cases."""
