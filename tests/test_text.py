"""Text helpers: LaTeX shown as the text it stands for, a price left as it is."""

from __future__ import annotations

import pytest

from bot.text import detex


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("$\\mu$Flow", "μFlow"),
        ("M$^3$Exam: Benchmarking", "M³Exam: Benchmarking"),
        ("under $L_p$-norm Social Cost", "under Lₚ-norm Social Cost"),
        ("Codes over $\\mathbb{Z}_4$", "Codes over ℤ₄"),
        (
            "kissing in ${\\mathbb R}^{12}$ and the $841$st sphere",
            "kissing in ℝ¹² and the 841st sphere",
        ),
        ("360$^\\circ$ Panorama", "360° Panorama"),
        ("$\\alpha$-divergence for $\\epsilon \\leq 1$", "α-divergence for ε ≤ 1"),
        ("Prefill \\& Decode", "Prefill & Decode"),
        ("\\$OneMillion-Bench", "$OneMillion-Bench"),
        # Prices are not math.
        (
            "Can LLMs Earn $1 Million from Freelance Work?",
            "Can LLMs Earn $1 Million from Freelance Work?",
        ),
        ("Fixing 7,400 Bugs for 1$: Cheap Repair", "Fixing 7,400 Bugs for 1$: Cheap Repair"),
        ("costs between $1 and $2 per call", "costs between $1 and $2 per call"),
        ("Attention Is All You Need", "Attention Is All You Need"),
    ],
)
def test_latex_reads_as_text(typed: str, shown: str) -> None:
    assert detex(typed) == shown
