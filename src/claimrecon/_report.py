"""Shareable reports: every variable's claims, chart and estimates, in HTML and Markdown.

:func:`write_report` writes two views of one reconciliation into a folder:

- ``index.html``: one self-contained page (styles inline, every chart inline as SVG,
  no script, nothing fetched from the network) that opens from a file or an e-mail;
- ``report.md``: the same in Markdown, with each chart as a PNG file next to it.

Charts need matplotlib (``pip install 'claimrecon[plot]'``).
"""

from __future__ import annotations

import datetime
import html
import io
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

from ._engine import Estimates, reconcile_all
from ._model import Claim, Estimate, Variable
from ._quantity import describe_range, format_number
from .plot import (
    _CLAIM_COLOR,
    _ESTIMATE_COLOR,
    _EXCLUDED_COLOR,
    _claim_order_key,
    _import_matplotlib,
    _layout,
    _range_text,
    _Row,
    _share_text,
    forest,
)

if TYPE_CHECKING:
    import matplotlib.figure

    from ._table import ClaimTable

__all__ = ["BUILTIN_STRATEGIES", "report_command", "write_report"]

#: The strategies a report shows by default: the built-ins, in the order of the docs.
BUILTIN_STRATEGIES = ("range", "intersection", "weighted", "median", "recency")

HTML_FILE = "index.html"
MARKDOWN_FILE = "report.md"

_CONFLICT_TEXT = "The claims conflict: no single figure lies within every claim's range."


# -- gathering ---------------------------------------------------------------------------------


class _Variable:
    """Everything the report shows about one variable."""

    def __init__(self, variable: Variable, claims: list[Claim], slug: str) -> None:
        self.variable = variable
        self.claims = claims
        self.slug = slug
        self.description: str | None = None
        self.estimates: list[Estimate] = []
        self.errors: dict[str, Exception] = {}
        self.rows: list[_Row] = []
        self.unit: str | None = next((c.quantity.unit for c in claims if c.quantity.unit),
                                     None)

    @property
    def conflict(self) -> bool:
        return any(e.conflict for e in self.estimates)

    @property
    def repeats(self) -> int:
        return sum(1 for r in self.rows if r.reason is not None
                   and r.reason.startswith("repeat of"))

    def by_strategy(self, strategy: str) -> Estimate | None:
        return next((e for e in self.estimates if e.strategy == strategy), None)


#: The longest slug kept from a variable's name: with a number to tell two apart and
#: ".png", a chart's file name stays well under the 255 bytes file systems allow.
_SLUG_LENGTH = 80


def _slug(variable: Variable, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", str(variable)).strip("-.") or "variable"
    base = base[:_SLUG_LENGTH].rstrip("-.")  # a file name of its own (file systems cap them)
    slug, n = base, 2
    while slug.casefold() in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug.casefold())
    return slug


def _gather(
    data: Sequence[Claim] | ClaimTable,
    claims: Sequence[Claim],
    strategies: Sequence[str],
    descriptions: Mapping[Variable, str],
    plugin_manager: pluggy.PluginManager | None,
) -> list[_Variable]:
    by_var: dict[Variable, list[Claim]] = {}
    for c in claims:
        by_var.setdefault(c.variable, []).append(c)
    taken: set[str] = set()
    out = {v: _Variable(v, cs, _slug(v, taken)) for v, cs in by_var.items()}
    results: dict[str, Estimates] = {
        s: reconcile_all(data, s, on_error="collect", plugin_manager=plugin_manager)
        for s in strategies
    }
    for v, item in out.items():
        item.description = descriptions.get(v)
        for s in strategies:
            es = results[s]
            if v in es.errors:
                item.errors[s] = es.errors[v]
            else:
                item.estimates.append(es[v])
        if item.estimates:
            plan = _layout(item.estimates)  # (every claim in the estimates' unit)
            item.rows, item.unit = list(plan.claims), plan.unit
        else:
            item.rows = [
                _Row(kind="claim", label=c.source.label, detail="", figure="",
                     lower=c.quantity.lower, value=c.quantity.value, upper=c.quantity.upper,
                     open_left=c.quantity.lower is None, open_right=c.quantity.upper is None,
                     via=c.via, claim=c)
                for c in sorted(item.claims, key=_claim_order_key)
            ]
    return list(out.values())


# -- small formatting helpers ------------------------------------------------------------------


def _date(d: datetime.date | None) -> str:
    if d is None:
        return ""
    if isinstance(d, datetime.datetime):
        return f"{d:%Y-%m-%d %H:%M}"
    return d.isoformat()


def _plain(e: Estimate) -> str:
    """The estimate without its unit (the unit heads the column)."""
    return describe_range(e.value, e.lower, e.upper)


def _status_parts(row: _Row, strategies: Sequence[str]) -> tuple[str, str]:
    """What the strategies did with a claim: its share under the first strategy, and
    which strategies set it aside and why (either may be empty)."""
    aside = row.set_aside
    if (row.weight is None and aside and len(aside) == len(strategies)
            and len({why for _, why in aside}) == 1):
        return "", f"set aside: {aside[0][1]}"
    share = ""
    if row.weight is not None and strategies:
        share = f"{_share_text(row.weight)} of the weight under {strategies[0]}"
    shown = ", ".join(f"{s} ({why})" for s, why in aside)
    return share, (f"set aside by {shown}" if shown else "")


def _status(row: _Row, strategies: Sequence[str]) -> str:
    return "; ".join(p for p in _status_parts(row, strategies) if p)


def _chart(fig: matplotlib.figure.Figure, fmt: str, salt: str) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    meta: dict[str, str | None]
    if fmt == "svg":
        meta = {"Date": None, "Creator": None, "Format": None, "Type": None}
    else:
        meta = {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "path"}):
        fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else 100, metadata=meta,
                    facecolor="white")
    return buf.getvalue()


def _summary_cell(e: Estimate) -> str:
    """The headline figure in bold, the range under it."""
    rng = _range_text(e.lower, None, e.upper)
    if e.value is None or (e.lower is not None and e.lower == e.upper):
        return f"<b>{_e(rng)}</b>"
    return f"<b>{_e(format_number(e.value))}</b><small>{_e(rng)}</small>"


def _reasons(e: Estimate) -> str:
    """Why claims were set aside, each reason once with its count."""
    counts: dict[str, int] = {}
    for x in e.excluded:
        key = ("repeat of a claim already counted" if x.reason.startswith("repeats ")
               else x.reason)
        counts[key] = counts.get(key, 0) + 1
    return "; ".join(f"{reason} ({n})" for reason, n in counts.items())


def _inline_svg(data: bytes, label: str, number: int) -> str:
    """An SVG file as an element of an HTML page: no prolog, no metadata, labelled.
    ``number``: the chart's place in the page, unique to it."""
    text = data.decode("utf-8")
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # Element ids must be unique in the page: prefix them with the chart's number (a
    # prefix made of the slug made one of "a.b" and "a_b"; the sections' ids are
    # "v-<slug>" and "summary", which no prefix here can begin).
    prefix = f"chart{number}-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", text, count=0)
    opening = f'<svg role="img" aria-label="{html.escape(label)}" class="forest"'
    return opening + text[len("<svg"):]


# -- HTML --------------------------------------------------------------------------------------

_CSS = """
:root {
  --ink: #1f2328; --muted: #5f6b76; --rule: #d8dee4; --band: #f6f8fa;
  --claim: __CLAIM__; --est: __ESTIMATE__; --grey: __EXCLUDED__; --warn-bg: #fbeee8;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: #fff; color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
        "DejaVu Sans", Arial, sans-serif;
}
main { max-width: 1200px; margin: 0 auto; padding: 36px 28px 72px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 22px; margin: 0 0 4px; letter-spacing: -0.005em; }
h2 code { font-size: 21px; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
     margin: 28px 0 8px; }
p { margin: 6px 0 12px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono",
            monospace; }
a { color: var(--claim); text-decoration: none; }
a:hover { text-decoration: underline; }
.lede { color: var(--muted); font-size: 16px; max-width: 60em; }
.description { font-size: 16px; max-width: 60em; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px;
        font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 11.5px; font-weight: 600; text-transform: uppercase;
     letter-spacing: .04em; color: var(--muted); border-bottom: 2px solid var(--rule);
     padding: 6px 10px 6px 0; vertical-align: bottom; }
td { border-bottom: 1px solid var(--rule); padding: 7px 10px 7px 0; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.fig { white-space: nowrap; }
.summary td.var { white-space: nowrap; }
.summary td.var small { display: block; color: var(--muted); font-size: 12px; }
.summary td.fig { font-size: 14px; white-space: normal; }
.summary td.fig small { display: block; color: var(--muted); font-size: 12px; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px;
         font-weight: 600; white-space: nowrap; }
.badge.conflict { background: var(--warn-bg); color: var(--est); }
.badge.agree { background: #e8f1ea; color: #2d6a3e; }
.callout { border-left: 4px solid var(--est); background: var(--warn-bg); padding: 8px 14px;
           margin: 10px 0 14px; font-size: 14.5px; }
.legend { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
          gap: 6px 28px; margin: 18px 0 6px; padding: 12px 16px; background: var(--band);
          border-radius: 8px; font-size: 13.5px; color: var(--muted); }
.legend h2 { grid-column: 1 / -1; font-size: 13px; text-transform: uppercase;
             letter-spacing: .06em; margin: 0 0 2px; color: var(--muted); }
.legend span { display: inline-flex; align-items: center; gap: 8px; }
.legend svg { flex: none; }
section.variable { margin-top: 56px; padding-top: 18px; border-top: 3px solid var(--ink); }
figure.chart { margin: 18px 0 8px; overflow-x: auto; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.estimates td.strategy { font-weight: 600; white-space: nowrap; }
.estimates td:last-child { min-width: 16em; }
.estimates td.estimate { font-weight: 600; color: var(--est); white-space: nowrap; }
.claims td.src { font-weight: 600; min-width: 11em; }
.claims td.phrase { min-width: 7em; }
.claims td.range { min-width: 8em; }
.claims tr.main td { border-bottom: none; padding-bottom: 2px; }
.claims tr.quote td { color: var(--muted); font-size: 13px; padding-top: 0; }
.claims tr.quote blockquote { margin: 0; font-style: italic; max-width: 62em; }
.claims tr.excluded td.src, .claims tr.excluded td.range { color: var(--muted); }
.claims td.status { font-size: 12.5px; color: var(--muted); }
.claims td.status b { color: var(--ink); font-weight: 600; }
.claims td.doc { font-size: 12px; color: var(--muted); word-break: break-all; }
.muted { color: var(--muted); }
.scroll { overflow-x: auto; }
details { margin: 18px 0 0; }
details summary { cursor: pointer; color: var(--claim); font-size: 14px; }
details h4 { margin: 14px 0 4px; font-size: 14px; }
details pre { background: var(--band); padding: 10px 14px; border-radius: 6px; font-size: 12.5px;
              line-height: 1.45; overflow-x: auto; margin: 0; }
.error { color: var(--est); }
footer { margin-top: 64px; padding-top: 12px; border-top: 1px solid var(--rule);
         color: var(--muted); font-size: 13px; }
@media print { section.variable { break-before: page; } details { display: none; } }
""".replace("__CLAIM__", _CLAIM_COLOR).replace(
    "__ESTIMATE__", _ESTIMATE_COLOR).replace("__EXCLUDED__", _EXCLUDED_COLOR)

# The key to the chart's marks, drawn as the chart draws them.
_LEGEND_ICONS = (
    (f'<svg width="46" height="16" viewBox="0 0 46 16" aria-hidden="true">'
     f'<line x1="3" y1="8" x2="43" y2="8" stroke="{_CLAIM_COLOR}" stroke-width="2"/>'
     f'<line x1="3" y1="3" x2="3" y2="13" stroke="{_CLAIM_COLOR}" stroke-width="1.6"/>'
     f'<line x1="43" y1="3" x2="43" y2="13" stroke="{_CLAIM_COLOR}" stroke-width="1.6"/>'
     f'<circle cx="23" cy="8" r="5" fill="{_CLAIM_COLOR}" stroke="#fff" stroke-width="1.3"/>'
     f'</svg>',
     "a claim: its range, and its figure as a dot whose area is its share of the weight"),
    (f'<svg width="46" height="16" viewBox="0 0 46 16" aria-hidden="true">'
     f'<line x1="3" y1="8" x2="43" y2="8" stroke="{_EXCLUDED_COLOR}" stroke-width="2" '
     f'stroke-dasharray="3.6 2.9"/>'
     f'<circle cx="23" cy="8" r="4.5" fill="#fff" stroke="{_EXCLUDED_COLOR}" '
     f'stroke-width="1.6"/></svg>',
     "set aside: a repeat of a figure already counted, or dropped by the strategy"),
    (f'<svg width="46" height="16" viewBox="0 0 46 16" aria-hidden="true">'
     f'<line x1="3" y1="8" x2="36" y2="8" stroke="{_CLAIM_COLOR}" stroke-width="2"/>'
     f'<path d="M44 8 L34 3.5 L34 12.5 Z" fill="{_CLAIM_COLOR}"/></svg>',
     "an open end (“over 12,000”, “up to 15,000”) runs to the edge"),
    (f'<svg width="46" height="16" viewBox="0 0 46 16" aria-hidden="true">'
     f'<line x1="3" y1="8" x2="43" y2="8" stroke="{_ESTIMATE_COLOR}" stroke-width="5"/>'
     f'<path d="M23 1.5 L29.5 8 L23 14.5 L16.5 8 Z" fill="{_ESTIMATE_COLOR}" stroke="#fff" '
     f'stroke-width="1.2"/></svg>',
     "a strategy's reconciled estimate: its range, and its figure as a diamond"),
)

_LEGEND_TEXT = (
    "Each row of a chart is a claim: its range is the line, its stated figure the dot, "
    "whose area grows with the claim's share of the weight under the first strategy. "
    "An arrow is an open end (“over 12,000” has no upper bound). Hollow grey marks are "
    "claims set aside: repeats of a figure already counted, or claims a strategy dropped. "
    "Below the rule, each strategy's reconciled estimate is a bar with a diamond at its "
    "figure."
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html(
    title: str, variables: Sequence[_Variable], strategies: Sequence[str],
    charts: Mapping[str, str], n_claims: int, n_documents: int,
) -> str:
    from . import __version__

    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    w('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    w(f'<meta name="generator" content="claimrecon {_e(__version__)}">\n')
    w(f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n")
    lede = _lede(variables, strategies, n_claims, n_documents)
    w(f'<header>\n<h1>{_e(title)}</h1>\n<p class="lede">{_e(lede)}</p>\n</header>\n')

    # The summary: one row per variable, the headline figure of each strategy.
    w('<section id="summary" aria-label="Summary">\n<h3>Summary</h3>\n')
    w('<div class="scroll"><table class="summary">\n<thead><tr><th>variable</th>'
      '<th class="num">claims</th>')
    for s in strategies:
        w(f"<th>{_e(s)}</th>")
    w("<th>agreement</th></tr></thead>\n<tbody>\n")
    for v in variables:
        unit = f"<small>{_e(v.unit)}</small>" if v.unit else ""
        counted = len(v.claims) - v.repeats
        claims = f"{counted}" + (f' <span class="muted">+{v.repeats} repeated</span>'
                                 if v.repeats else "")
        w(f'<tr><td class="var"><a href="#v-{_e(v.slug)}"><code>{_e(v.variable)}</code></a>'
          f"{unit}</td><td class=\"num\">{claims}</td>")
        for s in strategies:
            e = v.by_strategy(s)
            if e is None:
                w(f'<td class="fig error" title="{_e(v.errors.get(s, ""))}">failed</td>')
            else:
                w(f'<td class="fig">{_summary_cell(e)}</td>')
        badge = ('<span class="badge conflict">conflict</span>' if v.conflict
                 else '<span class="badge agree">agree</span>' if v.estimates else "")
        w(f"<td>{badge}</td></tr>\n")
    w("</tbody>\n</table></div>\n</section>\n")

    w('<section class="legend" aria-label="How to read the charts">\n'
      "<h2>How to read the charts</h2>\n")
    for icon, text in _LEGEND_ICONS:
        w(f"<span>{icon}{_e(text)}</span>\n")
    w("</section>\n")

    for v in variables:
        _html_variable(w, v, strategies, charts.get(v.slug))

    w("<footer>Made with claimrecon "
      f"{_e(__version__)}. This page is self-contained: no scripts, nothing fetched from "
      "the network.</footer>\n</main>\n</body>\n</html>\n")
    return "".join(out)


def _html_variable(
    w: Callable[[str], object], v: _Variable, strategies: Sequence[str], chart: str | None,
) -> None:
    run = [e.strategy for e in v.estimates]
    w(f'<section class="variable" id="v-{_e(v.slug)}" data-variable="{_e(v.variable)}">\n')
    w(f"<h2><code>{_e(v.variable)}</code></h2>\n")
    if v.description:
        w(f'<p class="description">{_e(v.description)}</p>\n')
    if v.conflict:
        w(f'<p class="callout">{_e(_CONFLICT_TEXT)}</p>\n')
    if chart is not None:
        w(f'<figure class="chart">\n{chart}\n</figure>\n')
    else:
        w('<p class="error">No chart: no strategy produced an estimate.</p>\n')

    w('<h3>Estimates</h3>\n<div class="scroll"><table class="estimates">\n<thead><tr>'
      "<th>strategy</th>"
      '<th>estimate</th><th class="num">used</th><th class="num">set aside</th>'
      "<th>why set aside</th></tr></thead>\n<tbody>\n")
    for s in strategies:
        e = v.by_strategy(s)
        if e is None:
            w(f'<tr><td class="strategy">{_e(s)}</td><td colspan="4" class="error">'
              f"{_e(v.errors.get(s, 'not run'))}</td></tr>\n")
            continue
        w(f'<tr><td class="strategy">{_e(s)}</td><td class="estimate">{_e(e)}</td>'
          f'<td class="num">{e.n_used}</td><td class="num">{e.n_excluded}</td>'
          f"<td>{_e(_reasons(e))}</td></tr>\n")
    w("</tbody>\n</table></div>\n")

    w(f'<h3>Claims ({len(v.claims)})</h3>\n<div class="scroll"><table class="claims">\n<thead><tr>'
      '<th class="num">#</th><th>source (origin)</th><th>phrase</th><th>range</th>'
      "<th>as of</th><th>published</th><th>via</th><th>document</th>"
      f"<th>counted</th></tr></thead>\n<tbody>\n")
    for i, row in enumerate(v.rows, 1):
        c = row.claim
        assert c is not None
        q = c.quantity
        cls = "main excluded" if row.excluded and v.estimates else "main"
        share, aside = _status_parts(row, run)
        status = "; ".join(x for x in (f"<b>{_e(share)}</b>" if share else "", _e(aside)) if x)
        w(f'<tr class="{cls}"><td class="num">{i}</td><td class="src">{_e(c.source.label)}</td>'
          f"<td class=\"phrase\">{_e(c.phrase or '')}</td>"
          f'<td class="range">{_e(describe_range(q.value, q.lower, q.upper))}</td>'
          f'<td class="fig">{_e(_date(c.as_of))}</td><td class="fig">{_e(_date(c.published))}</td>'
          f"<td>{_e('; '.join(c.via))}</td><td class=\"doc\">{_e(c.document or '')}</td>"
          f'<td class="status">{status}</td></tr>\n')
        quote = f"<blockquote>“{_e(c.quote)}”</blockquote>" if c.quote else ""
        w(f'<tr class="quote"><td></td><td colspan="8">{quote}</td></tr>\n')
    w("</tbody>\n</table></div>\n")

    if v.estimates:
        w("<details>\n<summary>How each strategy reached its figure "
          "(<code>Estimate.explain()</code>)</summary>\n")
        for e in v.estimates:
            w(f"<h4>{_e(e.strategy)}</h4>\n<pre>{_e(e.explain())}</pre>\n")
        w("</details>\n")
    w("</section>\n")


def _lede(
    variables: Sequence[_Variable], strategies: Sequence[str], n_claims: int, n_documents: int
) -> str:
    conflicts = sum(1 for v in variables if v.conflict)
    docs = f" from {n_documents} document{'s' if n_documents != 1 else ''}" if n_documents else ""
    text = (f"{n_claims} claim{'s' if n_claims != 1 else ''}{docs} about "
            f"{len(variables)} variable{'s' if len(variables) != 1 else ''}, reconciled by "
            f"{len(strategies)} strateg{'ies' if len(strategies) != 1 else 'y'} "
            f"({', '.join(strategies)}).")
    if conflicts:
        text += (f" The claims conflict for {conflicts} of them: no single figure lies "
                 "within every claim's range.")
    return text


# -- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#&~])")


def _md(text: object) -> str:
    """Text for a Markdown paragraph or table cell: special characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _anchor(heading: object) -> str:
    """The anchor that GitHub and most Markdown renderers give a heading."""
    text = str(heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(headings: Iterable[object]) -> list[str]:
    """The anchors of a document's headings, in order: a heading whose anchor an
    earlier one has gets "-1", "-2", ... as renderers give it ("Troops" after
    "troops"; a variable called "summary" after the Summary heading)."""
    seen: dict[str, int] = {}
    out = []
    for h in headings:
        base = _anchor(h)
        n = seen.get(base, 0)
        out.append(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def _markdown(
    title: str, variables: Sequence[_Variable], strategies: Sequence[str],
    pngs: Mapping[str, str], n_claims: int, n_documents: int,
) -> str:
    lines: list[str] = [f"# {_md(title)}", "", _md(_lede(variables, strategies, n_claims,
                                                         n_documents)), "", "## Summary", ""]
    lines.append("| variable | unit | claims | " + " | ".join(_md(s) for s in strategies)
                 + " | agreement |")
    lines.append("|---|---|--:|" + "---|" * len(strategies) + "---|")
    # Every heading of the document, in order: the title, Summary, and per variable
    # its name, Estimates and Claims (n).
    anchors = _anchors([title, "Summary", *itertools.chain.from_iterable(
        (v.variable, "Estimates", f"Claims ({len(v.claims)})") for v in variables)])
    for i, v in enumerate(variables):
        counted = len(v.claims) - v.repeats
        claims = f"{counted}" + (f" (+{v.repeats} repeated)" if v.repeats else "")
        cells = [f"[{_md(v.variable)}](#{anchors[2 + 3 * i]})", _md(v.unit or ""), claims]
        for s in strategies:
            e = v.by_strategy(s)
            cells.append("failed" if e is None else _md(_plain(e)))
        cells.append("**conflict**" if v.conflict else ("agree" if v.estimates else ""))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"*How to read the charts.* {_md(_LEGEND_TEXT)}", ""]

    for v in variables:
        run = [e.strategy for e in v.estimates]
        lines += [f"## {_md(v.variable)}", ""]
        if v.description:
            lines += [_md(v.description), ""]
        if v.conflict:
            lines += [f"> **{_md(_CONFLICT_TEXT)}**", ""]
        png = pngs.get(v.slug)
        if png is not None:
            lines += [f"![Chart of the claims and estimates of {_md(v.variable)}]({png})", ""]
        lines += ["### Estimates", "", "| strategy | estimate | used | set aside | why set aside |",
                  "|---|---|--:|--:|---|"]
        for s in strategies:
            e = v.by_strategy(s)
            if e is None:
                lines.append(f"| {_md(s)} | failed: {_md(v.errors.get(s, ''))} | | | |")
                continue
            lines.append(f"| {_md(s)} | **{_md(e)}** | {e.n_used} | {e.n_excluded} | "
                         f"{_md(_reasons(e))} |")
        lines += ["", f"### Claims ({len(v.claims)})", "",
                  "| # | source (origin) | phrase | range | as of | published | via | "
                  "document | counted |", "|--:|---|---|---|---|---|---|---|---|"]
        for i, row in enumerate(v.rows, 1):
            c = row.claim
            assert c is not None
            q = c.quantity
            cells = [str(i), _md(c.source.label), _md(c.phrase or ""),
                     _md(describe_range(q.value, q.lower, q.upper)), _date(c.as_of),
                     _date(c.published), _md("; ".join(c.via)), _md(c.document or ""),
                     _md(_status(row, run))]
            lines.append("| " + " | ".join(cells) + " |")
        quoted = [(i, row.claim) for i, row in enumerate(v.rows, 1)
                  if row.claim is not None and row.claim.quote]
        if quoted:
            lines += ["", "Quotes:", ""]
            for i, c in quoted:
                lines.append(f"{i}. “{_md(c.quote)}” ({_md(c.source.label)}, "
                             f"{_md(c.document or 'no document')})")
        if v.estimates:
            lines += ["", "### How each strategy reached its figure", ""]
            for e in v.estimates:
                lines += ["```text", e.explain().replace("```", "'''"), "```", ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# -- the entry points --------------------------------------------------------------------------


def write_report(
    claims: Iterable[Claim] | ClaimTable,
    out_dir: str | Path,
    *,
    strategies: Sequence[str] = BUILTIN_STRATEGIES,
    title: str = "claimrecon report",
    descriptions: Mapping[Variable, str] | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> Path:
    """Reconcile ``claims`` (Claim objects or a :class:`~claimrecon.ClaimTable`, whose
    rows' weights count) with each strategy and write an HTML and a Markdown report.

    Per variable, both reports show its description (if given), a chart of every claim
    and estimate (see :func:`claimrecon.plot.forest`), each strategy's estimate, the
    claims with their provenance (source, outlets, dates, phrase, range, document) and
    quotes, and each strategy's :meth:`~claimrecon.Estimate.explain` account. A summary
    table of every variable's headline figures and conflict flag opens them.

    ``out_dir`` (created if needed) receives ``index.html``, a single self-contained
    page (styles and SVG charts inline, no script, no external address), and
    ``report.md`` with one PNG chart per variable next to it, named after the variable.
    Existing files of those names are replaced; nothing else in the folder is touched.
    A strategy that fails for a variable is reported in that variable's section; the
    others still show.

    :param claims: the claims, of one or many variables.
    :param out_dir: the folder to write into.
    :param strategies: the strategies to compare; the first one sizes the dots.
    :param title: the report's title.
    :param descriptions: one sentence per variable, saying what it measures.
    :param plugin_manager: default :func:`~claimrecon.get_plugin_manager`.
    :returns: the path of ``index.html``.
    :raises ImportError: matplotlib is not installed (``pip install 'claimrecon[plot]'``).
    :raises EmptyInputError: no claims.
    :raises UnknownStrategyError: a strategy that is not installed.
    """
    return _write(claims, out_dir, strategies, title, descriptions, plugin_manager)[0]


def _write(claims: Iterable[Claim] | ClaimTable, out_dir: str | Path, strategies: Sequence[str],
           title: str, descriptions: Mapping[Variable, str] | None,
           plugin_manager: pluggy.PluginManager | None) -> tuple[Path, list[_Variable]]:
    """:func:`write_report` (its arguments, all given), also returning what it gathered
    about each variable."""
    from ._errors import EmptyInputError
    from ._table import ClaimTable

    _import_matplotlib()
    data: Sequence[Claim] | ClaimTable
    if isinstance(claims, ClaimTable):  # (reconciled as the table: its rows' weights count)
        data, items = claims, [claims.claim(i) for i in range(len(claims))]
    else:
        data = items = list(claims)
    if not items:
        raise EmptyInputError("a report needs at least one claim (got none)")
    names = tuple(strategies)
    if not names:
        raise ValueError("a report needs at least one strategy (got none)")
    variables = _gather(data, items, names, descriptions or {}, plugin_manager)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    svgs: dict[str, str] = {}
    pngs: dict[str, str] = {}
    for number, v in enumerate(variables, 1):
        if not v.estimates:
            continue
        salt = f"claimrecon-{v.slug}"
        label = f"Chart of the claims about {v.variable} and the estimates reconciled from them"
        fig = forest(v.estimates, title="", legend=False)
        svgs[v.slug] = _inline_svg(_chart(fig, "svg", salt), label, number)
        fig = forest(v.estimates, legend=True)
        name = f"{v.slug}.png"
        (out / name).write_bytes(_chart(fig, "png", salt))
        pngs[v.slug] = name

    n_docs = len({c.document for c in items if c.document})
    page = _html(title, variables, names, svgs, len(items), n_docs)
    index = out / HTML_FILE
    index.write_text(page, encoding="utf-8")
    (out / MARKDOWN_FILE).write_text(
        _markdown(title, variables, names, pngs, len(items), n_docs), encoding="utf-8")
    return index, variables


def report_command(source: str, out_dir: str) -> tuple[Path, dict[Variable, Exception]]:
    """What ``claimrecon report FILE|demo --out DIR`` does: write the reports of a file.

    :param source: ``"demo"`` for the bundled seed claims (North Korean troops in
        Russia, with each variable's description), or the path of a claims file in the
        claims schema (CSV, JSON Lines or Parquet), read with
        :func:`~claimrecon.read_claims`. A file named ``demo`` is ``./demo``.
    :param out_dir: the folder to write into.
    :returns: the path of ``index.html`` (``report.md`` is next to it), and the
        variables that no strategy could estimate, each with the first strategy's
        error (their sections in the reports say why; the command exits with 1).
    :raises ClaimFileError: the file cannot be read as claims.
    :raises ImportError: matplotlib is not installed.
    """
    if source == "demo":
        from ._seeds import load_seed_claims, seed_variables

        described: dict[Variable, str] = dict(seed_variables().items())
        index, variables = _write(
            load_seed_claims(), out_dir, BUILTIN_STRATEGIES,
            "North Korean troops in Russia: the claims of five news articles", described, None,
        )
    else:
        from ._io import read_claims

        index, variables = _write(read_claims(source), out_dir, BUILTIN_STRATEGIES,
                                  f"Claims of {Path(source).name}", None, None)
    failed = {v.variable: next(iter(v.errors.values())) for v in variables
              if not v.estimates and v.errors}
    return index, failed
