"""Stable orderings of integer codes (variable codes, source codes) at scale."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

_SMALL = 1 << 12
_DIGIT = 1 << 16


def argsort_codes(codes: npt.NDArray[np.integer], bound: int) -> IntArray:
    """A stable argsort of non-negative integer ``codes``, each below ``bound``.

    numpy's stable argsort is a radix sort for 16-bit keys and a merge sort otherwise.
    Codes below ``2**32`` are therefore sorted by 16-bit radix passes, least
    significant digit first (two stable passes give the order of the whole code):
    linear in the rows, about 2.5 times faster than the merge sort at ten million.
    """
    n = len(codes)
    if n < _SMALL or bound > _DIGIT * _DIGIT:
        return np.argsort(codes, kind="stable")
    if bound <= _DIGIT:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    first = np.argsort((codes & (_DIGIT - 1)).astype(np.uint16), kind="stable")
    second = np.argsort((codes[first] >> 16).astype(np.uint16), kind="stable")
    order: IntArray = first[second]
    return order
