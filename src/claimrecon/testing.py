"""The contract kit: hypothesis strategies for claims, and a checker that proves a
reconciliation strategy keeps the invariants it declares.

Install with ``pip install claimrecon[testing]``. In a plugin's own tests::

    from claimrecon.testing import check_strategy

    def test_my_strategy_keeps_its_contract():
        check_strategy("trimmed")

:func:`check_strategy` checks exactly the properties the strategy declares in
:attr:`claimrecon.Strategy.properties` (see :data:`claimrecon.PROPERTIES`), plus the
rules every strategy keeps: units that disagree are an error, never a number.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pluggy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._engine import reconcile
from ._errors import UnitMismatchError
from ._model import Claim, Estimate, Source
from ._plugins import get_plugin_manager, get_strategy
from ._quantity import Quantity

__all__ = ["check_strategy", "claim_lists", "claims", "quantities", "sources"]

_BIG = 1e9


def _figures(min_value: float = -_BIG, max_value: float = _BIG) -> st.SearchStrategy[float]:
    """Figures in ``[min_value, max_value]``: whole numbers (as claims mostly state) and
    any floats."""
    floats = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
    # The whole numbers inside the bounds: int() truncates toward zero, which for a
    # bound like 0.5 or -0.5 gives 0, outside [0.5, 0.9] or [-0.9, -0.5].
    first, last = math.ceil(min_value), math.floor(max_value)
    if first > last:  # no whole number between the bounds
        return floats
    return st.one_of(st.integers(first, last).map(float), floats)


@st.composite
def quantities(
    draw: st.DrawFn,
    *,
    unit: str | None = None,
    bounded: bool = False,
    min_value: float = -_BIG,
    max_value: float = _BIG,
    quantiles: bool = False,
) -> Quantity:
    """Quantities of every shape: points, ranges with and without a value, and
    (unless ``bounded``) ranges open on one side.

    :param unit: the unit every quantity gets.
    :param bounded: only quantities with both bounds.
    :param min_value: the smallest figure drawn.
    :param max_value: the largest figure drawn.
    :param quantiles: also draw expert quantiles (one to five pairs, values within
        the quantity's range) for some of the quantities.
    """
    shapes = ["point", "range", "range+value"] + ([] if bounded else ["lower", "upper"])
    shape = draw(st.sampled_from(shapes))
    a, b = sorted((draw(_figures(min_value, max_value)), draw(_figures(min_value, max_value))))
    q: Quantity
    if shape == "point":
        q = Quantity(value=a, unit=unit)
    elif shape == "range":
        q = Quantity(lower=a, upper=b, unit=unit)
    elif shape == "range+value":
        v = draw(st.floats(a, b)) if a < b else a
        q = Quantity(value=v, lower=a, upper=b, unit=unit)
    elif shape == "lower":
        q = Quantity(lower=a, unit=unit)
    else:
        q = Quantity(upper=b, unit=unit)
    if quantiles and draw(st.booleans()):
        # Within the quantity's own bounds (a point's are both ``a``), else the figures'.
        lo = q.lower if q.lower is not None else min_value
        hi = q.upper if q.upper is not None else max_value
        ps = draw(st.lists(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True),
                           min_size=1, max_size=5, unique=True))
        xs = draw(st.lists(st.floats(lo, hi), min_size=len(ps), max_size=len(ps)))
        q = attrs.evolve(q, quantiles=list(zip(sorted(ps), sorted(xs), strict=True)))
    return q


def sources(ids: Sequence[str] = ("a", "b", "c", "d", "e")) -> st.SearchStrategy[Source]:
    """Sources with ids from ``ids`` and random reliabilities in (0, 1].

    Draw a pool with distinct ids (as :func:`claim_lists` does) when several
    sources go into one call: one id must have one definition.
    """
    return st.builds(
        Source,
        id=st.sampled_from(list(ids)),
        name=st.none() | st.text(min_size=1, max_size=10),
        reliability=st.floats(0.01, 1.0),
    )


_DAY0 = datetime.date(2024, 1, 1)


def _dates() -> st.SearchStrategy[datetime.date]:
    return st.integers(0, 700).map(lambda d: _DAY0 + datetime.timedelta(days=d))


@st.composite
def claims(
    draw: st.DrawFn,
    *,
    variable: str = "v",
    source_pool: Sequence[Source] | None = None,
    dated: bool | None = None,
    quantity: st.SearchStrategy[Quantity] | None = None,
) -> Claim:
    """One claim about ``variable``.

    :param source_pool: the sources to pick from (default: one drawn source).
    :param dated: ``True`` always sets ``as_of``, ``False`` never, ``None`` either.
    :param quantity: the quantities to draw (default :func:`quantities`).
    """
    src = draw(st.sampled_from(list(source_pool))) if source_pool else draw(sources())
    q = draw(quantity if quantity is not None else quantities())
    as_of = None
    if dated or (dated is None and draw(st.booleans())):
        as_of = draw(_dates())
    published = draw(st.none() | _dates())
    return Claim(
        variable=variable,
        quantity=q,
        source=src,
        as_of=as_of,
        published=published,
        document=draw(st.none() | st.sampled_from(["d1.txt", "d2.txt", "d3.txt"])),
        via=draw(st.lists(st.sampled_from(["Reuters", "AP", "BBC"]), max_size=2)),
    )


@st.composite
def claim_lists(
    draw: st.DrawFn,
    *,
    variable: str = "v",
    min_size: int = 1,
    max_size: int = 8,
    dated: bool | None = None,
    quantity: st.SearchStrategy[Quantity] | None = None,
) -> list[Claim]:
    """Lists of claims about one variable from a pool of consistent sources, with
    repeats (the same origin, figure and date carried by several documents) drawn
    now and then.

    :param dated: passed to :func:`claims`.
    :param quantity: the quantities to draw (default :func:`quantities`).
    """
    n_sources = draw(st.integers(1, 5))
    pool = [
        Source(id=f"s{i}", reliability=draw(st.floats(0.01, 1.0))) for i in range(n_sources)
    ]
    out = draw(st.lists(
        claims(variable=variable, source_pool=pool, dated=dated, quantity=quantity),
        min_size=min_size, max_size=max_size,
    ))
    if out and len(out) < max_size and draw(st.booleans()):
        out.append(attrs.evolve(draw(st.sampled_from(out)), document="repeat.txt"))
    return out


# -- the checker -----------------------------------------------------------------------------


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _same_figures(a: Estimate, b: Estimate) -> bool:
    return _close(a.lower, b.lower) and _close(a.upper, b.upper) and _close(a.value, b.value)


def _key(claim: Claim) -> tuple[Any, ...]:
    """What tells claims apart in an account: what they state and who states it; not
    the source's definition (``scale_free`` changes its reliability), nor the outlets,
    quote and phrase: of repeats that tie on all else, the engine keeps one by input
    order, as documented, which changes no figure and no share."""
    return (claim.variable, claim.source.id, claim.quantity, claim.as_of, claim.published,
            claim.document)


def _account(e: Estimate) -> dict[tuple[Any, ...], list[float | None]]:
    """The shares of the claims in ``e`` (``None``: excluded), by :func:`_key`, sorted
    (excluded first)."""
    shares: dict[tuple[Any, ...], list[float | None]] = {}
    for c in e.contributions:
        shares.setdefault(_key(c.claim), []).append(c.weight)
    for x in e.excluded:
        shares.setdefault(_key(x.claim), []).append(None)
    return {k: sorted(v, key=lambda w: -1.0 if w is None else w) for k, v in shares.items()}


def _claims_of(e: Estimate) -> list[Claim]:
    return [c.claim for c in e.contributions] + [x.claim for x in e.excluded]


def _shares_text(shares: list[float | None]) -> str:
    return ", ".join("excluded" if w is None else f"share {w:.6g}" for w in shares) or "absent"


def _difference(a: Estimate, b: Estimate) -> str | None:
    """How result ``b`` differs from ``a``, or ``None`` if it does not: the figures, the
    conflict, the confidence, or the account of a claim (used, with its share, or
    excluded)."""
    if not _same_figures(a, b):
        return f"{a} became {b}"
    if a.conflict != b.conflict:
        return f"conflict {a.conflict} became {b.conflict}"
    if not _close(a.confidence, b.confidence):
        return f"confidence {a.confidence} became {b.confidence}"
    before, after = _account(a), _account(b)
    for claim in _claims_of(a) + _claims_of(b):
        was, now = before.get(_key(claim), []), after.get(_key(claim), [])
        if len(was) != len(now) or not all(map(_close, was, now)):
            return (f"the account of {claim.describe()!r}: {_shares_text(was)} became "
                    f"{_shares_text(now)}")
    return None


def _envelope(claims: Sequence[Claim]) -> tuple[float, float]:
    lows = [-math.inf if c.quantity.lower is None else c.quantity.lower for c in claims]
    ups = [math.inf if c.quantity.upper is None else c.quantity.upper for c in claims]
    return min(lows), max(ups)


def _assert(cond: bool, prop: str, name: str, detail: str) -> None:
    if not cond:
        raise AssertionError(f"strategy {name!r} breaks {prop!r}: {detail}")


def check_strategy(
    name: str,
    *,
    plugin_manager: pluggy.PluginManager | None = None,
    claim_lists: Callable[..., st.SearchStrategy[list[Claim]]] = claim_lists,
    max_examples: int | None = None,
    options: dict[str, Any] | None = None,
) -> None:
    """Check that strategy ``name`` keeps every invariant it declares.

    Runs a hypothesis test per declared property (and the unit rule) and raises
    :class:`AssertionError` naming the property and the counterexample on failure.
    ``order_free`` and ``scale_free`` compare whole results: the figures, ``conflict``,
    the confidence, and each claim's account (used, with its share, or excluded);
    figures, confidences and shares within a relative or absolute 1e-9.

    :param name: the strategy's name.
    :param plugin_manager: where to find it (default :func:`get_plugin_manager`).
    :param claim_lists: a function like :func:`claim_lists` (same keyword arguments)
        giving the inputs the strategy accepts, e.g. only bounded quantities. Every
        check draws its claims from it, the older claim ``ignores_older`` adds too.
    :param max_examples: examples per property (default: hypothesis's profile).
    :param options: strategy options to pass to every call.
    """
    pm = plugin_manager or get_plugin_manager()
    strategy = get_strategy(name, plugin_manager=pm)
    opts = dict(options or {})
    declared = strategy.properties
    conf = settings(
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None
    )
    if max_examples:
        conf = settings(conf, max_examples=max_examples)

    def run(cs: Sequence[Claim]) -> Estimate:
        return reconcile(cs, name, plugin_manager=pm, **opts)

    @conf
    @given(cs=claim_lists())
    def within_envelope(cs: list[Claim]) -> None:
        e = run(cs)
        lo, up = _envelope([c.claim for c in e.contributions])
        lower = -math.inf if e.lower is None else e.lower
        upper = math.inf if e.upper is None else e.upper
        _assert(lo <= lower <= upper <= up, "within_envelope", name,
                f"[{lower}, {upper}] outside [{lo}, {up}] for {cs!r}")
        if e.value is not None:
            _assert(lower <= e.value <= upper and not math.isnan(e.value),
                    "within_envelope", name, f"value {e.value} outside [{lower}, {upper}]")

    @conf
    @given(cs=claim_lists())
    def accounts_for_all(cs: list[Claim]) -> None:
        e = run(cs)
        seen = Counter(id(c.claim) for c in e.contributions) + Counter(
            id(x.claim) for x in e.excluded)
        _assert(seen == Counter(id(c) for c in cs), "accounts_for_all", name,
                f"{len(e.contributions)} used + {len(e.excluded)} excluded for {len(cs)} claims")
        if e.contributions:
            total = sum(c.weight for c in e.contributions)
            _assert(math.isclose(total, 1.0, rel_tol=1e-9), "accounts_for_all", name,
                    f"shares sum to {total}")

    @conf
    @given(cs=claim_lists(min_size=2), data=st.data())
    def order_free(cs: list[Claim], data: st.DataObject) -> None:
        shuffled = data.draw(st.permutations(cs))
        diff = _difference(run(cs), run(shuffled))
        _assert(diff is None, "order_free", name, f"{diff} when {cs!r} are shuffled")

    @conf
    @given(cs=claim_lists(max_size=1), k=st.integers(1, 4))
    def idempotent(cs: list[Claim], k: int) -> None:
        c = cs[0]
        for attempt in ([c], [c] * k):
            e = run(attempt)
            _assert(_close(e.lower, c.quantity.lower) and _close(e.upper, c.quantity.upper),
                    "idempotent", name,
                    f"{e} from {len(attempt)} copies of {c.quantity!r}")

    @conf
    @given(cs=claim_lists(), factor=st.floats(0.01, 1.0))
    def scale_free(cs: list[Claim], factor: float) -> None:
        scaled = {
            c.source.id: attrs.evolve(c.source, reliability=c.source.reliability * factor)
            for c in cs
        }
        other = [attrs.evolve(c, source=scaled[c.source.id]) for c in cs]
        diff = _difference(run(cs), run(other))
        _assert(diff is None, "scale_free", name,
                f"{diff} with every weight times {factor} for {cs!r}")

    @conf
    @given(cs=claim_lists(dated=True), more=claim_lists(dated=True, min_size=1, max_size=1),
           data=st.data())
    def ignores_older(cs: list[Claim], more: list[Claim], data: st.DataObject) -> None:
        oldest = min(c.as_of for c in cs if c.as_of is not None)
        # The older claim comes from ``claim_lists`` too, since the strategy may accept
        # only the inputs it gives (say, bounded ranges), with the source of one of the
        # claims: one id, one definition.
        source = data.draw(st.sampled_from([c.source for c in cs]))
        extra = attrs.evolve(more[0], source=source, as_of=oldest - datetime.timedelta(days=1))
        a, b = run(cs), run([*cs, extra])
        _assert(_same_figures(a, b), "ignores_older", name,
                f"{a} became {b} after adding an older claim {extra!r}")

    @conf
    @given(cs=claim_lists(min_size=1, max_size=4))
    def units_disagree(cs: list[Claim]) -> None:
        first = attrs.evolve(cs[0], quantity=attrs.evolve(cs[0].quantity, unit="USD"))
        second = attrs.evolve(cs[-1], quantity=attrs.evolve(cs[-1].quantity, unit="EUR"),
                              document="other-unit.txt")
        try:
            e = run([first, second, *cs[1:-1]])
        except UnitMismatchError:
            return
        raise AssertionError(f"strategy {name!r} gave {e} for claims in USD and EUR")

    checks = {
        "within_envelope": within_envelope,
        "accounts_for_all": accounts_for_all,
        "order_free": order_free,
        "idempotent": idempotent,
        "scale_free": scale_free,
        "ignores_older": ignores_older,
    }
    for prop, check in checks.items():
        if prop in declared:
            check()
    units_disagree()
