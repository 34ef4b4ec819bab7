"""The shortage and redelivery policy: who goes without when supply is short.

A :class:`Policy` is read from ``policy.toml`` in the workspace; :data:`DEFAULT_POLICY_TOML`
documents the default and :data:`DEFAULT_POLICY` is it, parsed. :func:`parse_policy` validates
a policy's text and reports every problem at once. The allocation that obeys a policy is
:func:`route.day.allocation.allocate`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from route.constants import TIERS
from route.errors import InputError, Issue, input_error

#: The default policy file, written into a workspace on its first day.
DEFAULT_POLICY_TOML = """\
# paperroute shortage policy: who goes without when there are fewer items than subscribers.
# The route never changes; only the actions at the stops do.

[shortage]
# Tiers that go without first, in this order (the carrier's own household, then samples,
# then complimentary copies), before any paying subscriber notices.
forgo = ["household", "sample", "complimentary"]
# Then subscribers who accept a substitute (their ordered 'substitutes' column) receive one.
# A subscriber who wrote 'none' never receives a substitute.
substitutes = true
# Only then are the remaining tiers shorted: least recently shorted first (from the ledger),
# and nobody two days running while others were not. These tiers get a credit per copy short.
credit_tiers = ["paying"]

[redelivery]
# Where a paying subscriber's replacement for a missed, wet or damaged item comes from: "spare"
# (supply left over), then the copies of these forgo tiers, in the forgo order; the late bundle
# is shared out the same way. By default the replacement comes before every household, sample
# and complimentary copy. To keep the sample and complimentary copies before replacements,
# write ["spare", "household"]. A paying subscriber's own copy is never taken; a complaint that
# cannot be met is credited instead. (Without this line: spare, then every forgo tier.)
replacement_from = ["spare", "household", "sample", "complimentary"]
"""

SPARE = "spare"
_KEYS = {"shortage": {"forgo", "substitutes", "credit_tiers"}, "redelivery": {"replacement_from"}}


@dataclass(frozen=True, slots=True)
class Policy:
    """The shortage and redelivery policy.

    Attributes
    ----------
    forgo
        Tiers that go without first, in order.
    substitutes
        Whether accepted substitutes are handed out before anyone in the rotated tiers is shorted.
    credit_tiers
        Tiers credited per copy short.
    replacement_from
        ``"spare"`` and a leading part of ``forgo``: whose copies replace a paying
        subscriber's missed, wet or damaged item (from the morning supply or the late bundle);
        the replacement goes without only after these tiers have.
    """

    forgo: tuple[str, ...] = ("household", "sample", "complimentary")
    substitutes: bool = True
    credit_tiers: tuple[str, ...] = ("paying",)
    replacement_from: tuple[str, ...] = (SPARE, "household", "sample", "complimentary")

    @property
    def rotated(self) -> tuple[str, ...]:
        """Tiers shorted last, in a fair rotation (every tier not in ``forgo``)."""
        return tuple(t for t in TIERS if t not in self.forgo)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return {
            "forgo": list(self.forgo),
            "substitutes": self.substitutes,
            "credit_tiers": list(self.credit_tiers),
            "replacement_from": list(self.replacement_from),
        }


def parse_policy(text: str, source: str = "policy.toml") -> Policy:
    """Parse and validate a policy file's text, reporting every problem at once.

    Raises
    ------
    InputError
        For TOML syntax errors, unknown sections or keys, unknown tiers and contradictions.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        at = re.search(r"at line (\d+)", str(e))
        row = int(at[1]) if at else max(1, len(text.splitlines()))  # "at end of document"
        raise input_error(
            source, f"not valid TOML ({e})", "compare with the default policy", row=row
        ) from e
    problems: list[Issue] = []

    def bad(column: str, value: object, message: str, fix: str) -> None:
        row = _line_of(text, *column.split(".", 1)) if "." in column else _line_of(text, column)
        problems.append(Issue(source, message, fix, row=row, column=column, value=value))

    for section, body in data.items():
        if section not in _KEYS or not isinstance(body, dict):
            bad(section, None, "unknown section", f"use [{'] and ['.join(_KEYS)}]")
            continue
        for key in body:
            if key not in _KEYS[section]:
                bad(
                    f"{section}.{key}",
                    None,
                    "unknown setting",
                    f"use one of: {', '.join(sorted(_KEYS[section]))}",
                )
    shortage = data.get("shortage", {}) if isinstance(data.get("shortage"), dict) else {}
    redelivery = data.get("redelivery", {}) if isinstance(data.get("redelivery"), dict) else {}
    default = Policy()

    def tiers(
        section: dict[str, Any], key: str, fallback: tuple[str, ...], extra: tuple[str, ...] = ()
    ) -> tuple[str, ...]:
        value = section.get(key, list(fallback))
        name = f"{'shortage' if section is shortage else 'redelivery'}.{key}"
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad(name, value, "not a list of tier names", 'write e.g. ["household", "sample"]')
            return fallback
        unknown = [v for v in value if v not in (*extra, *TIERS)]
        if unknown:
            bad(name, unknown, "unknown tier", f"use {', '.join((*extra, *TIERS))}")
        if len(set(value)) != len(value):
            bad(name, value, "a tier is listed twice", "list each tier once")
        return tuple(value)

    before_forgo = len(problems)
    forgo = tiers(shortage, "forgo", default.forgo)
    if "paying" in forgo:
        bad(
            "shortage.forgo",
            list(forgo),
            "paying subscribers cannot forgo before substitutes",
            "remove 'paying': paying subscribers are shorted last, in a fair rotation",
        )
    forgo_ok = len(problems) == before_forgo
    substitutes = shortage.get("substitutes", default.substitutes)
    if not isinstance(substitutes, bool):
        bad("shortage.substitutes", substitutes, "not true or false", "write true or false")
        substitutes = default.substitutes
    credit = tiers(shortage, "credit_tiers", default.credit_tiers)
    # Without the setting, replacements may take every forgo tier's copies (the default).
    fallback = (SPARE, *forgo) if forgo_ok else default.replacement_from
    replacement = tiers(redelivery, "replacement_from", fallback, (SPARE,))
    taken = [t for t in replacement if t != SPARE]
    # Checked against a valid forgo list only: a bad forgo list is one problem, not two.
    if forgo_ok and taken != list(forgo[: len(taken)]):
        bad(
            "redelivery.replacement_from",
            list(replacement),
            "replacement copies are taken in the forgo order",
            f"list 'spare' and a leading part of forgo {list(forgo)}, e.g. {[SPARE, *forgo[:1]]}",
        )
    if problems:
        raise InputError(problems)
    return Policy(forgo, substitutes, credit, replacement)


def _line_of(text: str, section: str, key: str | None = None) -> int | None:
    """The line (1-based) of ``[section]``, or of ``key = ...`` inside it, for messages."""
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        t = line.strip()
        if t.startswith("["):
            current = t.strip("[] \t")
            if key is None and current == section:
                return number
        elif current == section and key is not None and re.match(rf"{re.escape(key)}\s*=", t):
            return number
    return None


#: The documented default policy (:data:`DEFAULT_POLICY_TOML`): household, samples and
#: complimentary copies forgo first, substitutes next, then a fair rotation with credits.
DEFAULT_POLICY = Policy()
