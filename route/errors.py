"""Errors raised for a user's mistakes.

Every error a user can fix is an :class:`InputError` (a ``ValueError``). It carries every
:class:`Issue` found at once, each naming where (file, row, column), the offending value and
how to fix it, so the command line can print them all and exit with status 2.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Issue:
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
        where = printable(self.source)
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{printable(self.column)}'"
        value = "" if self.value is None else f" (got {self.value!r})"
        return f"{where}: {printable(self.message)}{value}. Fix: {printable(self.fix)}"


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape codes) shown as ``\\x1b``."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(ValueError):
    """Bad input, reported with every problem found.

    Parameters
    ----------
    issues
        The issues; at least one.
    """

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        if not self.issues:
            raise ValueError("InputError needs at least one issue")
        super().__init__(self.report())

    def __reduce__(self) -> tuple[type[InputError], tuple[tuple[Issue, ...]]]:
        # Rebuilt from its issues, not its message: an error raised in another process (a
        # district planned on a Dask worker) arrives whole.
        return (InputError, (self.issues,))

    @property
    def problems(self) -> tuple[Issue, ...]:
        """The issues (the name before 0.2)."""
        return self.issues

    def report(self) -> str:
        """Return every problem, one per line, under a count."""
        n = len(self.issues)
        head = f"{n} problem{'s' if n != 1 else ''} found:"
        return "\n".join([head, *(f"  - {p}" for p in self.issues)])


def input_error(source: str, message: str, fix: str, **where: object) -> InputError:
    """Return an :class:`InputError` with a single problem (a shorthand)."""
    row = where.pop("row", None)
    column = where.pop("column", None)
    value = where.pop("value", None)
    if where:
        raise TypeError(f"unexpected arguments: {sorted(where)}")
    return InputError(
        [
            Issue(
                source=source,
                message=message,
                fix=fix,
                row=row if isinstance(row, int) else None,
                column=column if isinstance(column, str) else None,
                value=value,
            )
        ]
    )


class ConflictError(RuntimeError):
    """A change refused to keep the workspace whole: it was computed from a route-book version
    that is no longer the newest, or it would leave a subscriber neither routed nor listed as
    unserved. Nothing was written."""


def __getattr__(name: str) -> object:
    # ``Problem`` was the error record's name until 0.2; it now means the routing problem
    # (:class:`route.solver.problem.Problem`). Kept for one release.
    if name == "Problem":
        warnings.warn(
            "route.errors.Problem is now route.errors.Issue; the old name goes in 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
        return Issue
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
