"""The hooks a claimrecon plugin can implement.

A plugin is any module or object with functions named after these hooks and marked
with :data:`claimrecon.hookimpl`. Register it at run time with
:func:`claimrecon.register`, or publish it under the ``claimrecon`` entry-point group
so it loads by itself. Call sites pass every argument by keyword; as pluggy allows, an
implementation may take only some of them.

claimrecon calls each plugin's implementations on their own, as pluggy would call them
(in pluggy's order, each given the arguments it names), so that an answer, or an error,
is that plugin's. Hook wrappers (``hookimpl(wrapper=True)`` or ``hookwrapper=True``)
are not run: a plugin that wraps one of these hooks is a failing plugin
(:class:`~claimrecon.PluginError`), as is one whose implementation raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ._hedges import Hedge
    from ._strategy import Strategy
    from ._table import ClaimTable

__all__ = ["claimrecon_claim_weights", "claimrecon_hedges", "claimrecon_strategies"]

#: The marker for hook specifications (used by this module only).
hookspec = pluggy.HookspecMarker("claimrecon")


@hookspec
def claimrecon_strategies() -> list[Strategy]:
    """Return the reconciliation strategies this plugin provides.

    Called once per plugin manager and cached until the set of plugins changes. Every
    plugin's list is collected; a name provided by two plugins can only be used once
    one of them is blocked or unregistered.

    :returns: a list of :class:`claimrecon.Strategy` objects (an empty list for none).

    Example::

        @claimrecon.hookimpl
        def claimrecon_strategies():
            return [claimrecon.Strategy(name="trimmed", summary="...", function=trimmed)]
    """
    raise NotImplementedError  # pragma: no cover - a specification, never called


@hookspec
def claimrecon_claim_weights(table: ClaimTable) -> npt.NDArray[np.float64] | None:
    """Return a weight multiplier for every claim of ``table``, or ``None`` to abstain.

    Called once per batch, never per claim: a pluggy call costs about a microsecond,
    which would dominate at ten million claims. The answers of all plugins multiply
    with each claim's source reliability and row weight. A weight of ``0`` excludes the
    claim with the reason "weight 0 from plugin <name>".

    :param table: every claim of the call, as columns.
    :returns: an array of ``len(table)`` finite, non-negative floats, or ``None``.
    """
    raise NotImplementedError  # pragma: no cover


@hookspec
def claimrecon_hedges() -> list[Hedge]:
    """Return extra hedge vocabulary for :func:`claimrecon.parse_quantity`.

    Lets a plugin teach the parser another language or a domain's phrasing ("rund",
    "environ", "north of"). Every plugin's list is collected and added to the
    built-in vocabulary.

    :returns: a list of :class:`claimrecon.Hedge` objects.
    """
    raise NotImplementedError  # pragma: no cover
