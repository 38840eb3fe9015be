"""Free-text answers are encrypted at rest with DATA_KEY (Fernet: AES-128-CBC and HMAC-SHA256).

Without DATA_KEY the bot still runs, but asks no free-text question: nothing is ever written
that could not be read back, and no key is invented that a restart would lose.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

# Long enough for a few sentences; a message beyond this is cut, not refused.
MAX_TEXT = 1000


class Sealer:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode("ascii"))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text[:MAX_TEXT].encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str | None:
        """None when the text was sealed with another key (DATA_KEY changed)."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            return None


def is_valid_key(key: str) -> bool:
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    return True


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
