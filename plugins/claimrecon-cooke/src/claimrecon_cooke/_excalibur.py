"""Reading EXCALIBUR's ASCII files (``.dtt`` assessments, ``.rls`` realisations)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import claimrecon as cr

from ._model import DEFAULT_OVERSHOOT, CookeError, Panel

__all__ = ["Judgments", "Realisations", "evaluate_study", "read_dtt", "read_rls"]

#: EXCALIBUR's codes for "no answer" (in ``.dtt``) and "no realisation" (in ``.rls``).
MISSING_CODES = (-999.5, -999.6)

_HEADER = re.compile(r"NQ=\s*(\d+)\s+QU=\s*([\d\s.]+)$")
_SCALES = ("UNI", "LOG")


def _read_lines(path: str | os.PathLike[str]) -> list[str]:
    # The files are plain ASCII, with the odd Latin-1 character in question texts.
    return Path(path).read_text(encoding="latin-1").splitlines()


def _number(text: str, path: str | os.PathLike[str], line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise CookeError(f"{os.fspath(path)}, line {line}: expected a number, got "
                         f"{text!r}") from None


class Judgments(list[cr.Claim]):
    """The claims of an EXCALIBUR ``.dtt`` file (a list of :class:`claimrecon.Claim`),
    with what the file says about them.

    :ivar levels: the quantile probability levels, e.g. ``(0.05, 0.5, 0.95)``.
    :ivar scales: each item's scale, ``"uni"`` or ``"log"``; pass it as the ``scale``
        option of the ``cooke`` strategy.
    :ivar expert_ids: the expert ids, in file order.
    :ivar item_ids: the item ids, in file order.
    :ivar missing: ``(expert, item)`` pairs the file marks as not answered.
    :ivar path: the file read.
    """

    def __init__(
        self,
        claims: Iterable[cr.Claim],
        *,
        levels: tuple[float, ...],
        scales: Mapping[str, str],
        expert_ids: tuple[str, ...],
        item_ids: tuple[str, ...],
        missing: tuple[tuple[str, str], ...],
        path: str,
    ) -> None:
        super().__init__(claims)
        self.levels = levels
        self.scales = dict(scales)
        self.expert_ids = expert_ids
        self.item_ids = item_ids
        self.missing = missing
        self.path = path


class Realisations(dict[str, float]):
    """The realisations of an EXCALIBUR ``.rls`` file: item id -> realisation, for the
    items that have one (the seed items); pass it as ``truths=``.

    :ivar item_ids: every item id in the file, in file order (targets included).
    :ivar scales: each item's scale as the ``.rls`` file states it.
    :ivar path: the file read.
    """

    def __init__(
        self, values: Mapping[str, float], *, item_ids: tuple[str, ...],
        scales: Mapping[str, str], path: str,
    ) -> None:
        super().__init__(values)
        self.item_ids = item_ids
        self.scales = dict(scales)
        self.path = path


def read_dtt(path: str | os.PathLike[str]) -> Judgments:
    """Read an EXCALIBUR ``.dtt`` file: one claim per expert and item answered.

    The first line states the quantile levels (``NQ=  3  QU=  5  50  95``). Every other
    line is fixed-width: expert number (5 characters), expert id (9), item number (5),
    item id (15, may contain spaces), scale (``UNI``/``LOG``, 4), then the quantile
    values and the optional question text. A value of ``-999.5`` or ``-999.6`` marks a
    missing answer; such answers (also partly missing ones) give no claim and are
    listed in :attr:`Judgments.missing`.

    Each claim has ``variable`` = item id, ``source`` = a
    :class:`claimrecon.Source` with the expert id (kind ``"expert"``), and a quantity
    with ``quantiles`` = the (probability, value) pairs, ``lower`` and ``upper`` = the
    lowest and highest quantile, ``confidence`` = the probability between them (0.9
    for 5/50/95%) and ``value`` = the median when 50% is a level; the question text,
    if any, is the claim's ``quote``.

    :raises CookeError: a line that does not follow the format (names file and line).
    """
    lines = _read_lines(path)
    name = os.fspath(path)
    header = _HEADER.search(lines[0].strip()) if lines else None
    if header is None:
        raise CookeError(f"{name}, line 1: expected EXCALIBUR's header with NQ= and QU=")
    nq = int(header.group(1))
    percents = [float(x) for x in header.group(2).split()]
    if len(percents) != nq:
        raise CookeError(f"{name}, line 1: NQ={nq} but {len(percents)} levels follow QU=")
    levels = tuple(p / 100.0 for p in percents)
    sources: dict[str, cr.Source] = {}
    scales: dict[str, str] = {}
    items: dict[str, None] = {}
    claims: list[cr.Claim] = []
    missing: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    document = Path(path).name
    # The expert's probability that the truth lies between the outer quantiles.
    confidence = round(levels[-1] - levels[0], 12) if len(levels) > 1 else None
    for number, text in enumerate(lines[1:], start=2):
        if not text.strip():
            continue
        scale = text[34:38].strip().upper()
        expert, item = text[5:14].strip(), text[19:34].strip()
        if scale not in _SCALES or not expert or not item:
            raise CookeError(f"{name}, line {number}: expected expert no. and id, item no. "
                             "and id, and UNI or LOG in EXCALIBUR's fixed columns")
        fields = text[38:].split()
        if len(fields) < nq:
            raise CookeError(f"{name}, line {number}: expected {nq} quantile values")
        values = [_number(x, path, number) for x in fields[:nq]]
        question = " ".join(fields[nq:]) or None
        if (expert, item) in seen:
            raise CookeError(f"{name}, line {number}: expert {expert!r} answers item "
                             f"{item!r} a second time")
        seen.add((expert, item))
        if scales.setdefault(item, scale.lower()) != scale.lower():
            raise CookeError(f"{name}, line {number}: item {item!r} is {scale} here but "
                             f"{scales[item].upper()} before")
        items.setdefault(item)
        source = sources.setdefault(expert, cr.Source(id=expert, kind="expert"))
        if any(x in MISSING_CODES for x in values):
            missing.append((expert, item))
            continue
        median = values[levels.index(0.5)] if 0.5 in levels else None
        try:
            quantity = cr.Quantity(value=median, lower=values[0], upper=values[-1],
                                   confidence=confidence,
                                   quantiles=tuple(zip(levels, values, strict=True)))
        except cr.InvalidQuantityError as exc:
            raise CookeError(f"{name}, line {number}: {exc}") from None
        claims.append(cr.Claim(variable=item, source=source, quantity=quantity,
                               document=document, quote=question))
    return Judgments(claims, levels=levels, scales=scales, expert_ids=tuple(sources),
                     item_ids=tuple(items), missing=tuple(missing), path=name)


def read_rls(path: str | os.PathLike[str]) -> Realisations:
    """Read an EXCALIBUR ``.rls`` file: item number (5 characters), item id (15), the
    realisation, the scale and the question text on each line. A realisation of
    ``-999.5`` or ``-999.6`` means none (a target item).

    :raises CookeError: a line that does not follow the format (names file and line).
    """
    name = os.fspath(path)
    values: dict[str, float] = {}
    items: list[str] = []
    scales: dict[str, str] = {}
    for number, text in enumerate(_read_lines(path), start=1):
        if not text.strip():
            continue
        item = text[5:20].strip()
        fields = text[20:].split()
        if not item or len(fields) < 2 or fields[1].upper() not in _SCALES:
            raise CookeError(f"{name}, line {number}: expected item no. and id, the "
                             "realisation and UNI or LOG")
        if item in scales:
            raise CookeError(f"{name}, line {number}: item {item!r} appears twice")
        x = _number(fields[0], path, number)
        items.append(item)
        scales[item] = fields[1].lower()
        if x not in MISSING_CODES:
            values[item] = x
    return Realisations(values, item_ids=tuple(items), scales=scales, path=name)


def evaluate_study(
    dtt_path: str | os.PathLike[str],
    rls_path: str | os.PathLike[str],
    *,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> dict[str, dict[str, float]]:
    """Score a study as EXCALIBUR's summary does.

    Returns a mapping from decision maker (``equal``, ``global-nonopt``, ``global``,
    ``item``, ``best-expert``) to its ``calibration``, ``information`` (mean over the
    seed items) and ``combined`` (their product). The scale of each item is the one
    the ``.dtt`` file states; items are matched between the files by id.
    """
    judgments = read_dtt(dtt_path)
    truths = read_rls(rls_path)
    panel = Panel.from_claims(judgments, truths=truths, scale=judgments.scales,
                              overshoot=overshoot)
    return panel.scores()
