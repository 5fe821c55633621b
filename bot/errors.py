"""The one exception tree of paperbot.

    PaperbotError                 anything paperbot raises on purpose
    ├── UserError                 the user asked for something we cannot do; the message
    │   │                         is short, friendly and safe to show in chat as it is
    │   ├── InvalidInput          a command, option or value the user typed is wrong
    │   ├── NotFound              a paper (or other thing) the user named does not exist
    │   └── Unavailable           the bot cannot answer now (it is restarting)
    ├── ConfigError               a setting is missing or wrong; names the variable
    ├── SourceError               an upstream (Hugging Face, arXiv) failed
    │   ├── SourceUnavailable     could not reach it at all (offline, DNS, timeout)
    │   └── SourceResponseError   it answered, but with an error or something unparseable
    └── StoreError                the database failed or is in an unexpected state

Adapters turn a ``UserError`` into a reply in one error hook; anything else is logged
with context and the user gets a short apology, never a traceback.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InvalidInput",
    "NotFound",
    "PaperbotError",
    "SourceError",
    "SourceResponseError",
    "SourceUnavailable",
    "StoreError",
    "Unavailable",
    "UserError",
]


class PaperbotError(Exception):
    """Base of every error paperbot raises on purpose."""


class UserError(PaperbotError):
    """Something the user asked for cannot be done; ``str(err)`` is the chat reply."""


class InvalidInput(UserError):
    """A command, option or value typed by the user is not valid."""


class NotFound(UserError):
    """The thing the user named does not exist."""


class Unavailable(UserError):
    """The bot cannot answer now (it is stopping); asking again soon will work."""


class ConfigError(PaperbotError):
    """A setting is missing or malformed; the message names the environment variable."""


class SourceError(PaperbotError):
    """An upstream paper source failed."""

    def __init__(self, message: str, *, source: str = "") -> None:
        super().__init__(message)
        self.source = source


class SourceUnavailable(SourceError):
    """The upstream could not be reached (no network, DNS failure, timeout)."""


class SourceResponseError(SourceError):
    """The upstream answered with an error status or a body we cannot parse."""

    def __init__(self, message: str, *, source: str = "", status: int | None = None) -> None:
        super().__init__(message, source=source)
        self.status = status


class StoreError(PaperbotError):
    """The database failed or holds something unexpected."""
