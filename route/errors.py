"""Errors raised for a user's mistakes.

Every error a user can fix is an :class:`InputError` (a ``ValueError``). It carries every
:class:`Problem` found at once, each naming where (file, row, column), the offending value and
how to fix it, so the command line can print them all and exit with status 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input.

    Attributes
    ----------
    source
        The file (or argument) the problem is in.
    message
        What is wrong.
    fix
        How to put it right.
    row
        The 1-based data row (the header is row 1 in a CSV, so the first subscriber is row 2),
        or ``None`` where the problem concerns the whole input.
    column
        The column or field name, if any.
    value
        The offending value, quoted in the message, if any.
    """

    source: str
    message: str
    fix: str
    row: int | None = None
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        value = "" if self.value is None else f" (got {self.value!r})"
        return f"{where}: {self.message}{value}. Fix: {self.fix}"


class InputError(ValueError):
    """Bad input, reported with every problem found.

    Parameters
    ----------
    problems
        The problems; at least one.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__(self.report())

    def report(self) -> str:
        """Return every problem, one per line, under a count."""
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def input_error(source: str, message: str, fix: str, **where: object) -> InputError:
    """Return an :class:`InputError` with a single problem (a shorthand)."""
    row = where.pop("row", None)
    column = where.pop("column", None)
    value = where.pop("value", None)
    if where:
        raise TypeError(f"unexpected arguments: {sorted(where)}")
    return InputError(
        [
            Problem(
                source=source,
                message=message,
                fix=fix,
                row=row if isinstance(row, int) else None,
                column=column if isinstance(column, str) else None,
                value=value,
            )
        ]
    )


class UnreachableError(RuntimeError):
    """A location cannot be reached on the street network (not a user typo, a data fact)."""
