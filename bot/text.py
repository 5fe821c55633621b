"""Text helpers shared by search, ranking and formatting: tokens and tidy whitespace."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STOPWORDS", "clean_text", "detex", "fold", "plural_forms", "tokenize"]

# Words too common to be worth naming in a "matches ..." reason.
STOPWORDS = frozenset(
    "a an and are as at be by for from how in into is it its of on or our that the their"
    " this to via vs we what when where which who why with without you your all can do"
    " does not no new using use towards toward beyond".split()
)

_SPACE = re.compile(r"\s+")
# Letters and digits form tokens; everything else separates them. This mirrors SQLite
# FTS5's unicode61 tokenizer with remove_diacritics 2, so our tokens are its tokens.
_TOKEN = re.compile(r"[^\W_]+")
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")
# For ASCII text the same tokens come faster from a translation table: letters lower-cased,
# digits kept, every other character a space.
_ASCII_WORDS = str.maketrans({c: chr(c).lower() if chr(c).isalnum() else " " for c in range(128)})


def clean_text(text: str | None) -> str:
    """Collapse arXiv's hard line wraps and whitespace runs; drop control characters."""
    if not text:
        return ""
    return _SPACE.sub(" ", text.translate(_CONTROL)).strip()


def fold(text: str) -> str:
    """Lower-case and strip diacritics (``Wübben`` -> ``wubben``), as SQLite's FTS5
    ``unicode61`` tokenizer does: ``ß`` stays ``ß`` (``casefold`` would make it ``ss``,
    a word the index does not hold)."""
    if text.isascii():  # nearly every title and abstract: no need to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text).lower()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenize(text: str) -> list[str]:
    """Split ``text`` into folded word tokens, as the full-text index sees it."""
    if text.isascii():  # nearly every title and abstract
        return text.translate(_ASCII_WORDS).split()
    return _TOKEN.findall(fold(text))


def plural_forms(term: str) -> tuple[str, ...]:
    """``term`` and its likely singular/plural spellings."""
    forms = {term, term + "s", term + "es"}
    if term.endswith("s"):
        forms.add(term[:-1])
    if term.endswith("es"):
        forms.add(term[:-2])
    if term.endswith("ies"):
        forms.add(term[:-3] + "y")
    if term.endswith("y"):
        forms.add(term[:-1] + "ies")
    return tuple(forms)


_SUPERSCRIPT = str.maketrans("0123456789+-=()nijkl", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏˡ")
_SUBSCRIPT = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_CAN_RAISE = set("0123456789+-=()nijkl")
_CAN_LOWER = set("0123456789+-=()aehijklmnoprstuvx")
_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "times": "×",
    "cdot": "·", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠",
    "infty": "∞", "pm": "±", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "approx": "≈", "sim": "∼", "ell": "ℓ", "partial": "∂", "nabla": "∇", "sum": "∑",
    "prod": "∏", "in": "∈", "emptyset": "∅", "circ": "°", "star": "⋆", "dagger": "†",
    "ldots": "…", "dots": "…", "cdots": "⋯",
}  # fmt: skip
_BLACKBOARD = {"N": "ℕ", "Z": "ℤ", "Q": "ℚ", "R": "ℝ", "C": "ℂ", "P": "ℙ", "E": "𝔼"}
# Escapes that mean the character itself, in math or out of it.
_ESCAPED = re.compile(r"\\([$&%_#{} ])")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_STYLE = re.compile(r"\\(?:math(?:bb|bf|cal|rm|it|sf|frak)|text(?:bf|it|rm|sc)?|operatorname)\s*")
_SCRIPT = re.compile(r"([_^])(?:\{([^{}]*)\}|(\\[A-Za-z]+|.))")
# A math span: between two unescaped dollars, short, and not a price ("$1 and $2").
_MATH = re.compile(r"(?<!\\)\$([^$]{1,80}?)(?<!\\)\$")


def _math(span: str) -> str:
    def blackboard(m: re.Match[str]) -> str:
        return _BLACKBOARD.get(m.group(1), m.group(1))

    text = re.sub(r"\\mathbb\s*\{?\s*([A-Za-z])\s*\}?", blackboard, span)
    text = re.sub(r"\{\s*\\mathbb\s+([A-Za-z])\s*\}", blackboard, text)
    text = _STYLE.sub("", text)

    def script(m: re.Match[str]) -> str:
        body = m.group(2) if m.group(2) is not None else m.group(3)
        body = _COMMAND.sub(lambda c: _SYMBOLS.get(c.group(1), c.group(1)), body)
        if m.group(1) == "^":
            if body == "°":
                return "°"
            if set(body) <= _CAN_RAISE:
                return body.translate(_SUPERSCRIPT)
            return "^" + body
        return body.translate(_SUBSCRIPT) if set(body) <= _CAN_LOWER else "_" + body

    text = _SCRIPT.sub(script, text)
    text = _COMMAND.sub(lambda c: _SYMBOLS.get(c.group(1), c.group(1)), text)
    return text.replace("{", "").replace("}", "")


def detex(text: str) -> str:
    """LaTeX in a title or abstract as the text it stands for: ``M$^3$Exam`` -> ``M³Exam``,
    ``$\\mathbb{Z}_4$`` -> ``ℤ₄``, ``\\&`` -> ``&``; a lone dollar (a price) stays."""
    if "$" not in text and "\\" not in text:
        return text  # nearly every title: nothing to do
    text = _MATH.sub(_math_or_money, text)
    return _ESCAPED.sub(r"\1", text)


def _math_or_money(m: re.Match[str]) -> str:
    span = m.group(1)
    # "between $1 and $2": two prices, not the math "1 and ".
    if span[:1].isdigit() and " " in span.strip():
        return m.group(0)
    return _math(span)
