"""One router per feature; `bot.telegram.factory` assembles them in order."""
