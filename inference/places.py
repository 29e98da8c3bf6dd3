"""Where a row's field is in a ``/score`` body, as a JSON pointer (RFC 6901), for each form of
the body: a list of rows, JSON columns, Arrow columns."""

from __future__ import annotations


def escape(token: str) -> str:
    """A JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


class Place:
    """Where row ``i``'s fields are in the body: ``/rows/i/field`` for a list of rows."""

    def __init__(self, name: str) -> None:
        self.name = name

    def field(self, i: int, *path: str) -> str:
        return f"/{self.name}/{i}" + "".join(f"/{escape(p)}" for p in path)

    def row(self, i: int) -> str:
        return f"/{self.name}/{i}"

    def about(self, i: int, detail: str) -> str:
        """``detail`` of a problem of the whole row."""
        return detail

    def ref(self, i: int) -> str:
        return f"/{self.name}/{i}"


class ColumnPlace(Place):
    """Rows sent as columns: ``/rows/field/i`` and ``/rows/features/name/i`` in JSON; ``/field/i``
    and ``/features/name/i`` in an Arrow stream (``prefix`` ""), where ``numbers`` maps row ``i``
    of a part (rows or history rows) to its row in the stream."""

    def __init__(
        self, name: str, prefix: str | None = None, numbers: list[int] | None = None
    ) -> None:
        super().__init__(name)
        self.prefix = f"/{name}" if prefix is None else prefix
        self.numbers = numbers

    def column(self, *path: str) -> str:
        return self.prefix + "".join(f"/{escape(p)}" for p in path)

    def field(self, i: int, *path: str) -> str:
        return f"{self.column(*path)}/{self._number(i)}"

    def row(self, i: int) -> str:
        """A problem of the whole row (two rows for one point and hour) points at its
        settlement point: the cell every row has."""
        return self.field(i, "settlement_point")

    def about(self, i: int, detail: str) -> str:
        return f"row {self._number(i)}: {detail}"

    def ref(self, i: int) -> str:
        return f"row {self._number(i)}"

    def _number(self, i: int) -> int:
        return i if self.numbers is None else self.numbers[i]
