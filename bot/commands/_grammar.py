"""From what a user typed (or a platform sent) to a checked call, the same for every front end.

Typed text (the terminal chat, Slack) is read by ``parse_text``; a platform with typed
options (Discord) names the command and its values directly (``invocation``). Either
way ``bind`` checks every value by its kind and names each wrong one the way the front
end spells its option, all in one answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.commands._spec import Arg, Call, Command, Invocation, Kind, Syntax
from bot.commands._syntax import TEXT
from bot.commands._table import COMMANDS, find
from bot.errors import InvalidInput
from bot.ids import parse_arxiv_id
from bot.models import Caller
from bot.subscriptions.options import (
    looks_like_zone,
    parse_categories,
    parse_days,
    parse_time,
    parse_timezone,
)

__all__ = ["bind", "invocation", "parse_text", "tokens"]

_PREFIXES = {"/papers", "papers", "/paper"}
# A token is a run of non-space characters in which a double-quoted span may hold spaces
# ("attention on graphs", author:"Yann LeCun"); an unclosed quote runs to the end.
_TOKEN = re.compile(r'(?:"[^"]*(?:"|$)|[^\s"]+)+')
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def tokens(text: str) -> list[str]:
    """The words of ``text``, quoted phrases kept whole with their quotes."""
    return _TOKEN.findall(text.translate(_QUOTES))


def _unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] == '"' else token.strip('"')


def parse_text(text: str, syntax: Syntax = TEXT) -> Invocation:
    """``/papers subscribe diffusion at 08:30`` as an invocation; the prefix is optional
    and no words at all ask for help. Raises ``InvalidInput`` for an unknown command or
    words the command does not take."""
    words = tokens(text.strip())
    if words and words[0].lower() in _PREFIXES:
        words = words[1:]
    if not words:
        return Invocation(find("help"))
    command, words = _command(words, syntax)
    share = False
    if command.shareable and words and words[-1].lower() == "share":
        share, words = True, words[:-1]
    typed: dict[str, str] = {}
    return Invocation(command, _read(command, words, syntax, typed), share, typed)


def invocation(name: str, values: Mapping[str, object]) -> Invocation:
    """A command named by a platform with its typed values (empty ones left out)."""
    raw = {k: v for k, v in values.items() if v is not None and v != ""}
    return Invocation(find(name), raw)  # type: ignore[arg-type]


def _command(words: list[str], syntax: Syntax) -> tuple[Command, list[str]]:
    for n in (2, 1):  # "trending here" before "trending"
        try:
            return find(" ".join(words[:n])), words[n:]
        except KeyError:
            continue
    typed = words[0][:30]
    names = [c.name for c in COMMANDS]
    guesses = [n for n in names if OSA.distance(typed.lower(), n) <= _NEAR(typed)]
    hint = f" Did you mean `{syntax.example(guesses[0])}`?" if guesses else ""
    raise InvalidInput(f"Unknown command '{typed}'.{hint} Try `{syntax.example('help')}`.")


def _NEAR(word: str) -> int:
    """How many edits still make a typo of ``word`` (short words tolerate one)."""
    return 1 if len(word) <= 5 else 2


def _read(
    command: Command, words: list[str], syntax: Syntax, typed: dict[str, str]
) -> dict[str, str | bool]:
    """The raw values of ``command`` in ``words``: positional values first, in order,
    then options anywhere; the words left over are its text (a topic, a query).
    ``typed`` gets the word each option was given with."""
    raw: dict[str, str | bool] = {}
    i = 0
    for arg in command.positional:
        if arg.kind is Kind.TEXT or i >= len(words):
            continue
        word = words[i]
        if arg.kind is Kind.CHOICE and arg.choice(word) is None:
            continue  # not this optional word: the topic, say
        if arg.kind is Kind.DATE and not _DATE.match(word):
            continue
        raw[arg.name] = word
        i += 1
    rest = words[i:]
    if len(rest) == 1:
        _not_a_near_miss(command, rest[0], syntax)
    by_word = {w: a for a in command.options for w in a.words}
    bare = {w: a for a in command.options for w in a.bare}
    text: list[str] = []
    j = 0
    while j < len(rest):
        word, key = rest[j], rest[j].lower()
        option = by_word.get(key) or bare.get(key)
        if option is None:
            text.append(word)
            j += 1
            continue
        if option.name in raw:
            raise InvalidInput(f"{key}: given twice; say it once")
        typed[option.name] = key
        if option.kind is Kind.FLAG:
            raw[option.name] = True
            j += 1
        elif key in option.bare:
            raw[option.name] = key
            j += 1
        else:
            if j + 1 >= len(rest):
                raise InvalidInput(f"{key}: a value is missing{_takes(option, syntax)}")
            raw[option.name] = _unquote(rest[j + 1])
            j += 2
            after = _unquote(rest[j]) if j < len(rest) else ""
            follower = command.arg(option.then) if option.then else None
            if follower and after and follower.name not in raw and _fits(follower, after):
                raw[follower.name] = after
                j += 1
    if text:
        topic = next((a for a in command.positional if a.kind is Kind.TEXT), None)
        if topic is None:
            usage = syntax.usage(command)
            raise InvalidInput(f"Unexpected '{text[0][:30]}': the command is `{usage}`.")
        raw[topic.name] = " ".join(text)
    return raw


def _takes(arg: Arg, syntax: Syntax) -> str:
    """What an option takes, for a message: "; e.g. at 08:30"."""
    return f"; e.g. {syntax.setting(arg, arg.example)}" if arg.example else ""


def _not_a_near_miss(command: Command, word: str, syntax: Syntax) -> None:
    """A lone word one edit from one of the command's words (``digest of``) was surely
    meant as that word: ask, rather than take it for a topic. Quoted, it is a topic."""
    if word.startswith('"') or len(word) < 2:
        return
    typed = word.lower()
    known = [c for a in command.positional if a.kind is Kind.CHOICE for c in a.choices]
    known += [w for a in command.options for w in (*a.words, *a.bare) if not w.startswith("-")]
    if typed in known:
        return
    near = sorted(
        {w for w in known if OSA.distance(typed, w) == 1}, key=lambda w: -fuzz.ratio(typed, w)
    )
    if near:
        shown = " or ".join(f"`{w}`" for w in near[:3])
        raise InvalidInput(
            f"Did you mean {shown}? For the topic '{word[:30]}', put it in quotes: "
            f"`{syntax.example(command.name, chr(34) + word[:30] + chr(34))}`."
        )


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _fits(arg: Arg, value: str) -> bool:
    """Whether ``value`` can stand for ``arg`` without its option word."""
    return arg.kind is Kind.TIMEZONE and looks_like_zone(value)


def bind(invocation: Invocation, caller: Caller | None, syntax: Syntax = TEXT) -> Call:
    """Check every value of ``invocation``; one ``InvalidInput`` names all that are wrong
    (options by the name ``syntax`` gives them)."""
    command = invocation.command
    values: dict[str, object] = {}
    errors: list[str] = []
    for arg in command.args:
        if arg.name not in invocation.raw:
            if arg.required:
                errors.append(_missing(command, arg, syntax))
            continue
        try:
            values[arg.name] = _value(arg, invocation.raw[arg.name], syntax)
        except InvalidInput as exc:
            named = invocation.typed.get(arg.name) or syntax.option(arg)
            errors.append(f"{named}: {exc}{syntax.hint(arg)}" if arg.is_option else str(exc))
    if errors:
        raise InvalidInput("\n".join(errors))
    return Call(command, values, caller, syntax, invocation.share)


def _missing(command: Command, arg: Arg, syntax: Syntax) -> str:
    example = syntax.example(command.name, arg.example)
    if arg.missing:
        return arg.missing.format(example=example)
    if arg.kind is Kind.SUBSCRIPTION:
        listed = syntax.example("subscriptions")
        return f"`{syntax.usage(command)}`: which subscription? e.g. `{example}` (see `{listed}`)"
    if arg.kind is Kind.PAPER:
        return f"Which paper? e.g. `{example}`"
    return f"{syntax.option(arg)}: a value is missing"


def _value(arg: Arg, raw: str | int | bool, syntax: Syntax) -> object:
    text = str(raw).strip()
    if arg.kind is Kind.FLAG:
        return raw if isinstance(raw, bool) else text.lower() not in {"false", "no", "off", "0"}
    if arg.kind is Kind.TEXT:
        return text
    if arg.kind is Kind.PAPER:
        number = text.removeprefix("#")
        if number.isdigit() and len(number) <= 3:
            return int(number)  # its number in the last list shown: the facade resolves it
        found = parse_arxiv_id(text)
        if found is None:
            raise InvalidInput(f"'{text[:40]}' is not an arXiv id or paper link (e.g. 2510.06131).")
        return found.id
    if arg.kind is Kind.SUBSCRIPTION:
        number = text.lstrip("#")
        if not number.isdigit() or len(number) > 12:
            listed = syntax.example("subscriptions")
            raise InvalidInput(f"'{text[:20]}' is not a subscription number; see `{listed}`.")
        return int(number)
    if arg.kind is Kind.INTEGER:
        low, high = arg.low or 0, arg.high if arg.high is not None else 10**9
        if not isinstance(raw, int) and not text.isdigit():
            raise InvalidInput(f"must be a whole number from {low} to {high}")
        whole = int(raw) if isinstance(raw, int) else int(text)
        if not low <= whole <= high:
            raise InvalidInput(f"must be a whole number from {low} to {high}")
        return whole
    if arg.kind is Kind.CHOICE:
        choice = arg.choice(text)
        if choice is None:
            *first, last = arg.choices
            raise InvalidInput(f"use {', '.join(first)} or {last}")
        return choice
    if arg.kind is Kind.DATE:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"'{text[:20]}' is not a day; use YYYY-MM-DD") from None
    if arg.kind is Kind.FIELDS:
        fields = [f.strip() for f in text.split(",") if f.strip()]
        chosen = [arg.choice(f) for f in fields]
        if not fields or None in chosen:
            raise InvalidInput(f"use {', '.join(arg.choices)} (comma-separated)")
        return tuple(dict.fromkeys(c for c in chosen if c))
    parse = {
        Kind.TIME: parse_time,
        Kind.TIMEZONE: parse_timezone,
        Kind.DAYS: parse_days,
        Kind.CATEGORIES: parse_categories,
    }[arg.kind]
    return parse(text)
