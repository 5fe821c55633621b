"""How Discord users write commands: typed options, and the channel commands in a group
of their own (`/papers-channel`) so that Discord's default permissions can apply."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands import Arg, Command, Kind, Rights, find
from bot.models import ActionKind

__all__ = ["CHANNEL_GROUP", "DISCORD", "PAPERS_GROUP", "DiscordSyntax", "group_of"]

PAPERS_GROUP = "papers"
# Options beyond this many are summed up as "[options]" in a synopsis, as in the text.
_LISTED_OPTIONS = 2
CHANNEL_GROUP = "papers-channel"


def group_of(command: Command) -> str:
    """The top-level command ``command`` sits under on Discord."""
    return CHANNEL_GROUP if command.rights is Rights.MANAGERS else PAPERS_GROUP


@dataclass(frozen=True, slots=True)
class DiscordSyntax:
    """``/papers-channel edit subscription:3 time:08:00``."""

    def usage(self, command: Command) -> str:
        parts = [f"/{group_of(command)} {command.name}"]
        for arg in command.positional:
            shown = f"{arg.name}:{arg.metavar or arg.name}"
            parts.append(shown if arg.required else f"[{arg.name}]")
        options = command.options
        if len(options) > _LISTED_OPTIONS:
            parts.append("[options]")
        else:
            parts += [f"[{arg.name}]" for arg in options]
        return " ".join(parts)

    def example(self, name: str, *values: object, **options: object) -> str:
        command = find(name)
        given = dict(zip((a.name for a in command.positional), values, strict=False))
        given.update(options)
        parts = [f"/{group_of(command)} {command.name}"]
        parts += [self.setting(command.arg(k), v) for k, v in given.items() if v != ""]
        return " ".join(parts)

    def option(self, arg: Arg) -> str:
        return arg.name

    def setting(self, arg: Arg, value: object) -> str:
        if arg.kind is Kind.FLAG:
            return f"{arg.name}:{'True' if value else 'False'}"
        return f"{arg.name}:{value}"

    def hint(self, arg: Arg) -> str:
        return ""  # typed options cannot be mistaken for a topic

    def notes(self) -> tuple[str, ...]:
        buttons = ", ".join(k.label for k in ActionKind)
        return (
            f"Every /{PAPERS_GROUP} command works for anyone, also in a DM with the bot; "
            f"/{CHANNEL_GROUP} changes this channel's daily posts (Manage Channels).",
            f"Under each paper: {buttons}. Save, Like and Not interested teach your digest.",
        )


DISCORD = DiscordSyntax()
