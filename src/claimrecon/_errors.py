"""The public errors of claimrecon.

Every error derives from :class:`ClaimreconError` and, where it fits, from a builtin
exception too, so ``except ValueError`` keeps working for callers who do not know
claimrecon. Messages say what was expected, what came, and where; the data is kept on
attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "AmbiguousStrategyError",
    "ClaimFileError",
    "ClaimreconError",
    "EmptyInputError",
    "HedgeParseError",
    "InconsistentSourceError",
    "InvalidClaimError",
    "InvalidQuantityError",
    "InvalidSourceError",
    "MixedVariablesError",
    "NoUsableClaimsError",
    "PluginError",
    "UnitMismatchError",
    "UnknownStrategyError",
    "UnsupportedStrategyError",
]


class ClaimreconError(Exception):
    """The base class of every error claimrecon raises on purpose.

    Every one pickles with its message, attributes and notes (an error held in
    :attr:`Estimates.errors <claimrecon.Estimates.errors>` can go to another process),
    though most take keyword arguments that pickle's default way of rebuilding an
    exception, calling the class with its ``args``, would not pass.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


def _rebuilt(cls: type[ClaimreconError], args: tuple[Any, ...],
             state: dict[str, Any]) -> ClaimreconError:
    """An error of class ``cls`` with these ``args`` and attributes, made without its
    ``__init__`` (for :meth:`ClaimreconError.__reduce__`)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidQuantityError(ClaimreconError, ValueError):
    """A quantity that cannot stand: NaN, an infinity, ``lower > upper``, a value
    outside its own range, or no number at all."""


class EmptyInputError(ClaimreconError, ValueError):
    """No claims were given where at least one is needed."""


class MixedVariablesError(ClaimreconError, ValueError):
    """:func:`~claimrecon.reconcile` was given claims about several variables.

    :ivar variables: the distinct variables found, in input order.
    """

    def __init__(self, message: str, *, variables: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.variables = tuple(variables)


class NoUsableClaimsError(ClaimreconError, ValueError):
    """Every claim of a variable was excluded, so there is nothing to reconcile.

    :ivar variable: the variable concerned.
    :ivar reasons: the exclusion reason of each claim, in input order.
    """

    def __init__(
        self, message: str, *, variable: object = None, reasons: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.variable = variable
        self.reasons = tuple(reasons)


class InconsistentSourceError(ClaimreconError, ValueError):
    """One source id was given two different definitions in one call.

    :ivar source_id: the id concerned.
    """

    def __init__(self, message: str, *, source_id: str = "") -> None:
        super().__init__(message)
        self.source_id = source_id


class InvalidSourceError(ClaimreconError, ValueError):
    """A source with an empty id or a reliability outside (0, 1]."""


class InvalidClaimError(ClaimreconError, TypeError):
    """A non-Claim object where a Claim belongs, or a field of the wrong type."""


class UnitMismatchError(ClaimreconError, TypeError):
    """Claims of one variable state units that cannot be reconciled.

    A claim without a unit goes with any. With the ``units`` extra (pint) installed,
    units that pint converts into one another are converted, to the unit most of the
    variable's claims state (ties: the first by name), and the converted figures are
    rounded to 13 significant digits (figures below 100 to ten decimals where the
    conversion has an offset, as degrees do), so that 3 ft and 0.9144 m agree; the
    estimate's
    account shows each claim as stated. A few unit texts that reports use in another
    sense than pint reads them in are never converted, as written (``K`` is kelvin and
    ``Mt`` megatonnes, as pint reads them): ``mt`` and ``MT`` (metric tonnes; pint:
    millitonnes, megatesla), ``bp``/``bps`` (basis points), ``pp``/``PP`` (percentage
    points), ``pct``, ``kt`` (kilotonnes; pint: knots), ``rs``/``Rs``/``RS`` (rupees),
    ``units`` and ``k``.

    :ivar variable: the variable concerned.
    :ivar units: the distinct units found.
    """

    def __init__(
        self, message: str, *, variable: object = None, units: Iterable[str] = ()
    ) -> None:
        super().__init__(message)
        self.variable = variable
        self.units = tuple(units)


class UnknownStrategyError(ClaimreconError, LookupError):
    """No installed plugin provides the strategy asked for (where a plugin failed to
    list its strategies, a :class:`PluginError` naming it is raised instead: the name
    may be that plugin's).

    :ivar name: the name asked for.
    :ivar available: the names that are available.
    """

    def __init__(self, name: str, available: Iterable[str]) -> None:
        self.name = name
        self.available = tuple(sorted(available))
        listing = ", ".join(self.available) or "none"
        super().__init__(f"unknown strategy {name!r}; available strategies: {listing}")

    def __str__(self) -> str:  # LookupError would repr() the message otherwise
        return str(self.args[0])


class UnsupportedStrategyError(ClaimreconError, NotImplementedError):
    """A strategy that cannot run the way it was asked to: on Dask partitions, a
    strategy that learns across variables and has no Dask reduction (the built-in
    truth discovery has one; a plugin's learner may not).

    :ivar strategy: the strategy concerned.
    """

    def __init__(self, message: str, *, strategy: str = "") -> None:
        super().__init__(message)
        self.strategy = strategy


class AmbiguousStrategyError(ClaimreconError, LookupError):
    """Two or more plugins provide a strategy of the same name.

    :ivar name: the name asked for.
    :ivar providers: the names of the plugins that provide it.
    """

    def __init__(self, name: str, providers: Iterable[str]) -> None:
        self.name = name
        self.providers = tuple(providers)
        super().__init__(
            f"strategy {name!r} is provided by several plugins: "
            + ", ".join(self.providers)
            + "; block all but one with CLAIMRECON_DISABLE_PLUGINS or unregister it"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class PluginError(ClaimreconError, RuntimeError):
    """A plugin raised, or returned something malformed.

    :ivar plugin: the plugin's registered name.
    :ivar hook: the hook or call concerned.
    :ivar strategy: the strategy concerned, if any.
    """

    def __init__(
        self, message: str, *, plugin: str, hook: str, strategy: str | None = None
    ) -> None:
        where = f"plugin {plugin!r}, hook {hook!r}"
        if strategy is not None:
            where += f", strategy {strategy!r}"
        super().__init__(f"{where}: {message}")
        self.plugin = plugin
        self.hook = hook
        self.strategy = strategy


class ClaimFileError(ClaimreconError, ValueError):
    """A claims file or frame that cannot be read as claims.

    The message names the file, the place ("line N" in CSV and JSON Lines, the physical
    1-based line with the header as line 1; "row N" in Parquet and frames, 0-based) and
    the column. When several rows are bad, the error names the first, carries a note per
    further row (:meth:`BaseException.add_note`), and keeps them all in
    :attr:`problems`.

    :ivar path: the file (``None`` for a frame).
    :ivar location: for example ``"line 3"`` or ``"row 2"``.
    :ivar column: the column concerned, if any.
    :ivar problems: every problem found, as ``(location, column, message)`` triples.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        location: str | None = None,
        column: str | None = None,
        problems: Sequence[tuple[str | None, str | None, str]] = (),
    ) -> None:
        self.path = path
        self.location = location
        self.column = column
        self.problems = tuple(problems) or ((location, column, message),)
        super().__init__(self.format(path, location, column, message))

    @staticmethod
    def format(
        path: str | None, location: str | None, column: str | None, message: str
    ) -> str:
        """Join a file, a place, a column and a message into one line."""
        parts = [p for p in (path, location) if p]
        if column:
            parts.append(f"column {column!r}")
        return ": ".join([", ".join(parts), message]) if parts else message


class HedgeParseError(ClaimreconError, ValueError):
    """Text that is not wholly one hedged figure.

    :ivar text: the text that was given.
    """

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.text = text


def describe(value: Any) -> str:
    """A short description of an unexpected value for error messages."""
    r = repr(value)
    if len(r) > 60:
        r = r[:57] + "..."
    return f"{r} of type {type(value).__name__}"
