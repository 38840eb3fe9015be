"""The rules of Putokaz. Plain Python over repositories: no Telegram types here."""
