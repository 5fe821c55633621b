"""The column space: token -> column of count and TF-IDF matrices, shared by lineage."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Columns"]


class Columns(dict[str, int]):
    """Token -> column of the count matrices, append-only: a column, once given, keeps
    its token. Windows (and the TF-IDF matrices built on them) in one lineage can compare
    rows without translating tokens.

    A new ``Columns()`` starts a lineage; :meth:`fork` copies one to extend elsewhere (a
    worker thread) and keeps its lineage, as the copy only adds columns. Forks compare
    with each other as long as each extends the one before it: fork, extend, replace the
    original with the fork, one at a time.
    """

    __slots__ = ("lineage",)

    def __init__(
        self, tokens: Mapping[str, int] | None = None, *, lineage: object | None = None
    ) -> None:
        super().__init__(tokens or {})
        self.lineage = object() if lineage is None else lineage

    def fork(self) -> Columns:
        """A copy in the same lineage."""
        return Columns(self, lineage=self.lineage)

    def shares_lineage(self, other: Columns) -> bool:
        """Whether rows weighed in ``other`` compare with rows weighed in this one."""
        return self.lineage is other.lineage
