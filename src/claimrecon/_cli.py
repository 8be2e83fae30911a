"""The ``claimrecon`` command: demo, reconcile, strategies, parse.

Exit codes: 0 success, 1 bad data, 2 bad usage.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import click
from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ._engine import Estimates, reconcile_all
from ._errors import ClaimFileError, ClaimreconError
from ._model import Claim, Estimate, Variable
from ._quantity import describe_range

BUILTIN_ORDER = ("range", "intersection", "weighted", "median", "recency")


#: Control characters (C0, DEL, C1), shown as escapes: written raw, a name in a claims
#: file could restyle or clear the terminal (ESC [ ... m).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """``text`` with its control characters (but tab and line break) shown as escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


#: Every control character, tab and line break too: in a tab-separated row they would
#: add a column or split the row.
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _tsv_field(text: object) -> str:
    """``text`` for one field of a tab-separated row: every control character shown as
    an escape."""
    return _CONTROL_ALL.sub(lambda m: repr(m.group())[1:-1], str(text))


def escape(text: str) -> str:
    """Text for rich: control characters made visible, markup escaped."""
    return _markup_escape(_visible(text))


def _console() -> Console:
    con = Console(highlight=False)
    if not con.is_terminal:  # piped or captured: wide enough for the tables
        con.width = max(con.width, 120)
    return con


def _fail(message: str) -> None:
    """Print an error without a traceback and exit with 1 (bad data)."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {escape(message)}", markup=True)
    sys.exit(1)


def _date(c: Claim) -> str:
    if c.as_of is not None:
        return f"as of {c.as_of.isoformat()}"
    if c.published is not None:
        return f"published {c.published.isoformat()}"
    return ""


def _claims_table(variable: object, claims: Sequence[Claim], repeats: dict[int, str]) -> Table:
    t = Table(title=f"[bold]{escape(str(variable))}[/]: {_count(len(claims), 'claim')}",
              title_justify="left",
              show_lines=False, expand=False)
    t.add_column("source (origin)")
    t.add_column("via")
    t.add_column("date")
    t.add_column("phrase")
    t.add_column("range", justify="right")
    t.add_column("document")
    for c in claims:
        q = c.quantity
        note = repeats.get(id(c))
        t.add_row(
            escape(c.source.label),
            escape("; ".join(c.via)),
            _date(c),
            escape(repr(c.phrase)) if c.phrase else "",
            escape(describe_range(q.value, q.lower, q.upper)),
            escape(c.document or "") + (f"\n[dim]{escape(note)}[/]" if note else ""),
        )
    return t


def _estimates_table(estimates: Sequence[Estimate]) -> Table:
    t = Table(show_lines=False, expand=False, title_justify="left")
    t.add_column("strategy")
    t.add_column("estimate", justify="right")
    t.add_column("used", justify="right")
    t.add_column("excluded", justify="right")
    t.add_column("notes")
    for e in estimates:
        notes = sorted({x.reason for x in e.excluded if not x.reason.startswith("repeats")})
        t.add_row(escape(e.strategy), escape(str(e)), str(e.n_used), str(e.n_excluded),
                  escape("; ".join(notes)))
    return t


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="claimrecon")
def main() -> None:
    """Reconcile conflicting quantitative claims: hedged figures become ranges, and
    every estimate says which claims counted and why."""


@main.command()
@click.option("--strategy", "-s", "strategies", multiple=True,
              help="Strategies to show (default: the five built-ins). Repeatable.")
def demo(strategies: tuple[str, ...]) -> None:
    """Reconcile the bundled seed claims (North Korean troops in Russia) and show, per
    variable, every claim and each strategy's estimate."""
    from ._seeds import load_seed_claims, seed_variables

    names = strategies or BUILTIN_ORDER
    claims = load_seed_claims()
    described = seed_variables()
    try:
        results = {name: reconcile_all(claims, name) for name in names}
    except ClaimreconError as exc:
        _fail(str(exc))
        return
    con = _console()
    con.print(f"[bold]claimrecon demo[/]: {len(claims)} claims from "
              f"{len({c.document for c in claims})} news articles, "
              f"{len(results[names[0]])} variables.\n")
    by_var: dict[Variable, list[Claim]] = {}
    for c in claims:
        by_var.setdefault(c.variable, []).append(c)
    for variable, cs in by_var.items():
        first = results[names[0]][variable]
        repeats = {id(x.claim): x.reason for x in first.excluded if x.reason.startswith("repeats")}
        if variable in described:
            con.print(f"[dim]{escape(described[variable])}[/]")
        con.print(_claims_table(variable, cs, repeats))
        ests = [results[n][variable] for n in names]
        con.print(_estimates_table(ests))
        if first.conflict:
            con.print("[yellow]The claims conflict:[/] no single figure lies within every "
                      "claim's range.")
        con.print()
    con.print("[dim]Each strategy's account of every claim: "
              "claimrecon.reconcile(...).explain(); strategies: claimrecon strategies.[/]")


def _parse_columns(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in pairs:
        if "=" not in p:
            raise click.BadParameter(f"expected NAME=THEIRS (got {p!r})", param_hint="--column")
        ours, theirs = (x.strip() for x in p.split("=", 1))
        if ours in out:
            raise click.BadParameter(f"{ours!r} is mapped twice ({ours}={out[ours]} and "
                                     f"{p}); map each schema column once",
                                     param_hint="--column")
        out[ours] = theirs
    return out


def _parse_options(pairs: Sequence[str], strategy: str) -> dict[str, Any]:
    """``NAME=VALUE`` strategy options: VALUE as JSON where it is JSON (numbers,
    ``true``, ``false``, ``null``, quoted texts, lists, objects), else as the text.
    A name the strategy does not take is bad usage."""
    from ._plugins import get_strategy

    try:
        allowed: Any = get_strategy(strategy).options
    except ClaimreconError:  # unknown, provided twice, or its plugin failed to list it
        allowed = None  # reconcile reports it, with the strategies there are
    out: dict[str, Any] = {}
    for p in pairs:
        name, eq, text = p.partition("=")
        name = name.strip()
        if not eq or not name:
            raise click.BadParameter(f"expected NAME=VALUE (got {p!r})", param_hint="--option")
        if allowed is not None and name not in allowed:
            shown = ", ".join(f"{k}={v!r}" for k, v in allowed.items()) or "none"
            raise click.BadParameter(f"strategy {strategy!r} takes no option {name!r}; its "
                                     f"options: {shown}", param_hint="--option")
        if name in out:
            raise click.BadParameter(f"the option {name!r} is given twice",
                                     param_hint="--option")
        try:
            out[name] = json.loads(text)
        except ValueError:
            out[name] = text
    return out


def _summaries(es: Estimates) -> list[tuple[str, str, str, str, str, str, str, str, bool]]:
    """Per variable: variable, strategy, phrase, lower, value, upper, used, excluded,
    conflict, from the columns (no per-claim objects, so fast at any size)."""
    cols = es.columns()
    out = []
    for v, strat, lo, val, up, unit, used, excl, conflict in zip(
        cols["variable"].tolist(), cols["strategy"].tolist(), cols["lower"].tolist(),
        cols["value"].tolist(), cols["upper"].tolist(), cols["unit"].tolist(),
        cols["n_used"].tolist(), cols["n_excluded"].tolist(), cols["conflict"].tolist(),
        strict=True,
    ):
        lo_, val_, up_ = (None if x != x or abs(x) == math.inf else x for x in (lo, val, up))
        out.append((str(v), strat, describe_range(val_, lo_, up_, unit),
                    *("" if x is None else _exact(x) for x in (lo_, val_, up_)),
                    str(used), str(excl), bool(conflict)))
    return out


def _check_truths(truths: dict[Any, float], variables: Sequence[Any], path: str) -> None:
    """Refuse truths of variables no claim is about: a key that differs in type (the
    text "1" where the claims have the integer 1) would otherwise be ignored."""
    known = set(variables)
    stray = [v for v in truths if v not in known]
    if stray:
        raise ClaimFileError(
            f"{len(stray)} of the truths are of variables no claim is about, the first "
            f"{stray[0]!r}" + (f" (the claims' variables include {variables[0]!r})"
                               if variables else ""), path=path, column="variable")


def _exact(x: float) -> str:
    """A figure as its shortest exact text: 1234567 (not 1.23457e+06), 0.1, 1e+300."""
    from ._io import _figure

    return repr(_figure(x))


#: Above this many variables the table format prints tab-separated columns, not a
#: drawn table.
DRAWN_TABLE_ROWS = 10_000


def _count(n: int, noun: str) -> str:
    """``n`` and the noun, in the plural unless ``n`` is 1: "1 claim", "2 claims"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _title(n_claims: int, es: Estimates, strategy: str) -> str:
    """The heading of a file's estimates: claims, variables (those that failed too) and
    the strategy."""
    failed = f" ({len(es.errors):,} failed)" if es.errors else ""
    return (f"{_count(n_claims, 'claim')}, {_count(len(es) + len(es.errors), 'variable')}"
            f"{failed}, strategy {strategy!r}")


def _echo_json(es: Estimates) -> None:
    """Write ``{"estimates": [...], "errors": [...]}`` as ``json.dumps(..., indent=2)``
    would, one estimate at a time: a file of millions of claims never holds every
    estimate's account in memory at once. Each error is ``{"variable": ..., "error":
    ...}`` (a list, not an object keyed by variable: the keys 1 and "1" would meet)."""
    errors = json.dumps([{"variable": v, "error": str(err)} for v, err in es.errors.items()],
                        indent=2, ensure_ascii=False).replace("\n", "\n  ")
    first = True
    for est in es._stream():
        text = json.dumps(est.to_dict(), indent=2, ensure_ascii=False)
        click.echo(("{\n  \"estimates\": [\n" if first else ",\n")
                   # (lines end at "\n" only: a text may hold U+2028 or U+0085, which
                   # json.dumps leaves as they are and splitlines() would break at)
                   + "\n".join("    " + line for line in text.split("\n")), nl=False)
        first = False
    click.echo('{\n  "estimates": [],' if first else "\n  ],")
    click.echo(f'  "errors": {errors}\n}}')


def _md_cell(text: str) -> str:
    """A Markdown table cell: Markdown's and HTML's special characters escaped (a name
    is shown, never rendered as a link or a tag), a line break written as \\n (it
    would end the row), control characters as escapes."""
    from ._report import _MD_SPECIAL  # one set of special characters, as report.md's

    text = _MD_SPECIAL.sub(r"\\\1", _visible(text.replace("\r\n", "\n").replace("\r", "\n")))
    return text.replace("\n", "\\n")


def _markdown(es: Estimates) -> str:
    lines = ["| variable | strategy | estimate | lower | value | upper | used | excluded |",
             "|---|---|---|---|---|---|---|---|"]
    for row in _summaries(es):
        cells = row[:8]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    for v, err in es.errors.items():
        lines.append(f"| {_md_cell(str(v))} | error: {_md_cell(str(err))} | | | | | | |")
    return "\n".join(lines)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--strategy", "-s", default="weighted", show_default=True,
              help="The strategy to use (see: claimrecon strategies).")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "markdown"]),
              default="table", show_default=True, help="Output format.")
@click.option("--input-format", type=click.Choice(["csv", "jsonl", "parquet"]), default=None,
              help="The file's format (default: from its suffix).")
@click.option("--column", "-c", "columns", multiple=True, metavar="NAME=THEIRS",
              help="Map a schema column to the file's header, e.g. source=outlet.")
@click.option("--option", "-o", "options", multiple=True, metavar="NAME=VALUE",
              help="A strategy option, e.g. -o loss=squared or -o max_iter=50 (VALUE is "
                   "read as JSON where it is JSON, else as text).")
@click.option("--truths", type=click.Path(dir_okay=False), default=None,
              help="Known values of some variables, for strategies that calibrate "
                   "sources on them (cooke): CSV or JSON Lines with the columns variable "
                   "and value.")
@click.option("--collect-errors", is_flag=True,
              help="Report failing variables and carry on instead of stopping.")
def reconcile(file: str, strategy: str, fmt: str, input_format: str | None,
              columns: tuple[str, ...], options: tuple[str, ...], truths: str | None,
              collect_errors: bool) -> None:
    """Reconcile the claims in FILE (CSV, JSON Lines or Parquet in the claims schema)."""
    from ._io import _read, read_truths

    if file == "demo" and not Path(file).exists():
        _fail("demo: no such file (the seed claims are reconciled by `claimrecon demo`, "
              "and `claimrecon report demo` writes their report)")
        return
    mapping = _parse_columns(columns)
    chosen = _parse_options(options, strategy)
    err = Console(stderr=True)
    progress = Progress(  # on a terminal only: reading (bytes) and reconciling (elapsed)
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
        DownloadColumn(), TimeElapsedColumn(), console=err, transient=True,
        disable=not err.is_terminal,
    )

    def opener(path: Path) -> TextIO:
        return progress.open(path, "r", encoding="utf-8-sig", newline="",
                             description=f"reading {path.name}")

    try:
        known = None if truths is None else read_truths(truths)
        with progress:
            table = _read(file, format=input_format, columns=mapping, opener=opener)
            if known is not None:
                _check_truths(known, table.variables, truths or "")
            task = progress.add_task(f"reconciling {len(table):,} claims ({strategy})",
                                     total=None)
            es = reconcile_all(table, strategy, truths=known, **chosen,
                               on_error="collect" if collect_errors else "raise")
            progress.remove_task(task)
    except ClaimreconError as exc:
        notes = getattr(exc, "__notes__", [])
        _fail(str(exc) + "".join(f"\n  {n}" for n in notes))
        return
    if fmt == "json":
        _echo_json(es)
    elif fmt == "markdown":
        click.echo(_markdown(es))
    elif len(es) > DRAWN_TABLE_ROWS:
        # Drawing a table of a million rows takes rich minutes: plain columns instead.
        title = _title(len(table), es, strategy)
        lines = [title, "variable\testimate\tused\texcluded\tconflict"]
        lines.extend(f"{_tsv_field(v)}\t{_tsv_field(phrase)}\t{used}\t{excl}\t"
                     f"{'yes' if conflict else ''}"
                     for v, _, phrase, _, _, _, used, excl, conflict in _summaries(es))
        lines.extend(f"{_tsv_field(failed)}\terror: {_tsv_field(problem)}"
                     for failed, problem in es.errors.items())
        click.echo("\n".join(lines))
    else:
        con = _console()
        t = Table(title=escape(_title(len(table), es, strategy)), title_justify="left")
        for col, just in (("variable", "left"), ("estimate", "right"), ("used", "right"),
                          ("excluded", "right"), ("conflict", "left")):
            t.add_column(col, justify=just)  # type: ignore[arg-type]
        for v, _, phrase, _, _, _, used, excl, conflict in _summaries(es):
            t.add_row(escape(v), escape(phrase), used, excl, "yes" if conflict else "")
        con.print(t)
        for failed, problem in es.errors.items():
            con.print(f"[red]{escape(str(failed))}[/]: {escape(str(problem))}")
    if es.errors:
        sys.exit(1)


@main.command()
@click.argument("source", metavar="FILE|demo")
@click.option("--out", "-o", "out_dir", default="claimrecon-report", show_default=True,
              type=click.Path(file_okay=False),
              help="Folder for index.html, report.md and the PNG charts.")
def report(source: str, out_dir: str) -> None:
    """Write a shareable report of the claims in FILE, or of the bundled seed claims with
    `demo`: a self-contained HTML page (charts inline, no network) and Markdown with PNG
    charts. Needs the plot extra: pip install 'claimrecon[plot]'. Exits with 1 when a
    variable has no estimate under any strategy (the reports are written, and say why)."""
    from ._report import report_command

    try:
        index, failed = report_command(source, out_dir)
    except ClaimreconError as exc:
        _fail(str(exc) + "".join(f"\n  {n}" for n in getattr(exc, "__notes__", [])))
        return
    except ImportError as exc:
        _fail(str(exc))
        return
    click.echo(f"wrote {index} and {index.with_name('report.md')}")
    if failed:  # written, with a section saying why; but no estimate: bad data
        err = Console(stderr=True, highlight=False, soft_wrap=True)  # as _fail: no wrapping
        for variable, problem in failed.items():
            err.print(f"[red]{escape(str(variable))}[/]: no strategy could "
                      f"estimate it: {escape(str(problem))}")
        sys.exit(1)


@main.command()
def strategies() -> None:
    """List the installed strategies, plugins included, and any name clash."""
    from ._plugins import broken_plugins, list_strategies

    infos = list_strategies()
    counts: dict[str, int] = {}
    for i in infos:
        counts[i.name] = counts.get(i.name, 0) + 1
    t = Table(title="Installed strategies", title_justify="left")
    t.add_column("name")
    t.add_column("plugin")
    t.add_column("summary")
    for i in infos:
        clash = " [red](name clash)[/]" if counts[i.name] > 1 else ""
        t.add_row(escape(i.name) + clash, escape(i.plugin), escape(i.strategy.summary))
    con = _console()
    con.print(t)
    for name, n in counts.items():
        if n > 1:
            con.print(f"[red]clash:[/] {escape(repr(name))} is provided by {n} plugins; "
                      "asking for it raises AmbiguousStrategyError. Block one with "
                      "CLAIMRECON_DISABLE_PLUGINS.")
    for plugin, err in broken_plugins().items():
        con.print(f"[red]broken plugin[/] {escape(repr(plugin))}: {escape(str(err))}")


@main.command()
@click.argument("phrase")
@click.option("--unit", default=None, help="The unit to give the quantity.")
def parse(phrase: str, unit: str | None) -> None:
    """Show how a hedged PHRASE is read, e.g. "up to about 15,000"."""
    from ._hedges import parse_quantity

    try:
        q = parse_quantity(phrase, unit=unit)
    except ClaimreconError as exc:
        _fail(str(exc))
        return
    con = _console()
    con.print(escape(f"{phrase!r} -> {q.describe()}"))
    for field in ("lower", "value", "upper", "unit", "confidence"):
        x = getattr(q, field)
        shown = "unbounded" if x is None and field in ("lower", "upper") else (
            "-" if x is None else x)
        con.print(escape(f"  {field:<10} {shown}"))
