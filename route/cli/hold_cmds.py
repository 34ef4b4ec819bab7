"""The ``hold`` and ``holds`` commands: holds (vacations, temporary stops) kept in the workspace.

A hold is stored with its dates and applies to every day it covers, whichever command runs the
day; ``holds`` lists what is active on a date and what is coming.
"""

from __future__ import annotations

import argparse
from datetime import date

from route.cli.common import _open, _Reporter
from route.errors import InputError, Issue, input_error
from route.io.holdstore import StoredHold
from route.model.day import Hold
from route.model.subscriber import Subscriber


def _date_arg(text: str | None, flag: str, problems: list[Issue]) -> date | None:
    from route.io.fields import parse_date

    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError:
        problems.append(Issue(flag, "not a date", "use YYYY-MM-DD, e.g. 2024-12-05", value=text))
        return None


def _span(h: Hold | StoredHold) -> str:
    last = h.last_day if isinstance(h, StoredHold) else h.end
    return f"{h.start.isoformat()} to {last.isoformat() if last else 'further notice'}"


def cmd_hold(args: argparse.Namespace, say: _Reporter) -> int:
    problems: list[Issue] = []
    first = _date_arg(args.first, "--from", problems)
    last = _date_arg(args.last, "--to", problems)
    if args.cancel:
        if args.last is not None:
            problems.append(
                Issue("--to", "does not go with --cancel", "give --from: the first day delivered")
            )
        if args.note:
            problems.append(Issue("--note", "does not go with --cancel", "leave it out"))
    elif args.first is None:
        problems.append(Issue("--from", "is required", "give the first day held, YYYY-MM-DD"))
    if first is not None and last is not None and last < first:
        problems.append(
            Issue("--to", "the hold ends before it starts", "swap --from and --to", value=args.last)
        )
    if problems:
        raise InputError(problems)
    ids = list(dict.fromkeys(args.ids))
    with _open(args) as ws, ws.transaction():
        subs = {s.id: s for s in ws.subscribers(active_only=False)}
        active = {s.id for s in ws.subscribers()}
        bad = [
            Issue(
                "ID",
                "no such subscriber" if i not in subs else "removed from the route",
                "give ids of active subscribers (see the route sheet)",
                value=i,
            )
            for i in ids
            if i not in active
        ]
        if bad:
            raise InputError(bad)
        days = [date.fromisoformat(d) for d in ws.day_dates()]
        if args.cancel:
            changed = ws.cancel_holds(ids, first or date.today())
            lines = _cancel(changed, ids, first, subs)
            run = [d for d in days if any(b.covers(d) and not a.covers(d) for b, a in changed)]
        else:
            assert first is not None
            lines, run = [], []
            for i in ids:
                h = Hold(i, first, last, args.note)
                outcome = ws.place_hold(h)
                # Describe the hold as stored (its note may be from before).
                note = next(
                    (s.note for s in ws.holds([i]) if (s.start, s.end) == (first, last)), ""
                )
                shown = Hold(i, first, last, note)
                lines.append(f"{_who(subs[i])}: {_placed(outcome, shown, subs[i])}")
                if outcome in ("stored", "reinstated"):
                    run += [d for d in days if h.covers(d)]
        run = sorted(set(run))
    print("\n".join(lines))
    if run:
        print(
            f"note: {', '.join(d.isoformat() for d in run)} "
            f"{'was' if len(run) == 1 else 'were'} run already and "
            "stay as they were; to apply this: paperroute day "
            f"{args.workspace} --date D --replace"
        )
    return 0


def _who(sub: Subscriber) -> str:
    return f"{sub.id} ({sub.name})" if sub.name else sub.id


def _placed(outcome: str, h: Hold, sub: Subscriber) -> str:
    from route.day.changes import back_on

    back = back_on(sub, h)
    text = f"on hold {_span(h)}" + (f" ({h.note})" if h.note else "")
    text += f"; delivered again on {back.isoformat()}" if back else ""
    return {
        "stored": text,
        "reinstated": text + " (the same hold, cancelled before, stands again)",
        "note": text + " (already held; the note is updated)",
        "unchanged": text + " (already held; nothing changed)",
    }[outcome]


def _cancel(
    changed: list[tuple[StoredHold, StoredHold]],
    ids: list[str],
    first: date | None,
    subs: dict[str, Subscriber],
) -> list[str]:
    day = first or date.today()
    without = [i for i in ids if not any(b.subscriber_id == i for b, _a in changed)]
    if without:
        raise input_error(
            "ID",
            f"no hold on or after {day.isoformat()} to cancel",
            "list the holds: paperroute holds WORKSPACE",
            value=", ".join(without),
        )
    lines = []
    for before, after in changed:
        who = _who(subs[before.subscriber_id])
        if after.void:
            lines.append(f"{who}: hold {_span(before)} cancelled (it had not begun)")
        else:
            lines.append(
                f"{who}: hold {_span(before)} now ends {_span(after).split(' to ')[1]}; "
                f"delivered again from {day.isoformat()}"
            )
    return lines


def cmd_holds(args: argparse.Namespace, say: _Reporter) -> int:
    from route.day.changes import back_on

    problems: list[Issue] = []
    day = _date_arg(args.date, "--date", problems) or date.today()
    if problems:
        raise InputError(problems)
    with _open(args) as ws, ws.reading():
        subs = {s.id: s for s in ws.subscribers(active_only=False)}
        active = {s.id for s in ws.subscribers()}
        rows = []
        for stored in ws.holds():
            h = stored.hold()
            if h is None or h.subscriber_id not in active:
                continue
            if h.covers(day):
                status = "on hold"
            elif h.start > day:
                status = "upcoming"
            else:
                continue
            sub = subs[h.subscriber_id]
            back = back_on(sub, h)
            rows.append(
                (
                    h.subscriber_id,
                    sub.name,
                    h.start.isoformat(),
                    h.end.isoformat() if h.end else "until cancelled",
                    back.isoformat() if back else "",
                    status,
                    h.note,
                )
            )
    if not rows:
        print(f"No holds on {day.isoformat()} and none upcoming.")
        return 0
    held = sum(r[5] == "on hold" for r in rows)
    print(f"Holds on {day.isoformat()}: {held} on hold, {len(rows) - held} upcoming")
    rows.sort(key=lambda r: (r[5] != "on hold", r[2], r[0]))
    table = [("id", "name", "from", "to", "back on", "status", "note"), *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0
