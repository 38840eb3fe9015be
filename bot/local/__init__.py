"""Local mode: without BOT_TOKEN the bot talks to its embedded Bot API server (bot/botapi) and
people use it from a chat page in the browser, with demo people and a clock that moves."""
