"""The spellings a query word stands for: its typo corrections, plurals and UK/US forms.

The index does not stem, so every form a word may take in a paper is looked up in the
index vocabulary and asked for alongside it: ``robots`` also finds ``robot``,
``normalisation`` also finds ``normalization`` (and the other way round), and a word the
index has never seen is replaced by its closest indexed spellings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.store.port import PaperStore
from bot.text import plural_forms

__all__ = ["corrections", "find_corrections", "search_words", "spelling_forms", "variants"]

_MIN_TYPO_LEN = 4

# British and American spellings of one word, both ways round. Suffix rules keep a stem
# of at least three letters ("rise" is not "rize"); the endings that also close other
# words (-our, -re, -ogue) apply only to the stems of the words that differ, so "four",
# "detour" or "Dufour" keep their spelling.
_STEM = r"^([a-z]{3,})"
_ENDINGS = r"(ation|ations|ational|e|es|ed|er|ers|ing)"
_OUR_STEMS = (
    r"^([a-z]*(?:ard|arm|behavi|cand|clam|col|endeav|fav|flav|glam|harb|hon|hum|lab"
    r"|neighb|od|parl|rig|rum|sav|savi|splend|tum|val|vap|vig))"
)
_OUR_ENDINGS = r"(s|ed|ing|ite|ites|able|ably|al|ally|hood|hoods|less|ful|er|ers)?"
_RE_STEMS = r"^((?:epi)?cent|fib|(?:kilo|centi|milli)?met|(?:milli)?lit|theat|spect|calib|sombr)"
_OGUE_STEMS = r"^(dial|catal|anal|monol|epil)"
_RULES = [
    (re.compile(pattern), replacement)
    for pattern, replacement in [
        (rf"{_STEM}is{_ENDINGS}$", r"\1iz\2"),  # normalisation, optimised
        (rf"{_STEM}iz{_ENDINGS}$", r"\1is\2"),
        (rf"{_STEM}ys(e|es|ed|er|ers|ing)$", r"\1yz\2"),  # analyse
        (rf"{_STEM}yz(e|es|ed|er|ers|ing)$", r"\1ys\2"),
        (rf"{_OUR_STEMS}our{_OUR_ENDINGS}$", r"\1or\2"),  # behaviour, neighbourhood
        (rf"{_OUR_STEMS}or{_OUR_ENDINGS}$", r"\1our\2"),
        (rf"{_RE_STEMS}re(s?)$", r"\1er\2"),  # centre, fibres
        (rf"{_RE_STEMS}er(s?)$", r"\1re\2"),
        (rf"{_RE_STEMS}red$", r"\1ered"),  # centred
        (rf"{_RE_STEMS}ered$", r"\1red"),
        (rf"{_OGUE_STEMS}ogue(s?)$", r"\1og\2"),  # dialogue, catalogue
        (rf"{_OGUE_STEMS}og(s?)$", r"\1ogue\2"),
        # A doubled l after a single vowel: modelling, labelled, travelling ("filling"
        # is not "filing": the stem needs a letter before its last consonant).
        (r"^([a-z]+[^aeiou][aeiou])ll(ed|ing|er|ers)$", r"\1l\2"),
        (r"^([a-z]+[^aeiou][aeiou])l(ed|ing|er|ers)$", r"\1ll\2"),
    ]
]
# Words no suffix rule covers, British first.
_WORDS = {
    "ageing": "aging",
    "aluminium": "aluminum",
    "artefact": "artifact",
    "artefacts": "artifacts",
    "defence": "defense",
    "defences": "defenses",
    "enrolment": "enrollment",
    "fulfil": "fulfill",
    "grey": "gray",
    "judgement": "judgment",
    "judgements": "judgments",
    "licence": "license",
    "licences": "licenses",
    "manoeuvre": "maneuver",
    "manoeuvres": "maneuvers",
    "offence": "offense",
    "programme": "program",
    "programmes": "programs",
    "sceptical": "skeptical",
    "skilful": "skillful",
}
_WORD_PAIRS = {**_WORDS, **{us: uk for uk, us in _WORDS.items()}}


def spelling_forms(term: str) -> tuple[str, ...]:
    """Other spellings of ``term`` across British and American English, in the singular
    and plural (``normalisation`` -> ``normalization``, ``normalizations``; ``colors`` ->
    ``colour``, ``color``), whether or not any paper uses them."""
    # The word, its plural and its singular: the forms the rules know. (Not every
    # ending plural_forms guesses: "synthesis" + "es" would read as a verb.)
    sources = {term, term + "s", *(f for f in plural_forms(term) if len(f) < len(term))}
    forms: set[str] = set()
    for form in sources:
        if form in _WORD_PAIRS:
            forms.add(_WORD_PAIRS[form])
        for pattern, replacement in _RULES:
            if pattern.match(form):
                forms.add(pattern.sub(replacement, form))
    forms.discard(term)
    return tuple(sorted(forms))


def variants(term: str, vocabulary: Mapping[str, int]) -> tuple[str, ...]:
    """Indexed forms of ``term`` besides itself: singular/plural (``robots`` ->
    ``robot``) and its British/American spellings (``normalisation`` ->
    ``normalization``), so a word finds its papers however they spell it.

    A spelling variant counts only if more than one paper uses it: one that appears
    once is more often a typo in that paper than the other spelling of the word.
    """
    if len(term) < 3 or term.isdigit():
        return ()
    plurals = {f for f in plural_forms(term) if f != term and f in vocabulary}
    spellings = {f for f in spelling_forms(term) if vocabulary.get(f, 0) > 1}
    return tuple(sorted(plurals | spellings))


def corrections(term: str, vocabulary: Mapping[str, int], *, limit: int = 3) -> tuple[str, ...]:
    """Indexed words that ``term`` was probably meant to be (empty when it is known).

    One edit for a word of four or five letters, two for longer ones; a swap of two
    neighbouring letters counts as one edit (optimal string alignment distance). Words
    found in more than one paper are tried first; only when none is close enough are
    the words of a single paper (the name of one model, say) tried.

    This reads the whole of ``vocabulary``; a search asks its store for the candidates
    instead (:func:`find_corrections`), which is how PostgreSQL uses its trigram index.
    """
    if not _correctable(term, vocabulary):
        return ()
    edits = _max_edits(term)
    for common in (True, False):
        words = [
            word
            for word, papers in vocabulary.items()
            if (papers > 1) == common and abs(len(word) - len(term)) <= edits
        ]
        found = _closest(term, words, edits, vocabulary, limit)
        if found:
            return found
    return ()


async def find_corrections(
    store: PaperStore, term: str, known: Mapping[str, int], *, limit: int = 3
) -> dict[str, int]:
    """``corrections`` of ``term`` with the number of papers holding each, from the
    candidates ``store`` offers for it (see ``PaperStore.spelling_candidates``);
    ``known`` holds at least ``term``'s own count when some paper has it."""
    if not _correctable(term, known):
        return {}
    edits = _max_edits(term)
    for common in (True, False):
        words = await store.spelling_candidates(term, max_edits=edits, common=common)
        found = _closest(term, list(words), edits, words, limit)
        if found:
            return {word: words[word] for word in found}
    return {}


def search_words(term: str) -> tuple[str, ...]:
    """The words whose counts a search for ``term`` reads (besides its corrections):
    itself, its singular or plural and its British or American spellings."""
    return (term, *plural_forms(term), *spelling_forms(term))


def _correctable(term: str, vocabulary: Mapping[str, int]) -> bool:
    return term not in vocabulary and len(term) >= _MIN_TYPO_LEN and not term.isdigit()


def _max_edits(term: str) -> int:
    return 1 if len(term) <= 5 else 2


def _closest(
    term: str, words: Sequence[str], edits: int, vocabulary: Mapping[str, int], limit: int
) -> tuple[str, ...]:
    """Those of ``words`` at the least distance from ``term`` (at most ``edits``), the
    ones more papers use first."""
    found = process.extract(term, words, scorer=OSA.distance, score_cutoff=edits, limit=None)
    matches = [(word, distance) for word, distance, _ in found if not word.isdigit()]
    if not matches:
        return ()
    closest = min(distance for _word, distance in matches)
    ranked = sorted(
        (word for word, distance in matches if distance == closest),
        key=lambda word: (-vocabulary.get(word, 0), word),
    )
    return tuple(ranked[:limit])
