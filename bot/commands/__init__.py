"""The one command table, its text grammar and its help: what every front end runs.

A front end turns what the user did into an ``Invocation`` (``parse_text`` for typed
text, ``invocation`` for a platform's typed options) and hands it to the facade
(``PaperService.run``) with its ``Syntax``; the table says who may run each command,
whether its answer may be shared, and what its arguments are.
"""

from bot.commands._grammar import bind, invocation, parse_text, tokens
from bot.commands._help import command_lines, help_text
from bot.commands._spec import (
    NEEDS_CHAT,
    Arg,
    Call,
    Command,
    Context,
    Invocation,
    Kind,
    Raw,
    Rights,
    Suggest,
    Syntax,
)
from bot.commands._syntax import TEXT, TextSyntax
from bot.commands._table import COMMANDS, OPTIONS, TRENDING_MAX, find, subscription_options

__all__ = [
    "COMMANDS",
    "NEEDS_CHAT",
    "OPTIONS",
    "TEXT",
    "TRENDING_MAX",
    "Arg",
    "Call",
    "Command",
    "Context",
    "Invocation",
    "Kind",
    "Raw",
    "Rights",
    "Suggest",
    "Syntax",
    "TextSyntax",
    "bind",
    "command_lines",
    "find",
    "help_text",
    "invocation",
    "parse_text",
    "subscription_options",
    "tokens",
]
