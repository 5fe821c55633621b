"""The text syntax: commands as typed in the terminal chat and on Slack (``/papers ...``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands._spec import Arg, Command, Kind
from bot.commands._table import find

__all__ = ["TEXT", "TextSyntax"]

# Option words that are everyday words as well.
_EVERYDAY = {"at", "on"}
# Options beyond this many are summed up as "[options]" in a synopsis.
_LISTED_OPTIONS = 2


@dataclass(frozen=True, slots=True)
class TextSyntax:
    """``/papers edit 3 at 08:00``: positional values in order, then option words."""

    prefix: str = "/papers"
    extra: tuple[str, ...] = ()

    def usage(self, command: Command) -> str:
        parts = [self.prefix, command.name]
        for arg in command.positional:
            parts.append(_positional(arg))
        options = command.options
        if len(options) > _LISTED_OPTIONS:
            parts.append("[options]")
        else:
            parts += [
                f"[{a.words[0]}{'' if a.kind is Kind.FLAG else ' ' + a.metavar}]" for a in options
            ]
        return " ".join(parts)

    def example(self, name: str, *values: object, **options: object) -> str:
        command = find(name)
        parts = [self.prefix, command.name, *(str(v) for v in values if v != "")]
        given = {k: v for k, v in options.items() if v is not False}
        for key, value in given.items():
            arg = command.arg(key)
            if any(a.then == key for a in command.options if a.name in given):
                continue  # written right after the option it follows
            parts.append(self.setting(arg, value))
            if arg.then in given:  # at 08:30 Europe/Berlin
                parts.append(str(given[arg.then]))
        return " ".join(parts)

    def option(self, arg: Arg) -> str:
        return arg.words[0] if arg.words else arg.name

    def setting(self, arg: Arg, value: object) -> str:
        return self.option(arg) if arg.kind is Kind.FLAG else f"{self.option(arg)} {value}"

    def notes(self) -> tuple[str, ...]:
        return self.extra

    def hint(self, arg: Arg) -> str:
        # "at" and "on" are words of topics too: typed text may have meant the topic.
        word = arg.words[0] if arg.words else ""
        if word in _EVERYDAY:
            return f" (a topic with '{word}' in it goes in quotes: \"attention {word} graphs\")"
        return ""


def _positional(arg: Arg) -> str:
    shown = "|".join(arg.choices) if arg.kind is Kind.CHOICE else arg.metavar or arg.name
    return shown if arg.required else f"[{shown}]"


def _option(arg: Arg) -> str:
    word = arg.words[0]
    return f"[{word}]" if arg.kind is Kind.FLAG else f"[{word} {arg.metavar}]"


# The terminal chat's syntax; Slack adds a note on sharing.
TEXT = TextSyntax()
