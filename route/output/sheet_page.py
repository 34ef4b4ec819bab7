"""The route sheet as one printable page (:class:`route.output.sheet.Sheet` in, HTML out).

One self-contained, well-formed page (XHTML syntax, so an XML parser reads it): print CSS for A4
or Letter with the header repeated on every page and each carrier on their own pages, a tick box
per visit, navigation links to each curb point (hidden in print), and a card layout on narrow
phone screens. The stops passed by that day are one line per reason, with a toggle
(``<details>``) that shows them. :mod:`route.output.pdf` prints the page to PDF.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from route.constants import OSM_CREDIT
from route.output.nav import links_html
from route.output.sheet import CarrierSheet, Sheet, SheetRow
from route.output.style import hours_minutes

__all__ = ["PAPER_SIZES", "sheet_html"]

#: ``--paper`` choices and their CSS page size.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}

_CSS = """
*{box-sizing:border-box}
body{font:10.5pt/1.35 system-ui,"DejaVu Sans",Arial,sans-serif;color:#1f2328;margin:16px}
h1{font-size:15pt;margin:0 0 2px}
h2{font-size:12.5pt;margin:14px 0 4px}
h3{font-size:11pt;margin:12px 0 4px}
.sub{color:#57606a;margin:0 0 8px}
.notice{border-left:4px solid #0969da;background:#ddf4ff;padding:4px 8px;margin:6px 0}
.changes{border:1.5px solid #9a6700;border-radius:4px;padding:4px 10px;margin:8px 0}
.changes h2{margin:2px 0;font-size:11pt}
.changes ul{margin:2px 0;padding-left:18px}
dl.facts{display:flex;flex-wrap:wrap;gap:2px 14px;margin:4px 0 6px;padding:5px 8px;
 background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px}
dl.facts div{display:flex;gap:4px}
dl.facts dt{color:#57606a}
dl.facts dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.advice{margin:2px 0 6px;color:#0a3069}
table.stops{width:100%;border-collapse:collapse}
.stops th{text-align:left;font-size:9pt;color:#57606a;border-bottom:2px solid #1f2328;
 padding:3px 4px}
.stops td{border-bottom:1px solid #d0d7de;padding:4px;vertical-align:top}
.stops tr.stop:nth-child(even) td{background:#f6f8fa}
.seq{font-weight:700;text-align:right;width:2.5em}
.time{font-variant-numeric:tabular-nums;width:4.2em}
.usual{font-variant-numeric:tabular-nums;width:7.5em;color:#57606a;white-space:nowrap}
.who b{display:block}
.spot b{text-transform:capitalize}
.note{color:#57606a;font-size:9pt}
.wait{color:#9a6700;font-weight:600;font-size:9pt}
.hazard{color:#9a6700;font-weight:600}
.tick{width:1.6em}
.tick span{display:inline-block;width:13px;height:13px;border:1.5px solid #57606a;border-radius:2px}
.act{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-weight:600;font-size:9pt}
.act-deliver{background:#2da44e}.act-substitute{background:#e16f24}
.act-redeliver{background:#8250df}.act-short{background:#cf222e}.act-skip{background:#8c959f}
h3.late{border-left:5px solid #8250df;padding-left:6px}
table.late tr.stop td,table.late tr.stop:nth-child(even) td{background:#fbefff}
details.passed{border-bottom:1px solid #d0d7de;padding:3px 0}
details.passed summary{cursor:pointer}
details.passed summary .note{margin-left:4px}
details.passed tr.stop td{color:#57606a}
table.totals{border-collapse:collapse;margin-top:12px}
.totals td{padding:1px 12px 1px 0}
.totals td.n{text-align:right;font-variant-numeric:tabular-nums}
.legend,footer{margin-top:8px;color:#57606a;font-size:8.5pt}
.nav{font-size:9pt;margin-top:2px}
.nav a{color:#0969da;text-decoration:none;white-space:nowrap}
.stops tr.carrier-row{display:none}
@page{size:PAGE_SIZE;margin:12mm 10mm}
@media print{
 body{margin:0;font-size:9.5pt}
 thead{display:table-header-group}
 tr{break-inside:avoid}
 h2,h3,dl.facts,.advice{break-after:avoid}
 .passed-by{break-inside:avoid}
 .stops tr.stop:nth-child(even) td,table.late tr.stop td{background:none}
 section.carrier+section.carrier{break-before:page}
 .act{color:#1f2328;background:none!important;border:1px solid #1f2328}
 .stops tr.carrier-row{display:table-row}
 .stops tr.carrier-row th{font-size:12pt;color:#1f2328;border:none;padding:0 0 4px}
 .nav{display:none}
 details.passed summary{list-style:none}
 details.passed summary::-webkit-details-marker{display:none}
}
@media (max-width:640px){
 body{margin:8px;font-size:11pt}
 .stops thead{display:none}
 .stops,.stops tbody,.stops tr,.stops td{display:block;width:auto}
 .stops tr.stop{border:1px solid #d0d7de;border-radius:6px;margin:0 0 8px;padding:4px 6px}
 .stops td{border:none;padding:1px 0}
 .stops tr.stop:nth-child(even) td{background:none}
 table.late tr.stop{background:#fbefff}
 .seq,.time,.usual{display:inline-block!important;text-align:left;width:auto!important;
  margin-right:8px}
 .seq::before{content:"#"}
 .usual:not(:empty)::before{content:"usually "}
 .tick{float:right}
 .nav{font-size:11pt;margin-top:4px}
 .nav a{display:inline-block;padding:4px 8px;margin:2px 4px 0 0;border:1px solid #0969da;
  border-radius:5px}
 .nav .sep{display:none}
}
"""


def sheet_html(sheet: Sheet, paper: str = "a4") -> str:
    """The sheet as a printable, well-formed HTML page, one section per carrier.

    Every stop is a ``<tr class="stop">``; the page parses as XML.

    Parameters
    ----------
    sheet
        What :func:`route.output.sheet.route_sheet` laid out.
    paper
        ``"a4"`` or ``"letter"`` (see :data:`PAPER_SIZES`).

    Raises
    ------
    ValueError
        For another paper size (the command line offers only these).
    """
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}")
    e = html.escape
    top = f'<h1>{e(sheet.title)}</h1><p class="sub">{e(sheet.subtitle)}</p>'
    if sheet.notice:
        top += f'<p class="notice">{e(sheet.notice)}</p>'
    if sheet.is_day:
        items = "".join(f"<li>{e(c)}</li>" for c in sheet.changes) or "<li>None today.</li>"
        top += f'<section class="changes"><h2>Today\'s changes</h2><ul>{items}</ul></section>'
    sections = "".join(
        _section(c, sheet, len(sheet.carriers) > 1) for c in sheet.carriers
    )  # fmt: skip
    totals = "".join(f'<tr><td>{e(k)}</td><td class="n">{e(v)}</td></tr>' for k, v in sheet.totals)
    legend = ["Time: planned arrival" + (" that day" if sheet.is_day else "") + "."]
    if sheet.has_usual:
        legend.append("Usual arrival: earliest to latest over the week (blank: always the same).")
    legend.append("Wait: time to wait at the stop for its window to open.")
    css = _CSS.replace("PAGE_SIZE", PAPER_SIZES[paper])
    return (
        '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head>'
        '<meta charset="utf-8"/><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"/><title>{e(sheet.title)}</title><style>{css}</style></head><body>'
        f"{top}{sections}"
        f'<table class="totals"><tbody>{totals}</tbody></table>'
        f'<p class="legend">{e(" ".join(legend))}</p>'
        f"<footer>Street data {e(OSM_CREDIT)} (ODbL). Made with paperroute.</footer>"
        "</body></html>\n"
    )


def _section(c: CarrierSheet, sheet: Sheet, several: bool) -> str:
    e = html.escape
    out = [f'<section class="carrier" id="carrier-{c.carrier}">']
    out.append(f"<h2>Carrier {c.carrier}</h2>" if several else "")
    out.append(_facts(c.facts))
    if c.advice:
        out.append(f'<p class="advice">{e(c.advice)}</p>')
    head = _head(sheet, c.carrier if several else None)
    out.append(_table(c.visits, sheet, head, "stops"))
    if c.late:
        out.append(f'<h3 class="late">Late pass: {len(c.late)} stops after the late bundle, '
                   "in route order</h3>")  # fmt: skip
        out.append(_facts(c.late_facts))
        out.append(_table(c.late, sheet, head, "stops late"))
    if c.passed:
        n = sum(len(rows) for _, rows in c.passed)
        out.append(f'<div class="passed-by"><h3>Passed by today: {n} stops</h3>')
        for reason, rows in c.passed:
            seqs = ", ".join(f"#{r.seq}" for r in rows[:12]) + (" …" if len(rows) > 12 else "")
            out.append(
                f'<details class="passed"><summary><b>{e(reason)}</b> ({len(rows)})'
                f'<span class="note">{e(seqs)}</span></summary>'
                f"{_table(rows, sheet, head, 'stops', tick=False)}</details>"
            )
        out.append("</div>")
    out.append("</section>")
    return "".join(out)


def _facts(facts: Sequence[tuple[str, str]]) -> str:
    e = html.escape
    if not facts:
        return ""
    items = "".join(f"<div><dt>{e(k)}</dt><dd>{e(v)}</dd></div>" for k, v in facts)
    return f'<dl class="facts">{items}</dl>'


def _head(sheet: Sheet, carrier: int | None) -> str:
    head = ["", "#", "Time", *(["Usual arrival"] if sheet.has_usual else [])]
    head += ["Subscriber", "Spot and instructions", *(["Today"] if sheet.is_day else [])]
    head += ["Hazards"]
    # Printed, the header rows repeat on every page: the carrier's name goes with them.
    whose = (
        f'<tr class="carrier-row"><th colspan="{len(head)}">Carrier {carrier}</th></tr>'
        if carrier is not None
        else ""
    )
    columns = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<thead>{whose}<tr>{columns}</tr></thead>"


def _table(rows: Sequence[SheetRow], sheet: Sheet, head: str, cls: str, tick: bool = True) -> str:
    body = "".join(_row_html(r, sheet, tick) for r in rows)
    return f'<table class="{cls}">{head}<tbody>{body}</tbody></table>'


def _row_html(r: SheetRow, sheet: Sheet, tick: bool) -> str:
    e = html.escape
    who = f"<b>{e(r.name or r.id)}</b>{e(r.address)}"
    extra = [r.product] if r.product and r.product != "paper" else []
    extra += [r.days] if not sheet.is_day and r.days else []
    if extra:
        who += f'<div class="note">{e(" · ".join(extra))}</div>'
    if r.links and not r.group:
        who += links_html(r.links)
    spot = f"<b>{e(r.spot)}</b>" + (f": {e(r.instructions)}" if r.instructions else "")
    notes = [f"rain: {r.rain}"] if r.rain else []
    notes += [f"window {r.window}"] if r.window else []
    if notes:
        spot += f'<div class="note">{e(" · ".join(notes))}</div>'
    time = e(r.time)
    if r.wait_s >= 60:
        time += f'<div class="wait">wait {e(hours_minutes(r.wait_s))}</div>'
    if r.after_window:
        time += '<div class="wait">after the window</div>'
    cells = [
        f'<td class="tick">{"<span></span>" if tick else ""}</td>',
        f'<td class="seq">{r.seq}</td>',
        f'<td class="time">{time}</td>',
    ]
    if sheet.has_usual:
        cells.append(f'<td class="usual">{e(r.usual)}</td>')
    cells += [f'<td class="who">{who}</td>', f'<td class="spot">{spot}</td>']
    if sheet.is_day:
        today = f'<span class="act act-{e(r.action)}">{e(r.action)}</span>' if r.action else ""
        if r.reason:
            today += f'<div class="note">{e(r.reason)}</div>'
        cells.append(f'<td class="today">{today}</td>')
    hazard = f'<span class="hazard">⚠ {e(r.hazard)}</span>' if r.hazard else ""
    cells.append(f'<td class="hazards">{hazard}</td>')
    key = f"stop-{r.carrier}-{r.seq}"
    key += "-redeliver" if r.action == "redeliver" else ""
    key += "-late" if r.late else ""
    cls = "stop skip" if r.group else "stop"
    return f'<tr class="{cls}" id="{key}">{"".join(cells)}</tr>'
