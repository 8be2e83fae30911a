"""Sources, claims, and the estimates reconciled from them."""

from __future__ import annotations

import datetime
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
import numpy as np

from ._errors import InvalidClaimError, InvalidQuantityError, InvalidSourceError, describe
from ._quantity import Quantity, describe_range, format_number

__all__ = ["Claim", "Contribution", "Estimate", "Exclusion", "Source", "Variable"]

#: What a variable key may be: its type is kept.
Variable = str | int


def _optional_str(name: str, value: object) -> str | None:
    """A text, or ``None`` for none: a blank text is none, as a blank cell of a file
    or frame reads, so a claim keeps its meaning through every format."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidClaimError(f"{name} must be a string or None (got {describe(value)})")
    return value if value.strip() else None


def _source_name(value: object) -> str | None:
    return _optional_str("source name", value)


def _source_kind(value: object) -> str | None:
    return _optional_str("source kind", value)


def _document(value: object) -> str | None:
    return _optional_str("document", value)


def _quote(value: object) -> str | None:
    return _optional_str("quote", value)


def _phrase(value: object) -> str | None:
    return _optional_str("phrase", value)


def _source_id(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidSourceError(f"source id must be a non-empty string (got {describe(value)})")
    if not value.strip():
        raise InvalidSourceError("source id must be a non-empty string (got an empty one)")
    return value


def _reliability(value: object) -> float:
    if type(value) is float and 0.0 < value <= 1.0:  # the usual case, without an ABC check
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidSourceError(
            f"reliability must be a number in (0, 1] (got {describe(value)})"
        )
    x = float(value)
    if not (0.0 < x <= 1.0):  # also refuses NaN
        raise InvalidSourceError(f"reliability must lie in (0, 1] (got {x})")
    return x


@attrs.frozen(kw_only=True)
class Source:
    """Who made an estimate: the origin, never the outlet that repeated it.

    One id, one definition: within one call, two Source objects with one id must be
    equal, or :class:`InconsistentSourceError` is raised.

    >>> Source(id="ua-officials", name="Ukrainian officials", reliability=0.7)
    Source(id='ua-officials', name='Ukrainian officials', kind=None, reliability=0.7)

    :param id: a stable identifier, e.g. ``"sk-nis"``. A figure an article does not
        attribute gets ``"unattributed:<document>"``.
    :param name: a readable name (a blank text is ``None``).
    :param kind: free text such as ``"government"``, ``"agency"``, ``"person"``.
    :param reliability: a prior weight in (0, 1]; 1.0 when none is given.
    :raises InvalidSourceError: an empty id, or a reliability outside (0, 1].
    """

    id: str = attrs.field(converter=_source_id)
    name: str | None = attrs.field(default=None, converter=_source_name)
    kind: str | None = attrs.field(default=None, converter=_source_kind)
    reliability: float = attrs.field(default=1.0, converter=_reliability)

    @property
    def label(self) -> str:
        """The name if there is one, else the id."""
        return self.name or self.id


def _variable(value: object) -> Variable:
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
        raise InvalidClaimError(f"variable must be a str or an int (got {describe(value)})")
    if isinstance(value, str) and not value.strip():  # as files and frames refuse it
        raise InvalidClaimError("variable must be a non-empty string or an int (got an "
                                "empty one)")
    if isinstance(value, str):
        return value
    return int(value)  # (numpy's integers too)


def _quantity(value: object) -> Quantity:
    if not isinstance(value, Quantity):
        raise InvalidClaimError(f"quantity must be a Quantity (got {describe(value)})")
    return value


def _source(value: object) -> Source:
    if not isinstance(value, Source):
        raise InvalidClaimError(f"source must be a Source (got {describe(value)})")
    return value


def _date(name: str, value: object) -> datetime.date | None:
    if value is None:
        return None
    if not isinstance(value, datetime.date):
        raise InvalidClaimError(
            f"{name} must be a datetime.date or datetime.datetime (got {describe(value)})"
        )
    if value != value:  # pandas.NaT: a datetime that is no time (unequal to itself)
        raise InvalidClaimError(
            f"{name} must be a datetime.date or datetime.datetime, or None for none (got "
            "NaT, pandas' missing time)"
        )
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        # A table holds an aware datetime as its UTC time, which must be a datetime too.
        try:
            value.astimezone(datetime.UTC)
        except OverflowError:
            raise InvalidClaimError(
                f"{name} {value.isoformat()} falls outside the years 1 to 9999 in UTC, "
                "where claims are held"
            ) from None
    return value


def _as_of(value: object) -> datetime.date | None:
    return _date("as_of", value)


def _published(value: object) -> datetime.date | None:
    return _date("published", value)


def _via(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable):
        raise InvalidClaimError(f"via must be a sequence of strings (got {describe(value)})")
    out = tuple(value)
    for item in out:
        if not isinstance(item, str):
            raise InvalidClaimError(f"via must hold only strings (got {describe(item)})")
    return out


@attrs.frozen(kw_only=True)
class Claim:
    """One statement of a figure about one variable, with its provenance.

    :param variable: what the figure is about (a non-empty str or an int; its type is
        kept).
    :param quantity: the figure with its range.
    :param source: the origin: who made the estimate.
    :param as_of: when the figure holds (a date or a datetime; a
        :class:`~claimrecon.ClaimTable` keeps the instant, an aware datetime in UTC).
    :param published: when it was reported (the same).
    :param via: the outlets that carried it.
    :param document: the document it was read from.
    :param quote: the sentence that states it.
    :param phrase: the verbatim hedged figure, e.g. ``"up to about 15,000"``.

    A blank ``document``, ``quote`` or ``phrase`` is ``None``, as a blank cell of a
    file or frame reads.

    :raises InvalidClaimError: a field of the wrong type, a blank variable, or a time
        that is no time (pandas' ``NaT``) or whose UTC time falls outside the years 1 to
        9999.
    """

    variable: Variable = attrs.field(converter=_variable)
    quantity: Quantity = attrs.field(converter=_quantity)
    source: Source = attrs.field(converter=_source)
    as_of: datetime.date | None = attrs.field(default=None, converter=_as_of)
    published: datetime.date | None = attrs.field(default=None, converter=_published)
    via: tuple[str, ...] = attrs.field(default=(), converter=_via)
    document: str | None = attrs.field(default=None, converter=_document)
    quote: str | None = attrs.field(default=None, converter=_quote)
    phrase: str | None = attrs.field(default=None, converter=_phrase)

    def describe(self) -> str:
        """One line: source, phrase or range, date and outlets."""
        q = self.quantity
        text = f"{self.source.label}: "
        rng = describe_range(None, q.lower, q.upper, q.unit)
        text += f"{self.phrase!r} [{rng}]" if self.phrase else q.describe()
        if self.as_of is not None:
            text += f", as of {self.as_of.isoformat()}"
        elif self.published is not None:
            text += f", published {self.published.isoformat()}"
        if self.via:
            text += ", via " + "; ".join(self.via)
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (dates as ISO strings)."""
        return {
            "variable": self.variable,
            "quantity": self.quantity.to_dict(),
            "source": attrs.asdict(self.source),
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "published": None if self.published is None else self.published.isoformat(),
            "via": list(self.via),
            "document": self.document,
            "quote": self.quote,
            "phrase": self.phrase,
        }


@attrs.frozen(kw_only=True)
class Contribution:
    """A claim that counted, with its share of the weight (shares sum to 1; a share
    too small for a float, below about 5e-324 of the total, shows as 0).

    :param claim: the claim, as stated.
    :param weight: its share of the estimate's weight.
    """

    claim: Claim
    weight: float


@attrs.frozen(kw_only=True)
class Exclusion:
    """A claim that was set aside, with the reason as a readable sentence.

    :param claim: the claim, as stated.
    :param reason: why it was set aside ("repeats a.txt", "superseded: ...").
    """

    claim: Claim
    reason: str


class _Frozen(Mapping[Any, Any]):
    """A read-only mapping that pickles (``types.MappingProxyType`` does not, so an
    Estimate with diagnostics could not be sent to another process or cached)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[Any, Any] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return _Frozen(value)


def _json_ready(x: Any) -> Any:
    """``x`` as plain JSON (no NaN nor Infinity, which standard JSON has not: NaN is
    ``None``, an infinity the text ``"inf"`` or ``"-inf"``)."""
    if isinstance(x, (bool, str)) or x is None:
        return x
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        f = float(x)
        return None if math.isnan(f) else f if math.isfinite(f) else str(f)
    if isinstance(x, (datetime.date,)):
        return x.isoformat()
    if isinstance(x, Mapping):
        return {str(k): _json_ready(v) for k, v in x.items()}
    if isinstance(x, Iterable):
        return [_json_ready(v) for v in x]
    return str(x)


@attrs.frozen(kw_only=True)
class Estimate:
    """The reconciled figure for one variable, with a complete account of how.

    Every input claim appears exactly once, in :attr:`contributions` or in
    :attr:`excluded`. ``str(estimate)`` is a phrase a journalist can print.

    :param variable: the variable.
    :param strategy: the name of the strategy that made it.
    :param value: the central figure, or ``None``.
    :param lower: the lower end of the range; ``None`` = unbounded.
    :param upper: the upper end of the range; ``None`` = unbounded.
    :param unit: the common unit of the claims, if any.
    :param confidence: the probability the range holds the truth, if the strategy
        states one.
    :param conflict: the claims given, before any exclusion, share no common point.
    :param contributions: the claims that counted, with their shares.
    :param excluded: the claims set aside, with reasons.
    :param diagnostics: named figures, such as iterations or tau².
    """

    variable: Variable
    strategy: str
    value: float | None
    lower: float | None
    upper: float | None
    unit: str | None = None
    confidence: float | None = None
    conflict: bool = False
    contributions: tuple[Contribution, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    diagnostics: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, hash=False, eq=False
    )

    def __str__(self) -> str:
        return describe_range(self.value, self.lower, self.upper, self.unit)

    @property
    def n_used(self) -> int:
        """How many claims counted."""
        return len(self.contributions)

    @property
    def n_excluded(self) -> int:
        """How many claims were set aside."""
        return len(self.excluded)

    @property
    def quantity(self) -> Quantity:
        """The estimate as a :class:`Quantity`.

        :raises InvalidQuantityError: the estimate is unbounded on both sides, which a
            Quantity cannot hold (given a value alone, a Quantity is a point)."""
        if self.lower is None and self.upper is None:
            raise InvalidQuantityError(
                f"the estimate of {self.variable!r} is unbounded on both sides ({self}), "
                "which a Quantity cannot hold: a Quantity given only a value is a point")
        return Quantity(value=self.value, lower=self.lower, upper=self.upper,
                        unit=self.unit, confidence=self.confidence)

    def explain(self) -> str:
        """A readable account: the result, then each claim with its share or reason."""
        n = self.n_used + self.n_excluded
        lines = [f"{self.variable}: {self} (strategy {self.strategy!r})"]
        summary = f"{self.n_used} of {n} claim{'s' if n != 1 else ''} used"
        if self.excluded:
            summary += f", {self.n_excluded} excluded"
        if self.confidence is not None:
            summary += f"; stated confidence {self.confidence:.0%}"
        lines.append(summary + ".")
        if self.conflict:
            lines.append("The claims conflict: no single figure lies within all of their ranges.")
        for c in sorted(self.contributions, key=lambda c: -c.weight):
            lines.append(f"  used {c.weight:6.1%}  {c.claim.describe()}")
        for e in self.excluded:
            lines.append(f"  excluded     {e.claim.describe()}: {e.reason}")
        if self.diagnostics:
            shown = ", ".join(
                f"{k}={format_number(v) if isinstance(v, float) else v}"
                for k, v in self.diagnostics.items()
            )
            lines.append(f"Diagnostics: {shown}.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``json.dumps`` takes it as is, and writes standard JSON (a
        diagnostic that is NaN is ``None``, an infinite one ``"inf"`` or ``"-inf"``)."""
        return {
            "variable": self.variable,
            "strategy": self.strategy,
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "unit": self.unit,
            "confidence": self.confidence,
            "conflict": self.conflict,
            "n_used": self.n_used,
            "n_excluded": self.n_excluded,
            "contributions": [
                {"claim": c.claim.to_dict(), "weight": c.weight} for c in self.contributions
            ],
            "excluded": [{"claim": e.claim.to_dict(), "reason": e.reason} for e in self.excluded],
            "diagnostics": _json_ready(dict(self.diagnostics)),
            "text": str(self),
        }
