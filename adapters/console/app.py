"""The interactive terminal chat: read a command, answer it, repeat until quit or EOF."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import shutil
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TextIO

from adapters.console.render import render_error, render_reply
from bot.api import PaperService, Scheduler
from bot.errors import PaperbotError, UserError
from bot.models import Caller

__all__ = ["answer", "ask_stdin", "run_console", "terminal_caller"]

log = logging.getLogger(__name__)

GREETING = "paperbot — type /papers help for commands, quit to leave."
PROMPT = "papers> "
_QUIT = {"quit", "exit", ":q", "/quit", "/exit"}

Ask = Callable[[str], Awaitable[str | None]]


def _read_line(
    loop: asyncio.AbstractEventLoop, done: asyncio.Future[str | None], prompt: str
) -> None:
    try:
        line: str | None = input(prompt)
    except EOFError:
        line = None

    def deliver() -> None:
        if not done.done():
            done.set_result(line)

    with contextlib.suppress(RuntimeError):  # the loop closed while we waited: nobody cares
        loop.call_soon_threadsafe(deliver)


async def ask_stdin(prompt: str) -> str | None:
    """Read one line from the terminal without blocking the event loop; None at EOF.

    The read runs in a daemon thread rather than the default executor, so Ctrl-C can end
    the program while ``input()`` is still waiting (executor threads are joined at exit).
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str | None] = loop.create_future()
    threading.Thread(target=_read_line, args=(loop, done, prompt), daemon=True).start()
    return await done


def terminal_caller() -> Caller:
    """The person at this terminal: the admin of their own single-channel workspace."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        user = "you"
    return Caller(
        platform="console", user=user, workspace="local", channel="terminal", is_admin=True
    )


async def answer(
    service: PaperService, line: str, *, colour: bool, width: int, caller: Caller | None = None
) -> str:
    """The terminal text answering one command; a user error becomes its message."""
    try:
        reply = await service.run_text(line, caller or terminal_caller())
    except UserError as exc:
        return render_error(str(exc), colour=colour)
    except Exception:
        log.exception("command failed: %r", line[:200])
        return render_error("Sorry, something went wrong on our side.", colour=colour)
    return render_reply(reply, colour=colour, width=width)


async def run_console(
    service: PaperService,
    *,
    ask: Ask = ask_stdin,
    out: TextIO | None = None,
    colour: bool | None = None,
    scheduler: Scheduler | None = None,
) -> None:
    """Chat until the user quits; every command of ``/papers help`` works here.

    With a ``scheduler``, subscriptions post into the terminal while the chat runs.
    """
    out = out or sys.stdout
    if ask is ask_stdin:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - gives input() line editing and history
    if colour is None:
        colour = out.isatty()
    width = min(shutil.get_terminal_size((88, 24)).columns, 100)
    caller = terminal_caller()
    print(GREETING, file=out)
    stop = asyncio.Event()
    if scheduler is not None:
        try:
            await scheduler.reserve()
        except PaperbotError as exc:  # another process posts on this SQLite file
            print(f"(No daily posts from this chat: {exc}.)", file=out)
            scheduler = None
    posting = asyncio.create_task(scheduler.run(stop)) if scheduler else None
    try:
        while True:
            line = await ask(PROMPT)
            if line is None or line.strip().lower() in _QUIT:
                print(file=out)
                return
            if not line.strip():
                continue
            text = await answer(service, line, colour=colour, width=width, caller=caller)
            print(text, file=out, flush=True)
    finally:
        stop.set()
        if posting is not None:
            await posting
