"""The `/papers` command line shared by the terminal chat and Slack: text in, Reply out."""

from __future__ import annotations

from bot.api import PaperService
from bot.errors import InvalidInput
from bot.models import Caller, Period, Reply, Signal

__all__ = ["run_command", "split_command"]

_PERIODS = {p.value for p in Period}


def split_command(text: str) -> tuple[str, str]:
    """``"/papers search foo bar"`` -> ``("search", "foo bar")``; the prefix is optional."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() in {"/papers", "papers", "/paper"}:
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not words:
        return "help", ""
    return words[0].lower(), words[1].strip() if len(words) > 1 else ""


_SIGNALS = {"save": Signal.SAVE, "like": Signal.LIKE, "dismiss": Signal.DISMISS}


async def run_command(service: PaperService, text: str, caller: Caller | None = None) -> Reply:
    """Run one `/papers ...` command; raises ``UserError`` for anything the user got wrong.

    Commands about subscriptions and signals need a ``caller`` (who and where).
    """
    name, rest = split_command(text)
    if name in {"help", "?", "-h", "--help"}:
        return service.help()
    if name in {"trending", "top", "hot"}:
        first, _, topic = rest.partition(" ")
        if first.lower() == "here" and not topic.strip():
            return await service.desk.trending_here(_need(caller))
        if first.lower() in _PERIODS:
            return await service.trending(first.lower(), topic)
        return await service.trending(None, rest)
    desk = service.desk
    if name in {"subscribe", "sub"}:
        return await desk.subscribe(_need(caller), rest)
    if name in {"subscriptions", "subs", "list"}:
        return await desk.list(_need(caller))
    if name in {"unsubscribe", "unsub", "remove"}:
        return await desk.remove(_need(caller), _number(rest, name))
    if name in {"pause", "resume"}:
        return await desk.set_active(_need(caller), _number(rest, name), name == "resume")
    if name == "edit":
        return await desk.edit(_need(caller), rest)
    if name == "digest":
        return await desk.digest(_need(caller), rest)
    if name in _SIGNALS:
        if not rest:
            raise InvalidInput(f"Which paper? e.g. `/papers {name} 2510.06131`")
        return await desk.signal(_need(caller), rest, _SIGNALS[name])
    if name == "saved":
        return await desk.saved(_need(caller))
    if name in {"search", "find", "s"}:
        return await service.search(rest)
    if name in {"paper", "show", "id"}:
        if not rest:
            raise InvalidInput("Which paper? e.g. `/papers paper 2510.06131`")
        return await service.paper(rest)
    raise InvalidInput(f"Unknown command '{name[:30]}'. Try `/papers help`.")


def _need(caller: Caller | None) -> Caller:
    if caller is None:
        raise InvalidInput("That command works in a chat (`paperbot console`), not here.")
    return caller


def _number(rest: str, name: str) -> str:
    if not rest.strip():
        raise InvalidInput(
            f"Which subscription? e.g. `/papers {name} 3` (see `/papers subscriptions`)"
        )
    return rest.strip()
