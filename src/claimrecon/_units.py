"""Unit conversion with pint (the ``units`` extra): convertible units are converted,
others stay an error."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._errors import InvalidQuantityError, UnitMismatchError
from ._quantity import as_quantiles
from ._table import ClaimTable, checked_columns

__all__ = ["convert_units", "have_pint"]


@functools.cache
def _registry() -> Any:
    import pint

    return pint.UnitRegistry()


def have_pint() -> bool:
    """Whether pint is installed."""
    try:
        import pint  # noqa: F401
    except ImportError:
        return False
    return True


def _factor_convert(x: npt.NDArray[np.float64], unit: str, target: str) -> npt.NDArray[np.float64]:
    ureg = _registry()
    out = x.copy()
    finite = np.isfinite(x)
    if finite.any():
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # (inf past
            converted = ureg.Quantity(x[finite], unit).to(target).magnitude  # the largest)
            at = ureg.Quantity(np.array([0.0, 1.0, 2.0]), unit).to(target).magnitude
        rounded = _significant(converted)
        # A conversion with an offset (degrees Celsius to Fahrenheit: linear, and 0 is
        # not 0) loses bits to the offset, not to the figure, so that figures near 0
        # keep fewer significant digits right: below 100 they go to ten decimals (a log
        # unit such as dBm, where 0 is not 0 either, is no offset: not linear).
        if at[0] != 0.0 and math.isclose(at[2] - at[1], at[1] - at[0], rel_tol=1e-9):
            small = np.abs(converted) < 100.0
            rounded[small] = np.round(converted[small], 10)
        out[finite] = rounded
    return out


def _significant(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``x`` to 13 significant digits: the last bits a conversion gets wrong (3 ft as
    0.9143999999999999 m; 10 °C as 49.999999999999936 °F, an offset losing more) would
    otherwise set a claim apart from one that states the same figure in the target
    unit. (Figures stated with more digits than that are rare; a conversion factor
    seldom has as many.)"""
    out = np.array(x, np.float64)
    at = np.flatnonzero(np.isfinite(out) & (out != 0))
    if len(at) == 0:
        return out
    v = out[at]
    digits = 12 - np.floor(np.log10(np.abs(v))).astype(np.int64)
    exact = (digits >= 0) & (digits <= 22)  # 10**digits a float exactly: one rounding
    scale = 10.0 ** digits[exact]
    out[at[exact]] = np.round(v[exact] * scale) / scale
    for i in at[~exact].tolist():  # (figures below 1e-10 or of 1e13 and more)
        rounded = float(f"{out[i]:.13g}")
        if math.isfinite(rounded):  # (the largest floats round up past it)
            out[i] = rounded
    return out


def figures_in(lower: float | None, value: float | None, upper: float | None, unit: str,
               target: str) -> tuple[float | None, float | None, float | None]:
    """A claim's figures (``None``: not given, or unbounded) in ``target``, converted as
    the engine converts them (for charts and reports, which draw every claim on the
    estimate's scale).

    :raises UnitMismatchError: the units cannot be converted into one another."""
    why = _not_converted([unit, target])
    if why is not None or not have_pint():
        raise UnitMismatchError(f"cannot convert {unit!r} to {target!r}{why or ''}",
                                units=(unit, target))
    stated = np.array([np.nan if x is None else x for x in (lower, value, upper)])
    try:
        lo, v, up = _factor_convert(stated, unit, target).tolist()
    except Exception:  # pint's parser raises many kinds for text it cannot read
        raise UnitMismatchError(f"cannot convert {unit!r} to {target!r}",
                                units=(unit, target)) from None
    if lo == lo and up == up and lo > up:  # a conversion that reverses the order
        lo, up = up, lo
    return (None if lo != lo else lo, None if v != v else v, None if up != up else up)


def _convert_quantiles(quantiles: list[Any], sel: npt.NDArray[np.int64], unit: str,
                       target: str) -> None:
    """Convert the quantiles of rows ``sel`` (stated in ``unit``) to ``target`` in place.
    A conversion that reverses the order turns the ``p`` quantile into the ``1 - p``
    quantile. Raises InvalidQuantityError where the result is no valid quantiles (a
    value past the largest float)."""
    stated = [(i, quantiles[i]) for i in sel.tolist() if quantiles[i] is not None]
    if not stated:
        return
    one, two = _factor_convert(np.array([1.0, 2.0]), unit, target).tolist()
    flat = np.array([v for _, pairs in stated for _, v in pairs], np.float64)
    new = _factor_convert(flat, unit, target).tolist()
    at = 0
    for i, pairs in stated:
        values = new[at:at + len(pairs)]
        at += len(pairs)
        quantiles[i] = as_quantiles([(1.0 - p if two < one else p, v)
                                     for (p, _), v in zip(pairs, values, strict=True)])


#: Unit texts that reports use in another sense than pint reads them in (as written:
#: "K" is kelvin, "Mt" megatonnes, as pint reads them): converted, they would give wrong
#: figures ("5,000 mt" as five kilograms, 50 basis points as 50 percentage points), so
#: claims stating them are never converted.
_NOT_CONVERTED = {
    "mt": "metric tonnes (pint: millitonnes)",
    "MT": "metric tonnes (pint: megatesla)",
    "bp": "basis points (pint: a printer's point)",
    "bps": "basis points (pint: baud)",
    "pp": "percentage points (pint: a printer's point)",
    "PP": "percentage points (pint: petapoise)",
    "pct": "percent (pint: picocarats)",
    "Pct": "percent (pint: petacarats)",
    "kt": "kilotonnes (pint: knots)",
    "rs": "rupees (pint: rontoseconds)",
    "Rs": "rupees (pint: ronnaseconds)",
    "RS": "rupees (pint: ronnasiemens)",
    "units": "a count (pint: micronits)",
    "k": "thousands (pint: Boltzmann's constant)",
}


def _not_converted(units: Sequence[str]) -> str | None:
    """Why the first of ``units`` that is never converted is not, if one is."""
    for u in units:
        meaning = _NOT_CONVERTED.get(u.strip())
        if meaning is not None:
            return (f" ({u!r} is not converted: in reports it usually means {meaning}; "
                    "state the unit in words)")
    return None


def _target(codes: npt.NDArray[np.int64], units: Sequence[str]) -> int:
    """The code of the unit most of ``codes`` state (ties: the first by name)."""
    counts = np.bincount(codes, minlength=len(units))
    most = np.flatnonzero(counts == counts.max()).tolist()
    return int(min(most, key=units.__getitem__))


def convert_units(
    table: ClaimTable, seg_code: npt.NDArray[np.int64], segments: Sequence[int]
) -> tuple[ClaimTable, dict[int, str]]:
    """Convert the claims of ``segments`` (variables whose claims state different
    units) to the unit that most of their claims state (ties: the first unit in
    alphabetical order; never the order of the claims), where pint can.

    :returns: the table with converted figures (for the computation only: the
        account of each estimate shows the claims as stated), and the segments that
        could not be converted, each with why ("" when pint cannot convert the units
        into one another).
    """
    if not have_pint():
        return table, dict.fromkeys(segments, "")
    lower, value, upper = table.lower.copy(), table.value.copy(), table.upper.copy()
    unit = table.unit.copy()
    quantiles = None if table.quantiles is None else list(table.quantiles)
    failed: dict[int, str] = {}
    for k in segments:
        rows = np.flatnonzero(seg_code == k)
        codes = table.unit[rows]
        target_code = _target(codes[codes >= 0], table.units)
        target = table.units[target_code]
        why = _not_converted([table.units[c] for c in sorted(set(codes[codes >= 0].tolist()))])
        if why is not None:
            failed[k] = why
            continue
        try:
            for code in sorted(set(codes[codes >= 0].tolist()) - {target_code}):
                sel = rows[codes == code]
                for col in (lower, value, upper):
                    col[sel] = _factor_convert(col[sel], table.units[code], target)
                # a conversion that reverses the order (a negative factor) swaps sides
                lo, up = lower[sel], upper[sel]
                lower[sel], upper[sel] = np.minimum(lo, up), np.maximum(lo, up)
                if quantiles is not None:
                    _convert_quantiles(quantiles, sel, table.units[code], target)
                unit[sel] = target_code
        except InvalidQuantityError as exc:  # converted quantiles that are no quantiles
            failed[k] = f" (in {target!r} its quantiles would be invalid: {exc})"
        except Exception:  # pint's parser raises many kinds for text it cannot read
            failed[k] = ""
        else:
            was = (table.lower[rows], table.value[rows], table.upper[rows])
            if any(np.any(np.isfinite(a) & ~np.isfinite(b[rows]))
                   for a, b in zip(was, (lower, value, upper), strict=True)):
                failed[k] = f" (in {target!r} a figure is past the largest float)"
            else:
                continue
        lower[rows], value[rows], upper[rows] = (
            table.lower[rows], table.value[rows], table.upper[rows])
        unit[rows] = table.unit[rows]
        if quantiles is not None:
            for i in rows.tolist():
                quantiles[i] = table.quantiles[i]  # type: ignore[index]
    with checked_columns():  # a checked table, its units converted
        converted = ClaimTable(
            variable=table.variable, variables=table.variables, source=table.source,
            sources=table.sources, lower=lower, value=value, upper=upper, unit=unit,
            units=table.units, confidence=table.confidence, weight=table.weight,
            as_of=table.as_of, published=table.published, via=table.via,
            document=table.document, quote=table.quote, phrase=table.phrase,
            quantiles=quantiles,  # (no Claim objects: a function-style strategy gets its
            # claims built from the converted figures; accounts show the claims as stated)
        )
    converted._positions, converted._shares = table._positions, table._shares
    return converted, failed
