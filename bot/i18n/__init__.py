"""Locales, catalogs and locale-aware formatting. No aiogram here: tools and tests use it too."""
