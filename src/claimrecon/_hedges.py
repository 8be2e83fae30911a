"""Hedged English figures to ranges: :func:`parse_quantity` and :func:`find_quantities`.

A hedge is the wording around a figure that says how exact it is: "about 14,000",
"up to 15,000", "nearly 1,000", "thousands". The parser turns one hedged figure into a
:class:`~claimrecon.Quantity` by a documented, configurable :class:`HedgePolicy`, and
keeps the stated figure exactly: as the value of a symmetric hedge, as the bound of a
one-sided one. Text it cannot read as wholly one hedged figure is refused with
:class:`~claimrecon.HedgeParseError`, never guessed.

The vocabulary is built in (English) and can be extended by plugins through the
``claimrecon_hedges()`` hook, which returns :class:`Hedge` objects. The regular
expressions are compiled once per vocabulary and cached, so a call costs a match and a
little arithmetic.

Numbers are read in English conventions: ``12,000`` and ``12.5``; a space, no-break
space or thin space may also group thousands (``12 000``). Figures are never negative:
a leading minus sign is not read.
"""

from __future__ import annotations

import decimal
import functools
import math
import numbers
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, get_args

import attrs

from ._errors import HedgeParseError, describe
from ._quantity import Quantity, format_number

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "BUILTIN_HEDGES",
    "FoundQuantity",
    "Hedge",
    "HedgeKind",
    "HedgePolicy",
    "find_quantities",
    "parse_quantity",
]

#: What a hedge does to the figure it qualifies (see :class:`Hedge`).
HedgeKind = Literal["symmetric", "upper", "lower", "near-upper", "near-lower", "magnitude"]
#: Where a hedge stands: before the figure ("about 14,000") or after it ("14,000 or so").
HedgePosition = Literal["before", "after"]

_KINDS: Final[tuple[str, ...]] = get_args(HedgeKind)
_POSITIONS: Final[tuple[str, ...]] = get_args(HedgePosition)
_WIDTH_KINDS: Final = frozenset({"symmetric", "near-upper", "near-lower"})


# --- vocabulary --------------------------------------------------------------------------


def _finite(owner: str, name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}.{name} must be a real number or None (got {describe(value)})")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{owner}.{name} must be finite (got {x})")
    return x


def _hedge_phrase(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"Hedge.phrase must be a string (got {describe(value)})")
    return " ".join(value.split())


def _hedge_width(value: object) -> float | None:
    return _finite("Hedge", "width", value)


def _hedge_lower(value: object) -> float | None:
    return _finite("Hedge", "lower", value)


def _hedge_upper(value: object) -> float | None:
    return _finite("Hedge", "upper", value)


@attrs.frozen(kw_only=True, cache_hash=True)
class Hedge:
    """One entry of the hedge vocabulary: a phrase and what it does to a figure.

    Plugins add entries through the ``claimrecon_hedges()`` hook; the built-in English
    vocabulary is made of the same objects. Phrases match whole words, ignoring case and
    the amount of white space between words. An entry whose phrase is also built in (or
    given by another plugin identically) replaces it; two plugins that define one phrase
    differently are an error.

    The kinds:

    - ``"symmetric"`` ("about", "around"): a band around the figure, which stays the
      value; half-width ``width`` (relative) or :attr:`HedgePolicy.symmetric`.
    - ``"upper"`` ("up to", "at most"): the range ends at the figure.
    - ``"lower"`` ("over", "at least"): the range starts at the figure.
    - ``"near-upper"`` ("nearly", "just under"): a narrow band ending at the figure,
      ``width`` (a fraction of the figure) or :attr:`HedgePolicy.near` wide.
    - ``"near-lower"`` ("just over"): a narrow band starting at the figure.
    - ``"magnitude"`` ("thousands"): a vague amount that stands for a figure by itself;
      ``lower`` and ``upper`` give its range (equal bounds make it a point).

    >>> Hedge(phrase="rund", kind="symmetric")
    Hedge(phrase='rund', kind='symmetric', width=None, lower=None, upper=None, position='before')
    >>> Hedge(phrase="or thereabouts", kind="symmetric", position="after", width=0.2).width
    0.2
    >>> Hedge(phrase="Tausende", kind="magnitude", lower=2_000, upper=20_000).upper
    20000.0

    :param phrase: the hedge's words, e.g. ``"approximately"``; no digits.
    :param kind: one of ``"symmetric"``, ``"upper"``, ``"lower"``, ``"near-upper"``,
        ``"near-lower"``, ``"magnitude"``.
    :param width: for ``symmetric`` and ``near-*`` hedges only: overrides the policy's
        width for this phrase; a fraction of the figure, strictly between 0 and 1.
    :param lower: for ``magnitude`` only (and required there): the lowest figure meant.
    :param upper: for ``magnitude`` only (and required there): the highest figure meant.
    :param position: ``"before"`` the figure (the default) or ``"after"`` it
        ("14,000 or so"); a magnitude stands alone and keeps ``"before"``.
    :raises ValueError: an empty phrase or one with digits, an unknown kind or
        position, a width outside (0, 1), or bounds that do not fit the kind.
    :raises TypeError: a field of the wrong type.
    """

    phrase: str = attrs.field(converter=_hedge_phrase)
    kind: HedgeKind
    width: float | None = attrs.field(default=None, converter=_hedge_width)
    lower: float | None = attrs.field(default=None, converter=_hedge_lower)
    upper: float | None = attrs.field(default=None, converter=_hedge_upper)
    position: HedgePosition = "before"

    def __attrs_post_init__(self) -> None:
        name = f"hedge {self.phrase!r}"
        if not self.phrase:
            raise ValueError("a hedge needs a non-empty phrase")
        if any(ch.isdigit() for ch in self.phrase):
            raise ValueError(f"{name}: a hedge phrase may not contain digits")
        if self.kind not in _KINDS:
            raise ValueError(f"{name}: kind must be one of {', '.join(_KINDS)} "
                             f"(got {self.kind!r})")
        if self.position not in _POSITIONS:
            raise ValueError(f"{name}: position must be 'before' or 'after' "
                             f"(got {self.position!r})")
        if self.width is not None:
            if self.kind not in _WIDTH_KINDS:
                raise ValueError(f"{name}: only symmetric and near-* hedges take a width")
            if not 0.0 < self.width < 1.0:
                raise ValueError(f"{name}: width must lie strictly between 0 and 1 "
                                 f"(got {self.width})")
        if self.kind == "magnitude":
            if self.lower is None or self.upper is None:
                raise ValueError(f"{name}: a magnitude needs both lower and upper")
            if not 0.0 <= self.lower <= self.upper:
                raise ValueError(f"{name}: a magnitude needs 0 <= lower <= upper "
                                 f"(got lower={self.lower}, upper={self.upper})")
            if self.position != "before":
                raise ValueError(f"{name}: a magnitude stands alone; leave position alone")
        elif self.lower is not None or self.upper is not None:
            raise ValueError(f"{name}: only magnitude hedges take lower and upper")


def _hedges(kind: HedgeKind, *phrases: str, position: HedgePosition = "before") -> list[Hedge]:
    return [Hedge(phrase=p, kind=kind, position=position) for p in phrases]


#: The built-in English vocabulary (number words and vague magnitudes such as
#: "thousands" are part of the grammar, not of this list).
BUILTIN_HEDGES: Final[tuple[Hedge, ...]] = tuple(
    _hedges("symmetric", "about", "around", "some", "roughly", "approximately", "approx.",
            "circa", "ca.", "c.", "~", "≈", "an estimated", "estimated", "in the region of",
            "on the order of", "of the order of", "in the order of", "in the neighborhood of",
            "in the neighbourhood of", "something like", "more or less")
    + _hedges("upper", "up to", "as many as", "as much as", "at most", "no more than",
              "not more than", "fewer than", "less than", "under", "below", "a maximum of",
              "maximum of", "not exceeding", "<", "<=", "≤")
    + _hedges("lower", "over", "more than", "at least", "upwards of", "upward of",
              "in excess of", "above", "no fewer than", "not fewer than", "no less than",
              "not less than", "a minimum of", "minimum of", "as few as", "as little as",
              "well over", "well above", "well in excess of", ">", ">=", "≥")
    + _hedges("near-upper", "nearly", "almost", "just under", "just below", "just shy of",
              "just short of", "close to", "slightly under", "slightly below",
              "slightly less than", "slightly fewer than", "a little under",
              "a little less than", "a little fewer than", "not quite")
    + _hedges("near-lower", "just over", "just above", "just more than", "slightly over",
              "slightly above", "slightly more than", "a little over", "a little above",
              "a little more than")
    + _hedges("symmetric", "or so", "or thereabouts", position="after")
    + _hedges("lower", "or more", "or over", "or above", "+", "-plus", position="after")
    + _hedges("upper", "or fewer", "or less", "or under", "or below", position="after")
)


# --- policy -------------------------------------------------------------------------------


def _as_pair(value: object) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"expected a (low, high) pair of multipliers (got {describe(value)})")
    items = tuple(value)
    if len(items) != 2:
        raise TypeError(f"expected a (low, high) pair of multipliers (got {describe(value)})")
    lo = _finite("HedgePolicy", "multiplier", items[0])
    hi = _finite("HedgePolicy", "multiplier", items[1])
    assert lo is not None and hi is not None  # None is not a Real, so _finite raised
    return (lo, hi)


def _as_width(value: object) -> float:
    x = _finite("HedgePolicy", "width", value)
    if x is None:
        raise TypeError("HedgePolicy widths must be numbers (got None)")
    return x


def _as_floor(value: object) -> float | None:
    return _finite("HedgePolicy", "floor", value)


def _check_width(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"HedgePolicy.{attribute.name} must lie in [0, 1) (got {value})")


def _check_pair(
    instance: object, attribute: attrs.Attribute[tuple[float, float]], value: tuple[float, float]
) -> None:
    lo, hi = value
    if not 0.0 < lo <= hi:
        raise ValueError(f"HedgePolicy.{attribute.name} must be a pair 0 < low <= high "
                         f"(got {value})")


@attrs.frozen(kw_only=True)
class HedgePolicy:
    """How wide the ranges of hedged figures are: the documented, configurable choices.

    The stated figure is always kept exactly; the policy only decides how far a range
    reaches beyond it. Vague magnitudes multiply a scale word (dozen, hundred, thousand,
    million, billion, trillion) by a pair of multipliers.

    ============================  =================================  ======================
    text                          reads as                           with the defaults
    ============================  =================================  ======================
    about X (symmetric hedges)    value X, X·(1 ± symmetric)         about 14,000 ->
                                                                     [12,600, 15,400]
    nearly X, just under X        X·(1 − near) to X, no value        nearly 15,000 ->
                                                                     [14,250, 15,000]
    just over X                   X to X·(1 + near), no value        [15,000, 15,750]
    up to X (upper hedges)        floor to X, no value               (unbounded, 15,000]
    over X (lower hedges)         X upwards, no value                [12,000, unbounded)
    thousands, millions           plural × the scale                 [2,000, 20,000]
    tens of thousands             tens_of × the scale                [20,000, 100,000]
    hundreds of thousands         hundreds_of × the scale            [200,000, 1,000,000]
    several thousand              several × the scale                [3,000, 9,000]
    a few hundred                 few × the scale                    [200, 500]
    a couple of thousand          couple × the scale                 [2,000, 3,000]
    ============================  =================================  ======================

    Why ``plural = (2, 20)``: English names 12,000 "twelve thousand", and news reports call
    a force of 12,000 to 15,000 "thousands of troops"; "tens of thousands" takes over at
    20,000. So "thousands" runs from 2,000 to 20,000, "hundreds" from 200 to 2,000
    ("fifteen hundred"), "dozens" from 24 to 240.

    >>> HedgePolicy().symmetric
    0.1
    >>> parse_quantity("about 14,000", policy=HedgePolicy(symmetric=0.2))
    Quantity(value=14000.0, lower=11200.0, upper=16800.0)
    >>> parse_quantity("up to 15,000", policy=HedgePolicy(floor=0))
    Quantity(lower=0.0, upper=15000.0)

    :param symmetric: the relative half-width of a symmetric hedge, in [0, 1).
    :param near: the relative width of nearly / almost / just under / just over, in [0, 1).
    :param floor: the lower bound given to upper hedges ("up to X"); ``None`` (the
        default) leaves them unbounded below; ``0`` suits counts. A floor above the
        figure is lowered to the figure.
    :param plural: multipliers of a bare plural ("thousands").
    :param tens_of: multipliers of "tens of ..." ("tens of thousands").
    :param hundreds_of: multipliers of "hundreds of ..." ("hundreds of millions").
    :param several: multipliers of "several ..." ("several thousand").
    :param few: multipliers of "a few ..." ("a few hundred").
    :param couple: multipliers of "a couple (of) ..." ("a couple of thousand").
    :raises ValueError: a width outside [0, 1), or a pair that is not ``0 < low <= high``.
    :raises TypeError: a field of the wrong type.
    """

    symmetric: float = attrs.field(default=0.1, converter=_as_width, validator=_check_width)
    near: float = attrs.field(default=0.05, converter=_as_width, validator=_check_width)
    floor: float | None = attrs.field(default=None, converter=_as_floor)
    plural: tuple[float, float] = attrs.field(
        default=(2.0, 20.0), converter=_as_pair, validator=_check_pair)
    tens_of: tuple[float, float] = attrs.field(
        default=(20.0, 100.0), converter=_as_pair, validator=_check_pair)
    hundreds_of: tuple[float, float] = attrs.field(
        default=(200.0, 1000.0), converter=_as_pair, validator=_check_pair)
    several: tuple[float, float] = attrs.field(
        default=(3.0, 9.0), converter=_as_pair, validator=_check_pair)
    few: tuple[float, float] = attrs.field(
        default=(2.0, 5.0), converter=_as_pair, validator=_check_pair)
    couple: tuple[float, float] = attrs.field(
        default=(2.0, 3.0), converter=_as_pair, validator=_check_pair)


_DEFAULT_POLICY: Final = HedgePolicy()


@attrs.frozen(kw_only=True)
class FoundQuantity:
    """A hedged figure found in a document by :func:`find_quantities`.

    ``text[start:end] == phrase``, and ``parse_quantity(phrase) == quantity``.

    :param start: where the phrase begins in the text (a character offset).
    :param end: where it ends (exclusive).
    :param phrase: the hedged figure as written, hedge words included,
        e.g. ``"up to about 15,000"``.
    :param quantity: what the phrase means.
    """

    start: int
    end: int
    phrase: str
    quantity: Quantity


# --- grammar ------------------------------------------------------------------------------


def _split(words: str) -> list[str]:
    return words.split()


_H = r"[^\S\n]"
#: One or more spaces, with at most one line break among them.
_S1 = rf"(?:{_H}+(?:\n{_H}*)?|\n{_H}*)"
_S0 = rf"(?:{_S1})?"

_SMALL: Final[dict[str, int]] = {
    w: i for i, w in enumerate(
        _split("zero one two three four five six seven eight nine ten eleven twelve thirteen "
               "fourteen fifteen sixteen seventeen eighteen nineteen"))
}
_TENS: Final[dict[str, int]] = {
    w: 10 * i for i, w in enumerate(
        _split("twenty thirty forty fifty sixty seventy eighty ninety"), start=2)
}
_BIG: Final[dict[str, int]] = {
    "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
}
_SCALES: Final[dict[str, int]] = {"dozen": 12, "hundred": 100, **_BIG}
_ABBREVIATIONS: Final[dict[str, int]] = {
    "k": 10**3, "m": 10**6, "mn": 10**6, "mln": 10**6, "b": 10**9, "bn": 10**9,
    "tn": 10**12, "trn": 10**12,
}
_CURRENCY_SIGNS: Final[dict[str, str]] = {
    "$": "USD", "us$": "USD", "a$": "AUD", "au$": "AUD", "c$": "CAD", "ca$": "CAD",
    "hk$": "HKD", "nz$": "NZD", "s$": "SGD", "€": "EUR", "£": "GBP", "₩": "KRW",
    "₹": "INR", "₽": "RUB", "₴": "UAH", "₺": "TRY", "₪": "ILS",
}
_CURRENCY_CODES: Final = (
    "USD", "EUR", "GBP", "JPY", "CNY", "KRW", "KPW", "RUB", "UAH", "INR", "CHF", "CAD", "AUD",
)
_CURRENCY_WORDS: Final[dict[str, str]] = {
    "dollar": "USD", "dollars": "USD", "us dollar": "USD", "us dollars": "USD",
    "euro": "EUR", "euros": "EUR", "pounds sterling": "GBP", "yen": "JPY", "yuan": "CNY",
    "renminbi": "CNY", "won": "KRW", "ruble": "RUB", "rubles": "RUB", "rouble": "RUB",
    "roubles": "RUB", "hryvnia": "UAH", "hryvnias": "UAH",
}
_MONTHS: Final = frozenset(
    _split("january february march april may june july august september october november "
           "december jan feb mar apr jun jul aug sep sept oct nov dec")
)
_TIME_WORDS: Final = frozenset(
    _split("second minute hour day week fortnight month quarter year decade annum")
)
#: Words that cannot be part of a unit: verbs, prepositions, pronouns, hedges, numbers.
_NOT_UNIT_WORDS: Final = frozenset(
    _split("""is are was were be been being am has have had having do does did will would shall
    should can could may might must in on at to from by with into onto over under about
    around across after before since until till for against between through during without
    within upon near toward towards behind beyond among amid amidst along and or but nor yet
    so because if than that which who whom whose what when where while the this these those
    it its they them their he she him his her we our you your i me my there here more less
    fewer most least not no only just nearly almost some several few many all both other
    another as up down out off then also thousands hundreds millions billions trillions
    dozens tens couple approximately roughly estimated""")
) | _MONTHS | frozenset(_SMALL) | frozenset(_TENS) | frozenset(_SCALES) | frozenset(
    _split("monday tuesday wednesday thursday friday saturday sunday")
)
_MAX_UNIT_WORDS: Final = 5
_CHANGE_VERBS: Final = frozenset(
    _split("""rose risen rise rises rising grew grown grow grows growing increased increase
    increases increasing fell fallen fall falls falling dropped drop drops dropping
    declined decline declines declining decreased decrease decreases decreasing climbed
    climb climbs climbing jumped jump jumps jumping went go goes going soared surged swelled
    shrank shrunk doubled tripled halved cut raised lowered reduced expanded""")
)


_Trie = dict[str, "_Trie"]
_END: Final = ""  # marks the end of a phrase in a trie


def _trie_pattern(trie: _Trie) -> str:
    """A regular expression for the phrases of ``trie``, longest match first.

    Factoring common prefixes ("a little over", "a little under", "about") keeps the
    regular-expression engine from trying a hundred alternatives at every word.
    """
    branches = []
    for key in sorted(k for k in trie if k != _END):
        head = _S1 if key == " " else re.escape(key)
        branches.append(head + _trie_pattern(trie[key]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in trie:
        return f"(?:{body})?" if len(branches) == 1 else body + "?"
    return body


def _alternation(phrases: Iterable[str]) -> str:
    """One pattern for many phrases (white space between words is flexible)."""
    trie: _Trie = {}
    for phrase in phrases:
        node = trie
        for ch in " ".join(phrase.lower().split()):
            node = node.setdefault(ch, {})
        node[_END] = {}
    return f"(?:{_trie_pattern(trie)})" if trie else "(?!)"


def _words(*words: str) -> str:
    return _alternation(words)


def _phrase_pattern(phrase: str) -> str:
    return _S1.join(re.escape(w) for w in phrase.split())


_UNIT_WORD = _words(*[w for w in _SMALL if w != "zero"][:9])  # one..nine
_NUMBER_ATOM = (
    rf"(?:(?:{_words(*_TENS)})(?:(?:-|{_S1})(?:{_UNIT_WORD}))?|{_words(*_SMALL)}"
    rf"|{_words(*_SCALES)})(?!\w)"
)
_AFTER_BIG = "(?:" + "|".join(f"(?<={w})" for w in ("hundred", *_BIG)) + ")"
_SCALE_NAME = _words(*_SCALES)
_WORD_NUMBER = (
    rf"(?:(?:a|half{_S1}a|a{_S1}half|a{_S1}quarter(?:{_S1}of{_S1}a)?|quarter{_S1}of{_S1}a)"
    rf"{_S1}(?=(?:{_SCALE_NAME})(?!\w)))?"
    rf"{_NUMBER_ATOM}"
    rf"(?:{_S1}and{_S1}a{_S1}half(?={_S1}(?:{_SCALE_NAME})(?!\w))"
    rf"|(?:{_AFTER_BIG}{_S1}and)?{_S1}{_NUMBER_ATOM})*"
)
_SCALE_CHAIN = rf"(?:{_SCALE_NAME})(?:{_S1}(?:{_words(*_BIG)}))?"
_PLURAL_SCALE = _words(*(w + "s" for w in _SCALES))
_PLURAL_BIG = _words(*(w + "s" for w in _BIG))
_CURRENCY_PREFIX = (
    r"(?:us|au|a|ca|c|hk|nz|s)?\$|[€£₩₹₽₴₺₪]"
    rf"|(?:{_words(*_CURRENCY_CODES)})(?={_H}?\d)"
)
_CURRENCY_WORD = "|".join(
    _phrase_pattern(w) for w in sorted(_CURRENCY_WORDS, key=len, reverse=True)
)
_WORD = r"[^\W\d_]+(?:[.'’\-][^\W\d_]+)*\.?"
_NOUN = rf"{_WORD}(?:{_H}+{_WORD}){{0,{_MAX_UNIT_WORDS}}}"

#: A figure in running text must not continue a word, a number, a date or an identifier,
#: nor be half of "12 000" (grouped by a plain space: one figure or two? never guessed).
_BEFORE = (r"(?<![\w.\-–−/:#@&$€£¥¢¤\u20a0-\u20cf])(?<!\d,)"
           r"(?!(?<=\d[^\S\n])\d{3}(?!\d|[,.]\d))")
_AFTER = (r"(?![\w%+]|[.,:/]\d|[\-–−](?!strong\b)\w)"
          r"(?!(?<=\d)[^\S\n]\d{3}(?!\d|[,.]\d))")


def _figure(p: str, loose: bool) -> str:
    """One stated figure (no hedges); group names carry the prefix ``p``."""
    groups = r"[0-9]{1,3}(?:[ \u00a0\u202f\u2009][0-9]{3})+" if loose else (
        r"[0-9]{1,3}(?:[\u00a0\u202f\u2009][0-9]{3})+")
    number = rf"(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+|{groups}|[0-9]+)(?:\.[0-9]+)?(?![.,]?\d)"
    # k, b and m may stand a space apart after a currency sign ("$3 m"), else k glued:
    # a bare "3m" may be metres, a bare "3b" a label ("Phase 3b").
    abbr = rf"(?:{_H}?(?:mln|mn|bn|trn|tn)|(?({p}cur){_H}?(?:k|b|m)|k))(?!\w)"
    return (
        rf"(?:(?P<{p}cur>{_CURRENCY_PREFIX}){_H}?)?"
        rf"(?:(?P<{p}dig>{number})(?:(?P<{p}abbr>{abbr})"
        rf"|{_S1}(?P<{p}scale>{_SCALE_CHAIN})(?!\w))?"
        rf"|(?P<{p}words>{_WORD_NUMBER}))"
        rf"(?:(?P<{p}pct>{_H}?%|{_S1}(?:percent|per{_S1}cent)(?!\w))"
        rf"|{_S1}(?P<{p}curw>{_CURRENCY_WORD})(?!\w))?"
    )


class _Vocabulary(NamedTuple):
    before: dict[str, Hedge]
    after: dict[str, Hedge]
    magnitude: dict[str, Hedge]


class _Grammar(NamedTuple):
    vocabulary: _Vocabulary
    parse: re.Pattern[str]
    find: re.Pattern[str]
    single: re.Pattern[str]


def _vocabulary(extra: tuple[Hedge, ...]) -> _Vocabulary:
    tables: dict[str, dict[str, Hedge]] = {"before": {}, "after": {}, "magnitude": {}}

    def table(h: Hedge) -> dict[str, Hedge]:
        return tables["magnitude" if h.kind == "magnitude" else h.position]

    for h in BUILTIN_HEDGES:
        table(h)[_norm(h.phrase)] = h
    from_plugins: dict[str, Hedge] = {}
    for h in extra:
        key = _norm(h.phrase)
        seen = from_plugins.get(key)
        if seen is not None and not same_hedge(seen, h):
            raise ValueError(f"the hedge {h.phrase!r} is defined twice, differently: "
                             f"{seen!r} and {h!r}")
        from_plugins[key] = h
        for t in tables.values():  # a plugin's entry replaces any built-in one
            t.pop(key, None)
        table(h)[key] = h
    return _Vocabulary(tables["before"], tables["after"], tables["magnitude"])


def _sep() -> str:
    """The space after a hedge: required after a word, optional after a symbol."""
    return rf"(?:(?<=[^\W_]){_S1}|(?<![^\W_]){_S0})"


def _suffix(vocabulary: _Vocabulary) -> str:
    parts = []
    for phrase in sorted(vocabulary.after, key=lambda p: (-len(p), p)):
        pattern = _phrase_pattern(phrase)
        lead = _S1 if re.match(r"\w", phrase) else _H + "?"
        tail = r"(?!\w)" if re.search(r"\w$", phrase) else ""
        parts.append(f"{lead}{pattern}{tail}")
    return "|".join(parts) or "(?!)"


def _phrase(vocabulary: _Vocabulary, *, loose: bool, ranges: bool) -> str:
    """The grammar of one hedged figure or range, as a regular expression.

    A single figure and a range share their start (hedges and the first figure), so
    the expression reads it once; ``ranges=False`` keeps the groups but never matches
    a range.
    """
    sep = _sep()
    before = _alternation(vocabulary.before)
    symmetric = _alternation(p for p, h in vocabulary.before.items() if h.kind == "symmetric")
    off = "" if ranges else "(?!)"
    joint = (
        rf"(?(rkb){_S1}and{_S1}|(?(rkf){_S1}to{_S1}"
        rf"|(?(a_dig)(?:{_S1}(?:to|or){_S1}|{_H}?(?P<rd>[\-–—]){_H}?)|{_S1}(?:to|or){_S1})))"
    )
    figures = (
        rf"(?:{off}(?:(?P<rkb>between)|(?P<rkf>from)){_S1})?"
        rf"(?:(?P<h1>{before}){sep}(?:(?P<h2>{symmetric}){sep})?(?P<art>a{_S1}(?=\d))?)?"
        rf"{_figure('a_', loose)}"
        rf"(?:{off}{joint}(?(rd)|(?:(?P<b_h1>{before}){sep}(?:(?P<b_h2>{symmetric}){sep})?)?)"
        rf"{_figure('b_', loose)}"
        rf"|(?(rkb)(?!)|(?(rkf)(?!)|(?P<suf>{_suffix(vocabulary)})?)))"
    )
    magnitude = rf"(?P<vx>{_alternation(vocabulary.magnitude)})(?!\w)"  # plugins' words win
    vague = (
        rf"(?P<vq>several|a{_S1}few|a{_S1}couple(?:{_S1}of)?){_S1}(?P<vqs>{_SCALE_CHAIN})s?"
        rf"|(?P<vt>tens|hundreds){_S1}of{_S1}(?P<vts>{_PLURAL_BIG})"
        rf"|(?P<vp>{_PLURAL_SCALE})"
    )
    return rf"(?:{magnitude}|{figures}|(?:{vague})(?!\w))"


def _gate(vocabulary: _Vocabulary) -> str:
    """A quick test that a phrase can start here: a digit, a sign, or a known first word.

    Every phrase starts with one of these, so the test changes nothing but speed: most
    words of a document fail it at their first letters.
    """
    first = {phrase.split()[0] for phrase in (*vocabulary.before, *vocabulary.magnitude)}
    first |= {*_SMALL, *_TENS, *_SCALES, *(w + "s" for w in _SCALES), *_CURRENCY_CODES,
              "a", "half", "quarter", "several", "tens", "between", "from"}
    return rf"(?=[\d$€£₩₹₽₴₺₪]|[a-z]{{1,2}}\$|{_alternation(first)}(?![^\W\d_]))"


@functools.lru_cache(maxsize=32)
def _grammar(extra: tuple[Hedge, ...] = ()) -> _Grammar:
    vocabulary = _vocabulary(extra)
    flags = re.IGNORECASE
    parse = re.compile(
        rf"{_phrase(vocabulary, loose=True, ranges=True)}(?:{_S1}(?P<noun>{_NOUN}))?", flags
    )
    start = _BEFORE + _gate(vocabulary)
    find = re.compile(rf"{start}{_phrase(vocabulary, loose=False, ranges=True)}{_AFTER}", flags)
    single = re.compile(rf"{start}{_phrase(vocabulary, loose=False, ranges=False)}{_AFTER}",
                        flags)
    return _Grammar(vocabulary, parse, find, single)


# --- meaning ------------------------------------------------------------------------------


class _UnreadableError(Exception):
    """Internal: the match does not make one sensible figure (the reason is the message)."""


class _Figure(NamedTuple):
    value: Decimal
    unit: str | None  # a currency code or "%"
    scale: int  # the scale written with it (1 for none)
    plain_digits: str | None  # the digits, when written with no scale, sign or word


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def same_hedge(a: Hedge, b: Hedge) -> bool:
    """Whether two hedges define their phrase alike (phrases match whatever their case
    and spacing: "Rund" and "rund" are one phrase)."""
    return attrs.evolve(a, phrase=_norm(a.phrase)) == attrs.evolve(b, phrase=_norm(b.phrase))


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def _words_value(text: str) -> tuple[Decimal, int]:
    """The value of number words, and the scale they end with (1 for none)."""
    norm = re.sub(r"\band a half\b", "and-a-half", _norm(text))
    tokens = [s for t in norm.split(" ") for s in ([t] if t == "and-a-half" else t.split("-"))]
    factor = Decimal(1)
    for lead, f in ((("half", "a"), "0.5"), (("a", "half"), "0.5"),
                    (("a", "quarter", "of", "a"), "0.25"), (("a", "quarter"), "0.25"),
                    (("quarter", "of", "a"), "0.25")):
        if tuple(tokens[: len(lead)]) == lead:
            factor = Decimal(f)
            tokens = ["a", *tokens[len(lead):]]
            break
    total = Decimal(0)
    group = Decimal(0)
    last = "start"
    big_before: int | None = None
    numeric = ("unit", "teen", "tens", "a", "half")
    for t in tokens:
        if t == "a" and last == "start":
            group, last = Decimal(1), "a"
        elif t == "zero" and len(tokens) == 1:
            last = "unit"
        elif t in _SMALL and t != "zero":
            n = _SMALL[t]
            if last in ("start", "hundred", "big", "and") and group % 100 == 0:
                group += n
                last = "teen" if n >= 10 else "unit"
            elif last == "tens" and n < 10:
                group += n
                last = "unit"
            else:
                raise _UnreadableError(f"{text!r} is not a number in words")
        elif t in _TENS:
            if last not in ("start", "hundred", "big", "and") or group % 100 != 0:
                raise _UnreadableError(f"{text!r} is not a number in words")
            group += _TENS[t]
            last = "tens"
        elif t == "hundred":
            if last not in numeric or group >= 100:
                raise _UnreadableError(f"{text!r} is not a number in words")
            group *= 100
            last = "hundred"
        elif t in _BIG:
            scale = _BIG[t]
            if last not in (*numeric, "hundred") or (big_before is not None
                                                     and scale >= big_before):
                raise _UnreadableError(f"{text!r} is not a number in words")
            total += group * scale
            group = Decimal(0)
            big_before = scale
            last = "big"
        elif t == "dozen":
            if last not in numeric or total:
                raise _UnreadableError(f"{text!r} is not a number in words")
            group *= 12
            last = "dozen"
        elif t == "and" and last in ("hundred", "big"):
            last = "and"
        elif t == "and-a-half" and last in ("unit", "teen", "tens", "a"):
            group += Decimal("0.5")
            last = "half"
        else:
            raise _UnreadableError(f"{text!r} is not a number in words")
    if last in ("start", "and", "a", "half"):
        raise _UnreadableError(f"{text!r} is not a number in words")
    trailing = 1
    for t in reversed(tokens):
        if t not in _SCALES:
            break
        trailing *= _SCALES[t]
    return (total + group) * factor, trailing


def _scale_of(words: str) -> int:
    scale = 1
    for w in _norm(words).split():
        scale *= _SCALES[w.removesuffix("s")]
    return scale


_FIGURE_GROUPS: Final = {
    p: tuple(p + name for name in ("dig", "abbr", "scale", "words", "cur", "curw", "pct"))
    for p in ("a_", "b_")
}
_EUROPEAN: Final = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_GROUPING: Final = str.maketrans("", "", ", \u00a0\u202f\u2009")


def _figure_of(m: re.Match[str], p: str) -> _Figure:
    digits, abbr, scale_words, words, cur, curw, pct = m.group(*_FIGURE_GROUPS[p])
    scale = 1
    plain: str | None = None
    if digits is not None:
        value = Decimal(digits.translate(_GROUPING))
        if _EUROPEAN.fullmatch(digits) and abbr is None and scale_words is None:
            raise _UnreadableError(
                f"{digits!r} may be a decimal or, as in much of Europe, a number of "
                f"thousands; write {digits.replace('.', ',')!r} or "
                f"{digits.rstrip('0').rstrip('.')!r}")
        if abbr is not None:
            scale = _ABBREVIATIONS[abbr.strip().lower()]
            value *= scale
        elif scale_words is not None:
            scale = _scale_of(scale_words)
            value *= scale
        else:
            plain = digits
    else:
        value, scale = _words_value(words)
    if cur is None and curw is None and pct is None:
        return _Figure(value, None, scale, plain)
    units = []
    if cur is not None:
        sign = cur.strip()
        units.append(_CURRENCY_SIGNS.get(sign.lower()) or sign.upper())
    if curw is not None:
        units.append(_CURRENCY_WORDS[_norm(curw)])
    if pct is not None:
        units.append("%")
    if len(set(units)) > 1:
        raise _UnreadableError(f"{m.group()!r} states two units ({' and '.join(units)})")
    return _Figure(value, units[0], scale, None)


def _hedges_of(m: re.Match[str], vocabulary: _Vocabulary, p: str) -> tuple[Hedge | None, ...]:
    first = m.group(p + "h1")
    second = m.group(p + "h2")
    return (vocabulary.before[_norm(first)] if first else None,
            vocabulary.before[_norm(second)] if second else None)


class _Reading(NamedTuple):
    value: Decimal | None
    lower: Decimal | None
    upper: Decimal | None
    unit: str | None
    figures: tuple[_Figure, ...]


def _read_range(m: re.Match[str], vocabulary: _Vocabulary) -> _Reading:
    a = _figure_of(m, "a_")
    b = _figure_of(m, "b_")
    if m.group("art") is not None:
        raise _UnreadableError(f"{m.group()!r} is not a range that can be read")
    for p, allowed, end in (("", ("symmetric", "lower", "near-lower"), "start"),
                            ("b_", ("symmetric", "upper", "near-upper"), "end")):
        for h in _hedges_of(m, vocabulary, p):
            if h is None:
                continue
            if h.kind not in allowed or (end == "start" and h.kind != "symmetric"
                                         and m.group("rkb") is None
                                         and m.group("rkf") is None):
                raise _UnreadableError(
                    f"the hedge {h.phrase!r} cannot qualify the {end} of a range")
    if "%" in (a.unit, b.unit) and a.unit != b.unit and (
            max(a.scale, b.scale) > 1 or a.unit == "%"):  # ("2 to 3%": both percentages)
        raise _UnreadableError(f"one end of {m.group()!r} is a percentage, the other a "
                               "count")  # "between 2% and 3 million", "2% to 3,000"
    if a.scale == 1 and b.scale > 1 and a.value * b.scale <= b.value:
        a = a._replace(value=a.value * b.scale, plain_digits=None)  # "2 to 3 million"
    if a.unit and b.unit and a.unit != b.unit:
        raise _UnreadableError(f"the two ends of {m.group()!r} state different units "
                       f"({a.unit} and {b.unit})")
    if a.value > b.value:
        raise _UnreadableError(f"a range runs from the lower figure to the higher (got "
                       f"{format_number(float(a.value))} to {format_number(float(b.value))})")
    return _Reading(None, a.value, b.value, a.unit or b.unit, (a, b))


def _read_single(m: re.Match[str], vocabulary: _Vocabulary, policy: HedgePolicy) -> _Reading:
    f = _figure_of(m, "a_")
    x = f.value
    first, second = _hedges_of(m, vocabulary, "")
    after = vocabulary.after[_norm(m.group("suf"))] if m.group("suf") else None
    said = [h for h in (first, second, after) if h is not None]
    sided = [h for h in said if h.kind != "symmetric"]
    if len(sided) > 1:
        raise _UnreadableError(f"the hedges {sided[0].phrase!r} and {sided[1].phrase!r} "
                       f"contradict each other")
    if not said:
        return _Reading(x, x, x, f.unit, (f,))
    hedge = sided[0] if sided else said[0]
    if hedge.kind == "symmetric":
        width = next((h.width for h in said if h.width is not None), policy.symmetric)
        band = x * _dec(width)
        return _Reading(x, x - band, x + band, f.unit, (f,))
    if hedge.kind == "upper":
        floor = None if policy.floor is None else min(_dec(policy.floor), x)
        return _Reading(None, floor, x, f.unit, (f,))
    if hedge.kind == "lower":
        return _Reading(None, x, None, f.unit, (f,))
    band = x * _dec(policy.near if hedge.width is None else hedge.width)
    if hedge.kind == "near-upper":
        return _Reading(None, x - band, x, f.unit, (f,))
    return _Reading(None, x, x + band, f.unit, (f,))  # near-lower


def _read_vague(m: re.Match[str], vocabulary: _Vocabulary, policy: HedgePolicy) -> _Reading:
    g = m.group
    if g("vx") is not None:
        h = vocabulary.magnitude[_norm(g("vx"))]
        assert h.lower is not None and h.upper is not None
        lo, hi = _dec(h.lower), _dec(h.upper)
    else:
        if g("vq") is not None:
            word = _norm(g("vq")).split()[1] if g("vq").lower().startswith("a") else "several"
            pair = {"few": policy.few, "couple": policy.couple, "several": policy.several}[word]
            scale = _scale_of(g("vqs"))
        elif g("vt") is not None:
            pair = policy.tens_of if g("vt").lower() == "tens" else policy.hundreds_of
            scale = _scale_of(g("vts"))
        else:
            pair = policy.plural
            scale = _scale_of(g("vp"))
        lo, hi = _dec(pair[0]) * scale, _dec(pair[1]) * scale
    if lo == hi:
        return _Reading(lo, lo, lo, None, ())
    return _Reading(None, lo, hi, None, ())


#: The decimal arithmetic of every reading: the caller's ``decimal`` settings do not
#: change a figure, and no exponent overflows (a figure past the largest float is
#: refused when it becomes one).
_DECIMAL: Final = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN,
                                  Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                                  traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                         decimal.Overflow])


def _read(m: re.Match[str], vocabulary: _Vocabulary, policy: HedgePolicy) -> _Reading:
    with decimal.localcontext(_DECIMAL):
        if m.group("b_dig") is not None or m.group("b_words") is not None:
            return _read_range(m, vocabulary)
        if m.group("a_dig") is not None or m.group("a_words") is not None:
            return _read_single(m, vocabulary, policy)
        return _read_vague(m, vocabulary, policy)


def _quantity(r: _Reading, unit: str | None) -> Quantity:
    def f(x: Decimal | None) -> float | None:
        if x is None:
            return None
        y = float(x)
        if y == math.inf:
            raise _UnreadableError(f"the figure {x:.3e} is too large for a float")
        return y

    return Quantity(value=f(r.value), lower=f(r.lower), upper=f(r.upper), unit=unit)


def _unit(noun: str, symbol: str | None) -> str:
    """The unit named by the words after the figure (already checked to be a noun)."""
    words = noun.split()
    if words[0].lower() == "of":
        words = words[1:]
    out: list[str] = []
    for i, w in enumerate(words):
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if w.lower() in ("a", "an", "each", "every") and nxt in _TIME_WORDS:
            out.append("per")  # "$2,000 a month" -> "USD per month"
        else:
            out.append(w)
    text = " ".join(out)
    return f"{symbol} {text}" if symbol else text


def _check_noun(noun: str, symbol: str | None, text: str) -> None:
    words = noun.split()
    if words[0].lower() == "of":
        if symbol is not None:
            raise _UnreadableError(f"{noun!r} after a figure in {symbol} does not read as a unit")
        words = words[1:]
    bad = [w for w in words if w.lower().rstrip(".") in _NOT_UNIT_WORDS]
    if not words or bad or len(words) > _MAX_UNIT_WORDS:
        why = (f"{bad[0]!r} does not belong in a unit" if bad
               else f"a unit has at most {_MAX_UNIT_WORDS} words")
        raise _UnreadableError(f"{noun!r} after the figure does not read as a unit ({why})")


_EXPECTED: Final = (
    "expected one hedged figure such as '14,000', 'about 14,000', 'up to 15,000', "
    "'between 10,000 and 12,000', '$2.5bn' or 'thousands', optionally followed by a unit "
    "of a few words"
)


def _refusal(text: str, grammar: _Grammar, reason: str | None = None) -> HedgeParseError:
    if reason is None:
        reason = _diagnose(text.strip(), grammar)
    return HedgeParseError(f"{_EXPECTED}; {reason}, in {text!r}", text=text)


_AMBIGUOUS_M: Final = re.compile(r"(?<![\w$€£₩₹₽₴₺₪.,])(\d[\d,.]*)[^\S\n]?m\b", re.IGNORECASE)
#: A token holding a digit, matched from the token's start only (searched from every
#: position, a long run without spaces took time growing with its square).
_TOKEN_WITH_DIGITS: Final = re.compile(r"(?<!\S)\S*\d\S*")


def _diagnose(text: str, grammar: _Grammar) -> str:
    """Why ``text`` is not one hedged figure, for the error message."""
    if not text:
        return "got an empty text"
    ambiguous = _AMBIGUOUS_M.search(text)
    if ambiguous is not None:
        return (f"'m' after {ambiguous.group(1)!r} may mean million or metres; write "
                "'million', or put a currency sign before the figure ('$2.5m')")
    m = grammar.single.search(text)
    if m is None:
        token = _TOKEN_WITH_DIGITS.search(text)
        if token is not None and token.group()[0] in "-−–" and token.group()[1:2].isdigit():
            return (f"{token.group()!r} is negative, and negative figures are not read from "
                    "text (make the Quantity directly, e.g. Quantity(value=-5))")
        if token is not None:
            return (f"{token.group()!r} is not a figure that can be read (digits joined to "
                    "letters or other signs, or grouped in an unexpected way)")
        return "found no figure"
    if m.start() > 0:
        return f"{text[: m.start()].strip()!r} comes before the figure {m.group()!r}"
    rest = text[m.end():].strip()
    if grammar.single.search(rest):
        return "it holds more than one figure"
    return f"{rest!r} after {m.group()!r} does not read as a unit"


def _policy(policy: object) -> HedgePolicy:
    if policy is None:
        return _DEFAULT_POLICY
    if not isinstance(policy, HedgePolicy):
        raise TypeError(f"policy must be a HedgePolicy or None (got {describe(policy)})")
    return policy


_hedges_from: Callable[[pluggy.PluginManager | None], list[Hedge]] | None = None


def _extra_hedges(plugin_manager: pluggy.PluginManager | None) -> tuple[Hedge, ...]:
    global _hedges_from
    if _hedges_from is None:  # imported lazily: the plugin host imports this module
        from ._plugins import hedges_from

        _hedges_from = hedges_from
    return tuple(_hedges_from(plugin_manager))


def _ends_in_hedge(text: str, vocabulary: _Vocabulary) -> bool:
    """Whether ``text`` ends in a hedge placed after the figure whose phrase ends in a
    full stop, as a word of its own ("14,000 est.")."""
    norm = _norm(text)
    return any(norm.endswith(p) and (len(norm) == len(p) or not norm[-len(p) - 1].isalpha())
               for p in vocabulary.after if p.endswith("."))


def _parse(text: str, policy: HedgePolicy, extra: tuple[Hedge, ...] = (),
           unit: str | None = None) -> Quantity:
    """The pure core of :func:`parse_quantity`: the extra hedges are given directly."""
    grammar = _grammar(extra)
    s = text.strip()
    if s.endswith(".") and not _ends_in_hedge(s, grammar.vocabulary):
        s = s[:-1].rstrip()  # a full stop, unless it ends a hedge ("14,000 est.")
    m = grammar.parse.fullmatch(s)
    if m is None:
        raise _refusal(text, grammar)
    try:
        reading = _read(m, grammar.vocabulary, policy)
        noun = m.group("noun")
        if noun is not None:
            _check_noun(noun, reading.unit, text)
        if unit is None:
            unit = reading.unit if noun is None else _unit(noun, reading.unit)
        return _quantity(reading, unit)
    except _UnreadableError as exc:
        raise _refusal(text, grammar, str(exc)) from None


def parse_quantity(
    text: str,
    *,
    unit: str | None = None,
    policy: HedgePolicy | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> Quantity:
    """Turn one hedged figure in English into a :class:`~claimrecon.Quantity`.

    The stated figure is always kept exactly: as the value of a symmetric hedge
    ("about", "around", "some", "roughly", "approximately", "an estimated", "~", "or so"),
    as the upper bound of "up to", "as many as", "at most", "no more than", "fewer than",
    "less than", "under" (also when softened: "up to about X" ends at X), as the lower
    bound of "over", "more than", "at least", "upwards of", "in excess of" ("or more",
    "+"); "nearly", "almost", "close to", "just under" give a narrow band ending at the
    figure, "just over" one starting at it (no value: the figure is a bound). A bare
    figure is a point. The widths come from ``policy`` (see :class:`HedgePolicy`).

    Also read: ranges ("between 10,000 and 12,000", "10,000-12,000", "10,000 to
    12,000", "two or three thousand", "from about 1,200 to as many as 4,000": the
    stated ends are the bounds, "2 to 3 million" shares the scale); vague magnitudes
    ("thousands", "tens of thousands", "hundreds", "dozens", "several thousand", "a few
    hundred"); number words
    ("three thousand", "twelve", "a dozen", "half a million"); scale words and
    abbreviations ("2 million", "2.5bn", "1.2k"; "m" for million only after a currency
    sign, as it may mean metres; after a currency sign "k", "b" and "m" may stand a
    space apart, "$3 m"); currency signs and words ("$", "€", "£", "₩", "US$",
    "USD", "dollars": the unit becomes the ISO code, "$" is USD) and percentages (the unit
    becomes ``"%"``; a range from a percentage to a count, "2% to 3 million", is
    refused).

    Up to five words after the figure name its unit ("around 14,000 troops" gives the
    unit ``"troops"``; "thousands of troops" too; after a currency they are added to it:
    "$2,000 a month" gives ``"USD per month"``). They are kept as written, and must
    read as a noun phrase: words like "were", "in" or "October" are refused, so a
    sentence is never taken for a unit. ``unit=`` overrides whatever the text says.

    Matching ignores case and surrounding white space; a final period is allowed.

    >>> parse_quantity("around 14,000")
    Quantity(value=14000.0, lower=12600.0, upper=15400.0)
    >>> parse_quantity("up to about 15,000 troops")
    Quantity(lower=None, upper=15000.0, unit='troops')
    >>> parse_quantity("nearly 1,000")
    Quantity(lower=950.0, upper=1000.0)
    >>> parse_quantity("between 2 and 3 million")
    Quantity(lower=2000000.0, upper=3000000.0)
    >>> parse_quantity("thousands")
    Quantity(lower=2000.0, upper=20000.0)
    >>> parse_quantity("$2.5bn")
    Quantity(value=2500000000.0, lower=2500000000.0, upper=2500000000.0, unit='USD')
    >>> parse_quantity("12,000 troops were sent in October")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    claimrecon._errors.HedgeParseError: expected one hedged figure ...

    :param text: the hedged figure, e.g. ``"up to about 15,000"``.
    :param unit: the unit to give the result; overrides any unit the text states.
    :param policy: how wide hedged ranges are (default: ``HedgePolicy()``).
    :param plugin_manager: where extra :class:`Hedge` vocabulary comes from (the
        ``claimrecon_hedges()`` hook; default: the default plugin manager).
    :returns: the quantity the text states.
    :raises HedgeParseError: the text is not wholly one hedged figure (the message says
        what was expected and quotes the text).
    :raises PluginError: a plugin's ``claimrecon_hedges()`` failed, or two plugins
        define one hedge phrase differently.
    :raises TypeError: ``text`` or ``unit`` is not a string, or ``policy`` is not a
        :class:`HedgePolicy`.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_quantity expects a string (got {describe(text)})")
    if unit is not None and not isinstance(unit, str):
        raise TypeError(f"unit must be a string or None (got {describe(unit)})")
    return _parse(text, _policy(policy), _extra_hedges(plugin_manager), unit)


# --- finding figures in documents ------------------------------------------------------------

_MONTH_NAMES: Final = "|".join(
    f"{m.title()}|{m.upper()}" for m in sorted(_MONTHS, key=len, reverse=True) if m != "may"
) + "|May|MAY"
#: A month name just before a figure ("April 28", also glued: "PublishedApril 28").
_MONTH_BEFORE = re.compile(rf"(?:(?<![^\W\d_])|(?<=[a-z]))(?:{_MONTH_NAMES})\.?[^\S\n]+\Z")
#: A month name just after a figure ("28 April", "28 of April").
_MONTH_AFTER = re.compile(rf"[^\S\n]+(?:of[^\S\n]+)?(?:{_MONTH_NAMES})\b")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)[^\S\n]+\Z")


def _is_year(f: _Figure) -> bool:
    d = f.plain_digits
    return d is not None and len(d) == 4 and d.isdigit() and 1000 <= int(d) <= 2199


def _is_day(f: _Figure) -> bool:
    d = f.plain_digits
    return d is not None and d.isdigit() and len(d) <= 2 and 1 <= int(d) <= 31


def _next_to_month(text: str, start: int, end: int) -> bool:
    return (_MONTH_BEFORE.search(text, max(0, start - 16), start) is not None
            or _MONTH_AFTER.match(text, end) is not None)


def _find(
    text: str, policy: HedgePolicy, extra: tuple[Hedge, ...] = ()
) -> Iterator[FoundQuantity]:
    """The pure core of :func:`find_quantities`: the extra hedges are given directly."""
    grammar = _grammar(extra)
    for m in grammar.find.finditer(text):
        is_range = m.group("b_dig") is not None or m.group("b_words") is not None
        if is_range and m.group("rkb") is None and _after_change(text, m):
            # "rose from 3,000 to 12,000", "rose by 3,000 to 12,000": a change and where it
            # ended, not a range: take each figure.
            yield from _find_within(m, text, grammar, policy)
            continue
        try:
            found = _found(m, text, grammar, policy)
        except _UnreadableError:
            if is_range:  # "cut 12,000 to 10,000": not a range, but two figures
                yield from _find_within(m, text, grammar, policy)
            continue
        if found is not None:
            yield found


def _after_change(text: str, m: re.Match[str]) -> bool:
    """Whether the range ``m`` tells a change and where it ended, two figures: "from X
    to Y" right after a verb of change ("rose from 3,000 to 12,000"), or "X to Y" after
    one and "by" ("rose by 3,000 to 12,000"). "by X-Y" and "by X or Y" are the size of
    the change, a range; so is any where the second figure's scale, percent sign or
    currency word goes for both ("rose by 2 to 3 million", "by 2 to 3%", "by 10 to 15
    euros": taken alone, the first figure would be 2, or have no unit), a scale as
    :func:`_read_range` reads it ("from 900,000 to 1.2 million" is two figures)."""
    try:
        a, b = _figure_of(m, "a_"), _figure_of(m, "b_")
    except _UnreadableError:
        return False  # (refused as a range, and read figure by figure, anyway)
    if any(m.group("b_" + k) is not None and m.group("a_" + k) is None
           for k in ("pct", "curw")) or (
            a.scale == 1 and b.scale > 1 and a.value * b.scale <= b.value):
        return False
    start = m.start()
    word = _WORD_BEFORE.search(text, max(0, start - 24), start)
    if m.group("rkf") is None:
        if word is None or word.group(1).lower() != "by" or m.group("rd") is not None:
            return False
        a_end = max(m.end(g) for g in _FIGURE_GROUPS["a_"] if m.group(g) is not None)
        b_start = min(m.start(g) for g in ("b_h1", "b_h2", *_FIGURE_GROUPS["b_"])
                      if m.group(g) is not None)
        if _OR.search(text, a_end, b_start):  # (the joint, not a hedge: "more or less")
            return False
        word = _WORD_BEFORE.search(text, max(0, word.start() - 24), word.start())
    return word is not None and word.group(1).lower() in _CHANGE_VERBS


_OR = re.compile(r"(?<!\w)or(?!\w)", re.IGNORECASE)


def _find_within(
    outer: re.Match[str], text: str, grammar: _Grammar, policy: HedgePolicy
) -> Iterator[FoundQuantity]:
    """The single figures inside the span of ``outer``."""
    for m in grammar.single.finditer(text, outer.start(), outer.end()):
        try:
            found = _found(m, text, grammar, policy)
        except _UnreadableError:
            continue
        if found is not None:
            yield found


def _found(
    m: re.Match[str], text: str, grammar: _Grammar, policy: HedgePolicy
) -> FoundQuantity | None:
    """The figure matched by ``m``, or ``None`` when it is a year, a day or "one"."""
    reading = _read(m, grammar.vocabulary, policy)
    start, end = m.span()
    figures = reading.figures
    if any(_is_year(f) for f in figures):
        return None
    if figures and all(_is_day(f) for f in figures) and _next_to_month(text, start, end):
        return None
    if _norm(m.group()) == "one":  # "one of the", "in one audio": rarely a figure
        return None
    return FoundQuantity(start=start, end=end, phrase=m.group(),
                         quantity=_quantity(reading, reading.unit))


def find_quantities(
    text: str,
    *,
    policy: HedgePolicy | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> Iterator[FoundQuantity]:
    """Yield every hedged figure in a document, in order, with its span.

    Each :class:`FoundQuantity` holds the phrase as written (hedge words included,
    e.g. ``"up to about 15,000"``), its character span and what
    :func:`parse_quantity` makes of it: ``parse_quantity(found.phrase, policy=...) ==
    found.quantity``. Words after the figure are not taken as its unit (only a currency
    or a percent sign is), so the quantities carry no unit beyond those.

    Not taken for figures: years (a four-digit number from 1000 to 2199 written without
    a thousands separator, even when hedged: write "2,000" for a count), days of the
    month next to a month name ("April 28", "28 April"), ordinals ("28th"), numbers
    glued to letters, hyphens, slashes or colons ("F-16", "G7", "25-year-old",
    "2025-04-28", "24/7", "10:30"; "12,000-strong" is a figure), numbers after an
    unknown currency sign ("¥"), and the word "one" on its own. "from X to Y" is a range,
    except after a verb of change ("rose from 3,000 to 12,000", and "rose by 3,000 to
    12,000"), where each figure is yielded alone, as it is where one end is a
    percentage and the other a count ("rose 10% to 12,000"). Percentages are figures
    with the unit ``"%"``; a figure glued to "b" is no billion unless a currency sign
    comes first ("$3b"; "Phase 3b" is a label).

    >>> [f.phrase for f in find_quantities(
    ...     "On April 28, 2025, officials said around 14,000 troops, up from 3,000.")]
    ['around 14,000', '3,000']

    :param text: the document.
    :param policy: how wide hedged ranges are (default: ``HedgePolicy()``).
    :param plugin_manager: where extra :class:`Hedge` vocabulary comes from (default:
        the default plugin manager).
    :returns: an iterator of :class:`FoundQuantity`, in document order.
    :raises TypeError: ``text`` is not a string, or ``policy`` is not a
        :class:`HedgePolicy`.
    :raises PluginError: a plugin's ``claimrecon_hedges()`` failed, or two plugins
        define one hedge phrase differently.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_quantities expects a string (got {describe(text)})")
    return _find(text, _policy(policy), _extra_hedges(plugin_manager))
