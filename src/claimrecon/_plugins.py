"""The plugin host: building the manager, finding strategies, calling hooks safely."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
import warnings
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pluggy

from . import hookspecs
from ._errors import AmbiguousStrategyError, PluginError, UnknownStrategyError, describe
from ._strategy import Strategy

if TYPE_CHECKING:
    from ._hedges import Hedge
    from ._table import ClaimTable

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "PluginWarning",
    "StrategyInfo",
    "get_plugin_manager",
    "get_strategy",
    "hookimpl",
    "list_strategies",
    "make_plugin_manager",
    "register",
]

#: The marker plugin authors put on their hook implementations.
hookimpl = pluggy.HookimplMarker("claimrecon")

#: The entry-point group that installed plugins publish themselves under.
ENTRY_POINT_GROUP = "claimrecon"

#: The built-in plugin modules, registered exactly like third-party plugins.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "claimrecon._strategies.range",
    "claimrecon._strategies.intersection",
    "claimrecon._strategies.weighted",
    "claimrecon._strategies.median",
    "claimrecon._strategies.recency",
    "claimrecon._strategies.crh",
    "claimrecon._strategies.catd",
    "claimrecon._strategies.truthfinder",
)

DISABLE_ENV = "CLAIMRECON_DISABLE_PLUGINS"
NO_AUTOLOAD_ENV = "CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD"


class PluginWarning(UserWarning):
    """A plugin could not be loaded or validated and was left out; the rest work."""


def _blocked_names() -> list[str]:
    return [n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()]


def _register_checked(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        warnings.warn(f"claimrecon plugin {name!r} left out: {exc}", PluginWarning, stacklevel=3)


def make_plugin_manager() -> pluggy.PluginManager:
    """Build a fresh plugin manager: the hook specs, then names blocked by
    ``CLAIMRECON_DISABLE_PLUGINS=a,b``, then the built-in plugins, then the
    ``claimrecon`` entry points (unless ``CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD=1``), then
    a check that every hook implementation matches a spec.

    A plugin that fails to import or to validate is left out with a
    :class:`PluginWarning`; the others still load.

    :returns: a new :class:`pluggy.PluginManager`; tests and embedding applications
        pass it as ``plugin_manager=``.
    """
    pm = pluggy.PluginManager("claimrecon")
    pm.add_hookspecs(hookspecs)
    for name in _blocked_names():
        pm.set_blocked(name)
    for modname in BUILTIN_PLUGINS:
        if pm.is_blocked(modname):
            continue
        _register_checked(pm, importlib.import_module(modname), modname)
    if os.environ.get(NO_AUTOLOAD_ENV, "") not in ("1", "true", "yes"):
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # one bad plugin never breaks the rest
                warnings.warn(
                    f"claimrecon plugin {ep.name!r} ({ep.value}) failed to load and was "
                    f"left out: {type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=2,
                )
                continue
            _register_checked(pm, plugin, ep.name)
    while True:
        try:
            pm.check_pending()
            break
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or repr(exc.plugin)
            pm.unregister(exc.plugin)
            warnings.warn(f"claimrecon plugin {name!r} left out: {exc}", PluginWarning,
                          stacklevel=2)
    return pm


_default: pluggy.PluginManager | None = None
_lock = threading.Lock()


def get_plugin_manager() -> pluggy.PluginManager:
    """The default plugin manager, built by :func:`make_plugin_manager` on first use
    and cached."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = make_plugin_manager()
    return _default


def register(
    plugin: object, *, name: str | None = None, plugin_manager: pluggy.PluginManager | None = None
) -> str:
    """Register a plugin at run time (in a notebook, a test, an application).

    :param plugin: a module, class or object with ``@hookimpl`` functions.
    :param name: the name to register it under (default: pluggy's choice).
    :param plugin_manager: where to register it (default: :func:`get_plugin_manager`).
    :returns: the name it was registered under; ``unregister`` it on the manager with
        that name to take it out again.
    :raises PluginError: the plugin's hooks do not match the specs, the name is blocked
        or taken, or the plugin is registered already.
    """
    pm = plugin_manager or get_plugin_manager()
    # (pluggy refuses both with a bare ValueError)
    if pm.is_registered(plugin):
        raise PluginError(
            f"this plugin is registered already, as {pm.get_name(plugin)!r}; unregister "
            "it first to register it again",
            plugin=name or repr(plugin), hook="register",
        )
    wanted = name or pm.get_canonical_name(plugin)
    if pm.has_plugin(wanted):
        raise PluginError(
            f"a plugin is registered already under the name {wanted!r} "
            f"({pm.get_plugin(wanted)!r}); unregister it first, or choose another name",
            plugin=wanted, hook="register",
        )
    try:
        registered = pm.register(plugin, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        raise PluginError(str(exc), plugin=name or repr(plugin), hook="register") from exc
    if registered is None:
        raise PluginError(
            "the name is blocked (CLAIMRECON_DISABLE_PLUGINS)",
            plugin=name or repr(plugin),
            hook="register",
        )
    return registered


# -- strategies -------------------------------------------------------------------------


_STRATEGIES_HOOK = "claimrecon_strategies"


@attrs.frozen
class StrategyInfo:
    """A strategy with the name of the plugin that provides it.

    :param name: the strategy's name.
    :param plugin: the registered name of the plugin that provides it.
    :param strategy: the strategy.
    """

    name: str
    plugin: str
    strategy: Strategy


@attrs.frozen
class _Registry:
    key: tuple[Any, ...]
    by_name: dict[str, list[StrategyInfo]]
    # Each plugin whose strategies hook failed: what went wrong, and what it raised.
    broken: dict[str, tuple[str, Exception | None]]


_registries: weakref.WeakKeyDictionary[pluggy.PluginManager, _Registry] = (
    weakref.WeakKeyDictionary()
)


def _registry(pm: pluggy.PluginManager) -> _Registry:
    impls = pm.hook.claimrecon_strategies.get_hookimpls()
    key = tuple(impls)  # HookImpl objects compare by identity
    reg = _registries.get(pm)
    if reg is not None and reg.key == key:
        return reg
    by_name: dict[str, list[StrategyInfo]] = {}
    broken: dict[str, tuple[str, Exception | None]] = {}
    for impl in _answering(impls, _STRATEGIES_HOOK, broken):  # registration order
        try:
            results = _answers(impls, impl)
        except Exception as exc:
            broken[impl.plugin_name] = (f"raised {type(exc).__name__}: {exc}", exc)
            continue
        malformed = [r for r in results or [None] if not _list_of(r, Strategy)]
        if malformed:
            broken[impl.plugin_name] = (
                f"must return a list of claimrecon.Strategy (got {describe(malformed[0])})",
                None)
            continue
        mine = [s for r in results for s in r]
        twice = next((s.name for i, s in enumerate(mine)
                      if any(t.name == s.name for t in mine[:i])), None)
        if twice is not None:  # (blocking one plugin of two cannot settle this)
            broken[impl.plugin_name] = (f"provides the strategy {twice!r} twice", None)
            continue
        for s in mine:
            by_name.setdefault(s.name, []).append(StrategyInfo(s.name, impl.plugin_name, s))
    reg = _Registry(key, by_name, broken)
    _registries[pm] = reg
    return reg


def list_strategies(
    *, plugin_manager: pluggy.PluginManager | None = None
) -> list[StrategyInfo]:
    """Every strategy the plugins provide, by name, clashes included (a name provided
    twice appears twice).

    :param plugin_manager: default :func:`get_plugin_manager`.
    """
    reg = _registry(plugin_manager or get_plugin_manager())
    return [info for name in sorted(reg.by_name) for info in reg.by_name[name]]


def broken_plugins(pm: pluggy.PluginManager | None = None) -> dict[str, PluginError]:
    """Plugins whose ``claimrecon_strategies`` hook failed, with the error (chained to
    what the hook raised, if it raised)."""
    out = {}
    for plugin, (what, cause) in _registry(pm or get_plugin_manager()).broken.items():
        err = out[plugin] = PluginError(what, plugin=plugin, hook=_STRATEGIES_HOOK)
        err.__cause__ = cause
    return out


def get_strategy(
    name: str, *, plugin_manager: pluggy.PluginManager | None = None
) -> Strategy:
    """The strategy called ``name``.

    :raises UnknownStrategyError: no plugin provides it (lists those that exist).
    :raises AmbiguousStrategyError: two plugins provide it (names both).
    :raises PluginError: no plugin provides it, and a plugin failed to list its
        strategies (it may be that plugin's): names the plugin, chained to what it
        raised.
    """
    pm = plugin_manager or get_plugin_manager()
    return strategy_info(name, pm).strategy


def strategy_info(name: str, pm: pluggy.PluginManager) -> StrategyInfo:
    """The strategy called ``name`` with its provider (see :func:`get_strategy`)."""
    reg = _registry(pm)
    found = reg.by_name.get(name)
    if not found:
        if not reg.broken:
            raise UnknownStrategyError(name, reg.by_name)
        # The name may be one a plugin that failed would have provided: its error,
        # not "unknown", tells the user what to fix.
        (plugin, (what, cause)), *others = reg.broken.items()
        listing = ", ".join(sorted(reg.by_name)) or "none"
        err = PluginError(
            f"could not list its strategies ({what}), so strategy {name!r} may be one of "
            f"them; the strategies available: {listing}",
            plugin=plugin, hook=_STRATEGIES_HOOK, strategy=name,
        )
        for other, (why, _) in others:
            err.add_note(f"plugin {other!r} could not list its strategies either: {why}")
        raise err from cause
    if len(found) > 1:
        raise AmbiguousStrategyError(name, [i.plugin for i in found])
    return found[0]


# -- other hooks ---------------------------------------------------------------------------


def claim_weights(
    pm: pluggy.PluginManager, table: ClaimTable
) -> tuple[list[npt.NDArray[np.float64]], list[tuple[str, npt.NDArray[np.bool_]]]]:
    """Every weight hook's answer (hooks that answer ``None`` left out), and for each
    plugin the rows it zeroed.

    :raises PluginError: a plugin raised or returned something malformed.
    """
    impls = pm.hook.claimrecon_claim_weights.get_hookimpls()
    answers: list[npt.NDArray[np.float64]] = []
    zeroed: list[tuple[str, npt.NDArray[np.bool_]]] = []
    if not impls:
        return answers, zeroed
    n = len(table)
    hook = "claimrecon_claim_weights"
    for impl in _answering(impls, hook):
        for answer in _checked_answers(hook, impls, impl, table=table):
            answers.append(_weights(answer, n, impl.plugin_name))
            zero = answers[-1] == 0
            if zero.any():
                zeroed.append((impl.plugin_name, zero))
    return answers, zeroed


def _weights(answer: object, n: int, plugin: str) -> npt.NDArray[np.float64]:
    """A weight hook's answer as ``n`` weights, checked."""
    hook = "claimrecon_claim_weights"
    try:
        w = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"must return an array of floats or None (got {describe(answer)})",
                          plugin=plugin, hook=hook) from exc
    if w.shape != (n,):
        raise PluginError(
            f"must return one weight per claim, shape ({n},) (got shape {w.shape})",
            plugin=plugin, hook=hook,
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise PluginError("returned a weight that is negative, NaN or infinite",
                          plugin=plugin, hook=hook)
    return w


def hedges_from(plugin_manager: pluggy.PluginManager | None = None) -> list[Hedge]:
    """Every extra :class:`~claimrecon.Hedge` that plugins provide.

    :raises PluginError: a plugin raised, returned something that is not a list of
        Hedge objects, or defines a phrase that it or another plugin defines otherwise.
    """
    from ._hedges import Hedge, _norm, same_hedge

    pm = plugin_manager or get_plugin_manager()
    out: list[Hedge] = []
    hook = "claimrecon_hedges"
    impls = pm.hook.claimrecon_hedges.get_hookimpls()
    defined: dict[str, tuple[Hedge, str]] = {}  # each phrase: its hedge and the plugin
    for impl in _answering(impls, hook):
        for answer in _checked_answers(hook, impls, impl) or [None]:
            if not _list_of(answer, Hedge):
                raise PluginError(
                    f"must return a list of claimrecon.Hedge (got {describe(answer)})",
                    plugin=impl.plugin_name, hook=hook,
                )
            for h in answer:
                seen, by = defined.setdefault(_norm(h.phrase), (h, impl.plugin_name))
                if not same_hedge(seen, h):
                    raise PluginError(
                        f"defines the hedge {h.phrase!r} as {h!r}, which "
                        + ("it" if by == impl.plugin_name else f"plugin {by!r}")
                        + f" defines as {seen!r}", plugin=impl.plugin_name, hook=hook)
            out.extend(answer)
    return out


_NO_WRAPPERS = ("is a hook wrapper, which claimrecon does not run: it calls each plugin's "
                "implementation on its own, so that an answer, or an error, is that plugin's")


def _answering(impls: Sequence[pluggy.HookImpl], hook: str,
               broken: dict[str, tuple[str, Exception | None]] | None = None,
               ) -> list[pluggy.HookImpl]:
    """The first implementation of each plugin that answers ``hook``, in the hook's
    order. A wrapper (``hookimpl(wrapper=True)`` or ``hookwrapper=True``) is a plugin
    error: recorded in ``broken`` if given, else raised."""
    seen: set[str] = set()
    out = []
    for impl in impls:
        if impl.hookwrapper or impl.wrapper:
            if broken is None:
                raise PluginError(_NO_WRAPPERS, plugin=impl.plugin_name, hook=hook)
            broken[impl.plugin_name] = (_NO_WRAPPERS, None)
        elif impl.plugin_name not in seen:
            seen.add(impl.plugin_name)
            out.append(impl)
    return [impl for impl in out if broken is None or impl.plugin_name not in broken]


def _answers(impls: Sequence[pluggy.HookImpl], impl: pluggy.HookImpl,
             **kwargs: Any) -> list[Any]:
    """The answers of ``impl``'s plugin to the hook (``None`` left out), from each of its
    implementations, called as pluggy calls them (in its order, each with the
    arguments it names, keyword arguments with defaults too) but one plugin at a time:
    an answer, or an error, is then that plugin's."""
    answers = []
    for i in reversed(impls):
        if i.plugin is impl.plugin and not (i.hookwrapper or i.wrapper):
            named = {k: kwargs[k] for k in i.kwargnames if k in kwargs}
            answer = i.function(*(kwargs[k] for k in i.argnames), **named)
            if answer is not None:
                answers.append(answer)
    return answers


def _checked_answers(hook: str, impls: Sequence[pluggy.HookImpl], impl: pluggy.HookImpl,
                     **kwargs: Any) -> list[Any]:
    """:func:`_answers`, where an exception is a :class:`PluginError` naming the plugin."""
    try:
        return _answers(impls, impl, **kwargs)
    except Exception as exc:
        raise PluginError(
            f"raised {type(exc).__name__}: {exc}", plugin=impl.plugin_name, hook=hook
        ) from exc


def _list_of(x: object, kind: type) -> bool:
    return isinstance(x, (list, tuple)) and all(isinstance(i, kind) for i in x)


def plugin_names(pm: pluggy.PluginManager | None = None) -> Sequence[str]:
    """The names of the registered plugins, in registration order."""
    pm = pm or get_plugin_manager()
    return [name for name, _ in pm.list_name_plugin()]
