"""The desk: a web console for staff and mentors, served by the bot's own aiohttp server."""
