"""The terminal chat: the reference adapter, taking the same commands as the chat bots."""

from adapters.console.app import run_console
from adapters.console.render import render_reply

__all__ = ["render_reply", "run_console"]
