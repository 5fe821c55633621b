"""What a command is made of: typed arguments, who may run it, and how a front end writes it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from bot.errors import InvalidInput
from bot.models import Caller, Reply

if TYPE_CHECKING:  # the facade calls the table; the table's handlers answer through it
    from bot.api import PaperService
    from bot.subscriptions.desk import SubscriptionDesk

__all__ = [
    "NEEDS_CHAT",
    "Arg",
    "Call",
    "Command",
    "Context",
    "Handler",
    "Invocation",
    "Kind",
    "Raw",
    "Rights",
    "Suggest",
    "Syntax",
]


NEEDS_CHAT = "That command works in a chat (`paperbot console`), not here."


class Kind(StrEnum):
    """What an argument's value is; each kind is checked the same way on every front end."""

    TEXT = "text"  # free words: a topic or a query, in search syntax
    PAPER = "paper"  # an arXiv id or a paper link
    SUBSCRIPTION = "subscription"  # a subscription number (#3 or 3)
    INTEGER = "integer"  # a whole number between ``low`` and ``high``
    CHOICE = "choice"  # one of ``choices`` (or a synonym of one)
    TIME = "time"  # a time of day
    TIMEZONE = "timezone"  # an IANA timezone name
    DAYS = "days"  # weekdays
    CATEGORIES = "categories"  # arXiv categories
    DATE = "date"  # a day, YYYY-MM-DD
    FIELDS = "fields"  # names among ``choices``, comma-separated
    FLAG = "flag"  # on when given


class Rights(StrEnum):
    """Who may run a command."""

    ANYONE = "anyone"
    # Changes a channel's daily posts: on Discord only members with Manage Channels may
    # run it; everywhere, a subscription is changed only by its creator or a manager.
    MANAGERS = "managers"


class Suggest(StrEnum):
    """What a front end may suggest while an argument is being typed."""

    PAPERS = "papers"  # paper titles, standing for their ids
    TIMEZONES = "timezones"
    SUBSCRIPTIONS = "subscriptions"  # this channel's subscriptions


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a command.

    ``name`` is how the handler (and Discord's typed options) know it. An argument with
    ``words`` is an option introduced by one of them in typed text (``at 08:30``); one
    without is positional, taken from the start of the text in the order declared (a
    ``TEXT`` argument takes the words left over; a ``CHOICE`` or ``DATE`` one only a word
    that is one). An option word is always the option: its value must follow, and a topic
    that holds the word is quoted. ``bare`` are words that stand alone as a value
    (``daily``); ``then`` names an option whose value may follow this one's without its
    word (``at 08:30 Europe/Berlin``).
    """

    name: str
    kind: Kind
    help: str
    metavar: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    low: int | None = None
    high: int | None = None
    words: tuple[str, ...] = ()
    bare: tuple[str, ...] = ()
    then: str = ""
    suggest: Suggest | None = None
    example: str = ""  # a value to show in help and errors
    missing: str = ""  # what to say when a required value is missing ({example})

    @property
    def is_option(self) -> bool:
        return bool(self.words)

    def choice(self, word: str) -> str | None:
        """The choice ``word`` names (a choice itself or a synonym), or None."""
        word = word.lower()
        if word in self.choices:
            return word
        return self.synonyms.get(word)


# Values as typed or as a platform sent them, before they are checked.
Raw = Mapping[str, str | int | bool]


class Syntax(Protocol):
    """How one front end writes commands, for help, errors and the suggestions replies
    make ("change it with ..."). The console and Slack share the text syntax; Discord's
    typed options are another."""

    def usage(self, command: Command) -> str:
        """The command's synopsis: ``/papers edit N [topic] [options]``."""
        ...

    def example(self, name: str, *values: object, **options: object) -> str:
        """A concrete command: positional values in order, options by name."""
        ...

    def option(self, arg: Arg) -> str:
        """How a user names this option (``at``, ``time``) in an error message."""
        ...

    def setting(self, arg: Arg, value: object) -> str:
        """An option given a value, as typed: ``at 08:30``, ``time:08:30``."""
        ...

    def notes(self) -> tuple[str, ...]:
        """Lines of help only this front end needs."""
        ...

    def hint(self, arg: Arg) -> str:
        """What to add when this option's value was wrong ("" for nothing)."""
        ...


@dataclass(frozen=True, slots=True)
class Context:
    """What a command's handler answers with: the facade's paper answers and the
    subscription desk. The facade builds it; adapters never see it."""

    service: PaperService
    desk: SubscriptionDesk


Handler = Callable[[Context, "Call"], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Command:
    """One command, once: every front end's grammar, help and checks come from this."""

    name: str
    help: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    aliases: tuple[str, ...] = ()
    rights: Rights = Rights.ANYONE
    # Its answer may be posted for the whole channel to see, not only the asker.
    shareable: bool = False
    # It answers about a person or a place, so it needs a caller (not the command line).
    needs_caller: bool = True

    def arg(self, name: str) -> Arg:
        return next(a for a in self.args if a.name == name)

    @property
    def positional(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if not a.is_option)

    @property
    def options(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if a.is_option)


@dataclass(frozen=True, slots=True)
class Invocation:
    """A command as the user gave it: which one, its raw values, whether to share."""

    command: Command
    raw: Raw = field(default_factory=dict)
    share: bool = False
    # The word each option was typed with (``-n`` for count), for messages about it.
    typed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Call:
    """A command ready to run: its checked values, who asked, and their front end."""

    command: Command
    values: Mapping[str, Any]
    caller: Caller | None
    syntax: Syntax
    share: bool = False

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    @property
    def who(self) -> Caller:
        """The caller; commands that need one are refused earlier without it."""
        if self.caller is None:
            raise InvalidInput(NEEDS_CHAT)
        return self.caller
