"""The one command table: every `/papers` command once, with its arguments and handler.

The text grammar (console, Slack), Discord's app commands, the command line's one-shot
commands and every help text are generated from ``COMMANDS``; a command or option added
here exists on every front end.
"""

from __future__ import annotations

from bot.commands._spec import Arg, Call, Command, Context, Handler, Kind, Rights, Suggest
from bot.errors import InvalidInput
from bot.models import Reply, Signal, Source
from bot.subscriptions.options import MAX_COUNT, Options

__all__ = ["COMMANDS", "OPTIONS", "TRENDING_MAX", "find", "subscription_options"]

# The most papers one trending list shows (Discord: ten embeds a message, so three).
TRENDING_MAX = 50


# The options of a daily post or a DM digest, shared by subscribe, edit and digest.
OPTIONS = (
    Arg(
        "time",
        Kind.TIME,
        "local time of day, e.g. 08:30 (8, 8am, 20h work too)",
        metavar="HH:MM",
        words=("at",),
        then="timezone",
        example="08:30",
    ),
    Arg(
        "timezone",
        Kind.TIMEZONE,
        "IANA timezone, e.g. Europe/Berlin (default UTC)",
        metavar="ZONE",
        words=("tz", "timezone"),
        suggest=Suggest.TIMEZONES,
        example="Europe/Berlin",
    ),
    Arg(
        "weekdays",
        Kind.DAYS,
        "mon-fri (default), mon,wed,fri, weekdays, weekends or daily",
        metavar="DAYS",
        words=("on", "every"),
        bare=("daily", "weekdays", "weekends"),
        example="mon-fri",
    ),
    Arg(
        "count",
        Kind.INTEGER,
        f"papers per post, 1 to {MAX_COUNT} (default 5)",
        metavar="N",
        low=1,
        high=MAX_COUNT,
        words=("count",),
        example="5",
    ),
    Arg(
        "min_upvotes",
        Kind.INTEGER,
        "leave out papers with fewer upvotes",
        metavar="N",
        low=0,
        high=100_000,
        words=("min-upvotes", "min_upvotes"),
        example="10",
    ),
    Arg(
        "source",
        Kind.CHOICE,
        "Hugging Face trending (hf, default), new arXiv submissions, or both",
        metavar="SOURCE",
        choices=("hf", "arxiv", "both"),
        synonyms={
            "huggingface": "hf",
            "hugging-face": "hf",
            "trending": "hf",
            "new": "arxiv",
            "all": "both",
        },
        words=("source",),
        example="hf",
    ),
    Arg(
        "categories",
        Kind.CATEGORIES,
        "only these arXiv categories, e.g. cs.CL,cs.LG",
        metavar="CATS",
        words=("cat", "category", "categories"),
        example="cs.CL,cs.LG",
    ),
    Arg(
        "quiet",
        Kind.FLAG,
        "post nothing on a day with nothing new",
        words=("quiet", "--quiet"),
    ),
)

_TOPIC = Arg("topic", Kind.TEXT, "only papers about this, in search syntax", metavar="topic")
_SUBSCRIPTION = Arg(
    "subscription",
    Kind.SUBSCRIPTION,
    "the subscription's number (see subscriptions)",
    metavar="N",
    required=True,
    suggest=Suggest.SUBSCRIPTIONS,
    example="3",
)
_PAPER = Arg(
    "paper",
    Kind.PAPER,
    "an arXiv id, a paper link, or its number in the list just shown",
    metavar="ID",
    required=True,
    suggest=Suggest.PAPERS,
    example="2510.06131",
)


# What `edit ... clear` may empty, and what each is called in the subscription.
CLEARABLE = {"topic": "topic", "categories": "categories", "min_upvotes": "min_upvotes"}

_CLEAR = Arg(
    "clear",
    Kind.FIELDS,
    "empty these: topic, categories, min_upvotes (comma-separated)",
    metavar="FIELDS",
    choices=tuple(CLEARABLE),
    synonyms={"cat": "categories", "category": "categories", "min-upvotes": "min_upvotes"},
    words=("clear",),
    example="topic",
)


def subscription_options(call: Call) -> Options:
    """The subscription options a subscribe, edit or digest call gave."""
    source = call.get("source")
    cleared = call.get("clear", ())
    both = [f for f in cleared if call.get(f) is not None]
    if both:
        arg = call.command.arg(both[0])
        raise InvalidInput(
            f"{call.syntax.option(arg)}: given and cleared at once; say one or the other"
        )
    return Options.of(
        {
            "topic": call.get("topic"),
            "at": call.get("time"),
            "timezone": call.get("timezone"),
            "weekdays": call.get("weekdays"),
            "count": call.get("count"),
            "min_upvotes": call.get("min_upvotes"),
            "source": Source(source) if source else None,
            "categories": call.get("categories"),
            "post_empty": False if call.get("quiet") else None,
        },
        cleared=[CLEARABLE[f] for f in cleared],
    )


async def _trending(ctx: Context, call: Call) -> Reply:
    day = call.get("day")
    # A day alone is that day's list, as on Hugging Face's page for it.
    period = call.get("period") or ("day" if day else None)
    return await ctx.service.trending(
        period, call.get("topic", ""), limit=call.get("count", 10), day=day
    )


async def _trending_here(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.trending_here(call.who, call.syntax)


async def _search(ctx: Context, call: Call) -> Reply:
    return await ctx.service.search(call.get("query", ""), syntax=call.syntax)


async def _paper(ctx: Context, call: Call) -> Reply:
    return await ctx.service.paper(call.get("paper"))


async def _similar(ctx: Context, call: Call) -> Reply:
    return await ctx.service.similar(call.get("paper"), limit=call.get("count", 5))


async def _subscribe(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.subscribe(call.who, subscription_options(call), call.syntax)


async def _subscriptions(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.overview(call.who, call.syntax)


async def _edit(ctx: Context, call: Call) -> Reply:
    options = subscription_options(call)
    if not options.given:
        number = call.get("subscription")
        example = call.syntax.example("edit", number, time="08:00", count=3)
        raise InvalidInput(f"What should change? e.g. `{example}`")
    return await ctx.desk.edit(call.who, call.get("subscription"), options, call.syntax)


async def _pause(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.set_active(call.who, call.get("subscription"), False, call.syntax)


async def _resume(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.set_active(call.who, call.get("subscription"), True, call.syntax)


async def _preview(ctx: Context, call: Call) -> Reply:
    return await ctx.service.preview(call.who, call.get("subscription"), call.syntax)


async def _unsubscribe(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.remove(call.who, call.get("subscription"), call.syntax)


async def _digest(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.digest(
        call.who, call.get("action"), subscription_options(call), call.syntax
    )


def _signal(signal: Signal) -> Handler:
    """The handler of save, like or dismiss: one signal about one paper."""

    async def handler(ctx: Context, call: Call) -> Reply:
        return await ctx.desk.signal(call.who, call.get("paper"), signal)

    return handler


async def _unsave(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.unsave(call.who, call.get("paper"))


async def _saved(ctx: Context, call: Call) -> Reply:
    return await ctx.desk.saved(call.who, call.syntax)


async def _help(ctx: Context, call: Call) -> Reply:
    return ctx.service.help(call.syntax)


COMMANDS: tuple[Command, ...] = (
    Command(
        "trending",
        "the most upvoted papers (default: this week)",
        _trending,
        args=(
            Arg(
                "period",
                Kind.CHOICE,
                "day, week (default) or month",
                choices=("day", "week", "month"),
            ),
            Arg(
                "day",
                Kind.DATE,
                "the day it ends on, YYYY-MM-DD (default: the newest)",
                metavar="YYYY-MM-DD",
                example="2025-03-12",
            ),
            _TOPIC,
            Arg(
                "count",
                Kind.INTEGER,
                f"how many papers, 1 to {TRENDING_MAX} (default 10)",
                metavar="N",
                low=1,
                high=TRENDING_MAX,
                words=("count", "-n"),
                example="10",
            ),
        ),
        aliases=("top", "hot"),
        shareable=True,
        needs_caller=False,
    ),
    Command(
        "trending-here",
        "what people here saved or liked this week",
        _trending_here,
        aliases=("trending here",),
        shareable=True,
    ),
    Command(
        "search",
        "find a paper by title, author, id or topic",
        _search,
        args=(
            Arg(
                "query",
                Kind.TEXT,
                "words, phrases, author:NAME, an arXiv id or URL",
                metavar="QUERY",
                required=True,
                suggest=Suggest.PAPERS,
                example="diffusion transformers",
                missing="Type something to search for, e.g. `{example}`.",
            ),
        ),
        aliases=("find", "s"),
        shareable=True,
        needs_caller=False,
    ),
    Command(
        "paper",
        "one paper by arXiv id or URL",
        _paper,
        args=(_PAPER,),
        aliases=("show", "id"),
        shareable=True,
        needs_caller=False,
    ),
    Command(
        "similar",
        "the papers closest to one, each with a reason",
        _similar,
        args=(
            _PAPER,
            Arg(
                "count",
                Kind.INTEGER,
                "how many papers, 1 to 25 (default 5)",
                metavar="N",
                low=1,
                high=25,
                words=("count", "-n"),
                example="5",
            ),
        ),
        aliases=("like-this", "more"),
        shareable=True,
        needs_caller=False,
    ),
    Command(
        "subscribe",
        "daily posts to this channel, of trending papers or a topic",
        _subscribe,
        args=(_TOPIC, *OPTIONS),
        aliases=("sub",),
        rights=Rights.MANAGERS,
        # The channel may see that it now gets daily posts, and how to change them.
        shareable=True,
    ),
    Command(
        "subscriptions",
        "this channel's subscriptions and your digest",
        _subscriptions,
        aliases=("subs", "list"),
    ),
    Command(
        "edit",
        "change a subscription's topic or options",
        _edit,
        args=(_SUBSCRIPTION, _TOPIC, *OPTIONS, _CLEAR),
        rights=Rights.MANAGERS,
    ),
    Command("pause", "pause a subscription", _pause, args=(_SUBSCRIPTION,), rights=Rights.MANAGERS),
    Command(
        "resume",
        "resume a paused subscription",
        _resume,
        args=(_SUBSCRIPTION,),
        rights=Rights.MANAGERS,
    ),
    Command(
        "preview",
        "what a subscription would post now (nothing is sent)",
        _preview,
        args=(_SUBSCRIPTION,),
    ),
    Command(
        "unsubscribe",
        "remove a subscription",
        _unsubscribe,
        args=(_SUBSCRIPTION,),
        aliases=("unsub", "remove"),
        rights=Rights.MANAGERS,
    ),
    Command(
        "digest",
        "your own digest by direct message",
        _digest,
        args=(
            Arg(
                "action",
                Kind.CHOICE,
                "on (or change), off, pause, resume, or settings (default)",
                choices=("on", "off", "pause", "resume", "settings"),
                synonyms={
                    "start": "on",
                    "set": "on",
                    "edit": "on",
                    "stop": "off",
                    "remove": "off",
                    "status": "settings",
                    "show": "settings",
                },
            ),
            _TOPIC,
            *OPTIONS,
        ),
    ),
    Command(
        "save", "keep a paper for later; teaches your digest", _signal(Signal.SAVE), args=(_PAPER,)
    ),
    Command(
        "like", "more papers like this one in your digest", _signal(Signal.LIKE), args=(_PAPER,)
    ),
    Command("dismiss", "fewer papers like this one", _signal(Signal.DISMISS), args=(_PAPER,)),
    Command("unsave", "forget a paper you saved or liked", _unsave, args=(_PAPER,)),
    Command("saved", "the papers you saved or liked", _saved),
    Command("help", "this help", _help, aliases=("?", "-h", "--help"), needs_caller=False),
)

_BY_NAME = {c.name: c for c in COMMANDS} | {a: c for c in COMMANDS for a in c.aliases}


def find(name: str) -> Command:
    """The command ``name`` (or an alias of it) names; ``KeyError`` if none."""
    return _BY_NAME[name.lower()]
