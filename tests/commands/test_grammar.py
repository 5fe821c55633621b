"""The text grammar of the command table: what people type becomes checked values."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.commands import TEXT, bind, find, parse_text, subscription_options
from bot.errors import InvalidInput
from bot.models import Source
from bot.subscriptions.options import Options


def parse_options(text: str) -> Options:
    """What ``/papers subscribe TEXT`` sets."""
    return subscription_options(bind(parse_text(f"subscribe {text}"), None, TEXT))


def test_the_documented_example() -> None:
    o = parse_options(
        "diffusion at 08:30 Europe/Berlin on mon-fri count 5 min-upvotes 10 source hf"
    )
    assert o.topic == "diffusion"
    assert o.at == dt.time(8, 30) and o.timezone == "Europe/Berlin"
    assert o.weekdays == frozenset(range(5))
    assert (o.count, o.min_upvotes, o.source) == (5, 10, Source.HF)


def test_topic_keeps_search_syntax_and_words_like_on() -> None:
    assert (
        parse_options('"flow matching" author:lecun -survey').topic
        == '"flow matching" author:lecun -survey'
    )
    assert parse_options('"attention on graphs"').topic == '"attention on graphs"'
    assert parse_options("robots daily quiet cat cs.RO,cs.AI").weekdays == frozenset(range(7))
    o = parse_options("robots at 9pm tz asia/kolkata on sat,sun source both")
    assert (o.at, o.timezone, o.weekdays, o.source) == (
        dt.time(21),
        "Asia/Kolkata",
        frozenset({5, 6}),
        Source.BOTH,
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("x at 25:00", "at: '25:00' is not a time of day"),
        ("x at 12:75", "at:"),
        ("x at 13pm", "at:"),
        ("x tz Mars/Olympus", "tz: unknown timezone"),
        ("x tz Europe/Berln", "did you mean Europe/Berlin"),
        ("x count 0", "count: must be a whole number from 1 to 25"),
        ("x count 500", "count:"),
        ("x count five", "count:"),
        ("x min-upvotes -3", "min-upvotes:"),
        ("x on mon-funday", "on: unknown weekday 'funday'"),
        ("x on thrusday", "on: unknown weekday 'thrusday'"),
        ("x source rss", "source: use hf"),
        ("x cat 'cs CL'", "cat:"),
        ("x count", "count: a value is missing"),
    ],
)
def test_bad_values_name_the_field(text: str, field: str) -> None:
    with pytest.raises(InvalidInput, match=field.replace("(", r"\(")):
        parse_options(text)


def test_the_command_and_its_words() -> None:
    assert parse_text("/papers search diffusion models").command is find("search")
    assert parse_text("/papers search diffusion models").raw == {"query": "diffusion models"}
    week = parse_text("trending week")
    assert (week.command.name, week.raw) == ("trending", {"period": "week"})
    assert parse_text("/papers").command.name == "help"
    assert parse_text("").command.name == "help"
    assert parse_text("trending here").command.name == "trending-here"
    assert parse_text("TOP day robots").raw == {"period": "day", "topic": "robots"}


def test_share_is_a_word_of_shareable_commands_only() -> None:
    shared = parse_text("search flow matching share")
    assert shared.share and shared.raw == {"query": "flow matching"}
    with pytest.raises(InvalidInput, match="Unexpected 'share'"):
        parse_text("saved share")


def test_quoted_phrases_stay_whole_in_topics_and_queries() -> None:
    invocation = parse_text('search author:"Yann LeCun" "energy based"')
    assert invocation.raw == {"query": 'author:"Yann LeCun" "energy based"'}


def test_words_a_command_does_not_take_are_refused() -> None:
    with pytest.raises(InvalidInput, match="Unexpected 'now'"):
        parse_text("pause 3 now")
    with pytest.raises(InvalidInput, match="Unknown command 'frobnicate'"):
        parse_text("frobnicate")


def test_every_wrong_value_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_options("x at 25:00 tz Mars/Olympus count 500")
    lines = str(caught.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["at", "tz", "count"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # An option word takes its value; a topic holding the word is quoted.
        ("robotics at", "at: a value is missing; e.g. at 08:30"),
        ("g at -1", "at: '-1' is not a time of day"),
        ("attention on graphs", "goes in quotes"),
        ("x cat", "cat: a value is missing; e.g. cat cs.CL,cs.LG"),
        # A repeated option is not silently the last one.
        ("x count 5 count 6", "count: given twice"),
        ("x daily on mon-fri", "on: given twice"),
        # Categories are arXiv's.
        ("x cat cs.XX", "cat: 'cs.XX' is not an arXiv category"),
        ("x cat cs.CLL", "did you mean cs.CL?"),
    ],
)
def test_wrong_input_is_refused_never_absorbed(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("?", r"\?")):
        parse_options(text)


@pytest.mark.parametrize(
    ("text", "meant"),
    [("digest of", "`off` or `on`"), ("subscribe quite", "`quiet`"), ("trending weak", "`week`")],
)
def test_a_lone_word_one_edit_from_a_command_word_asks(text: str, meant: str) -> None:
    with pytest.raises(InvalidInput, match=f"Did you mean {meant}"):
        parse_text(text)
    # Quoted, it is the topic it says.
    quoted = text.split()[0] + f' "{text.split()[1]}"'
    assert parse_text(quoted).raw.get("topic") == f'"{text.split()[1]}"'


def test_an_unknown_command_suggests_the_near_one() -> None:
    with pytest.raises(InvalidInput, match="Did you mean `/papers search`"):
        parse_text("serach diffusion")


def test_categories_are_spelled_as_arxiv_does_and_bare_day_words_stand_alone() -> None:
    o = parse_options("robots cat CS.ro,cs")
    assert o.categories == ("cs.RO", "cs")
    assert parse_options("daily").weekdays == frozenset(range(7))
    assert parse_options("every day").weekdays == frozenset(range(7))


def test_edit_clears_a_topic_or_a_filter() -> None:
    call = bind(parse_text("edit 3 clear topic,cat,min-upvotes"), None, TEXT)
    o = subscription_options(call)
    assert (o.topic, o.categories, o.min_upvotes) == ("", (), None)
    assert o.given == {"topic", "categories", "min_upvotes"}
    with pytest.raises(InvalidInput, match="cat: given and cleared"):
        subscription_options(bind(parse_text("edit 3 cat cs.AI clear cat"), None, TEXT))
    with pytest.raises(InvalidInput, match="clear: use topic, categories, min_upvotes"):
        bind(parse_text("edit 3 clear time"), None, TEXT)


def test_trending_takes_a_past_day() -> None:
    call = bind(parse_text("trending week 2025-03-12 diffusion"), None, TEXT)
    assert (call.get("period"), call.get("day"), call.get("topic")) == (
        "week",
        dt.date(2025, 3, 12),
        "diffusion",
    )
    assert bind(parse_text("trending 2025-03-12"), None, TEXT).get("day") == dt.date(2025, 3, 12)
    with pytest.raises(InvalidInput, match="'2025-02-30' is not a day"):
        bind(parse_text("trending 2025-02-30"), None, TEXT)


def test_n_works_in_chat_as_on_the_command_line() -> None:
    call = bind(parse_text("trending week diffusion -n 3"), None, TEXT)
    assert (call.get("topic"), call.get("count")) == ("diffusion", 3)
    with pytest.raises(InvalidInput, match="-n: must be a whole number from 1 to 50"):
        bind(parse_text("trending -n -5"), None, TEXT)


def test_a_missing_subscription_number_shows_the_usage() -> None:
    with pytest.raises(InvalidInput, match=r"`/papers edit N \[topic\] \[options\]`: which"):
        bind(parse_text("edit"), None, TEXT)
