"""The ``ledger`` report and the pay ``rates`` it uses."""

from __future__ import annotations

import argparse
from typing import Any

from route.cli.common import _open, _Reporter
from route.constants import MAX_RATE
from route.errors import InputError, Issue


def cmd_ledger(args: argparse.Namespace, say: _Reporter) -> int:
    from route.day.ledger import ledger_report
    from route.io.fields import parse_date
    from route.io.files import atomic_write
    from route.output.ledger import ledger_csv, ledger_text

    problems: list[Issue] = []
    bounds: list[str | None] = []
    for flag, text in (("--from", args.first), ("--to", args.last)):
        try:
            bounds.append(None if text is None else parse_date(text).isoformat())
        except ValueError:
            bounds.append(None)
            problems.append(Issue(flag, "not a date", "use YYYY-MM-DD", value=text))
    first, last = bounds
    if first and last and last < first:
        problems.append(Issue("--to", "before --from", "swap them", value=args.last))
    with _open(args) as ws:
        # Days whose day.json went missing are written again first (the database is the truth).
        ws.sync_day_files()
        with ws.reading():
            known = {s.id: s.name for s in ws.subscribers(active_only=False)}
            problems += [
                Issue("--id", "no such subscriber", "give an id from the route sheet", value=i)
                for i in args.ids
                if i not in known
            ]
            if problems:
                raise InputError(problems)
            report = ledger_report(
                ws.ledger_rows(),
                ws.days(),
                first=first,
                last=last,
                ids=args.ids,
                rates=ws.pay_rates,
            )
    print(ledger_text(report, known))
    if args.csv:
        path = atomic_write(args.csv, ledger_csv(report, known))
        print(f"\nLedger (CSV): {path}")
    return 0


def cmd_rates(args: argparse.Namespace, say: _Reporter) -> int:
    problems: list[Issue] = []
    rates: dict[str, Any] = {}
    for key, value in (
        ("per_stop", args.per_stop),
        ("per_km", args.per_km),
        ("per_hour", args.per_hour),
    ):
        if value is not None:
            if value < 0:
                flag = "--" + key.replace("_", "-")
                problems.append(Issue(flag, "must not be negative", "give 0 or more", value=value))
            rates[key] = value
    piece: dict[str, float] = {}
    for text in args.per_piece:
        product, eq, amount = text.rpartition("=")
        key = product.strip() if eq else "*"
        try:
            n = float(amount)
        except ValueError:
            n = -1.0
        if not 0 <= n <= MAX_RATE or (eq and not key):  # nan fails the comparison too
            problems.append(
                Issue(
                    "--per-piece",
                    f"not AMOUNT or PRODUCT=AMOUNT, an amount from 0 to {MAX_RATE:,}",
                    "write e.g. 0.12 or paper=0.12",
                    value=text,
                )
            )
            continue
        piece[key] = n
    if piece:
        rates["per_piece"] = piece
    if args.currency:
        rates["currency"] = args.currency
    if args.clear and rates:
        problems.append(Issue("--clear", "does not go with new rates", "give one or the other"))
    if problems:
        raise InputError(problems)
    with _open(args) as ws, ws.transaction():
        current = ws.pay_rates
        if args.clear:
            ws.set_pay_rates({})
            current = {}
        elif rates:
            merged = {**current, **rates}
            if "per_piece" in rates:
                merged["per_piece"] = {**current.get("per_piece", {}), **piece}
            ws.set_pay_rates(merged)
            current = merged
    print(_describe(current))
    return 0


def _describe(rates: dict[str, Any]) -> str:
    if not rates:
        return "No pay rates set: the ledger shows the carriers' figures without pay."
    cur = f" {rates['currency']}" if rates.get("currency") else ""
    parts = []
    for key, label in (("per_stop", "stop"), ("per_km", "km"), ("per_hour", "hour")):
        if key in rates:
            parts.append(f"{rates[key]:g}{cur} per {label}")
    for product, amount in sorted(rates.get("per_piece", {}).items()):
        what = "piece" if product == "*" else f"piece of {product}"
        parts.append(f"{amount:g}{cur} per {what}")
    return "Pay rates: " + "; ".join(parts) + "."
