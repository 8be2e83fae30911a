"""The plugin host (registration, blocking, clashes and failing plugins) and the contract kit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np
import pluggy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import claimrecon as cr
from claimrecon._plugins import broken_plugins
from claimrecon.testing import check_strategy, claim_lists, quantities


def claims() -> list[cr.Claim]:
    return [cr.Claim(variable="v", source=cr.Source(id=s), quantity=cr.Quantity(value=x))
            for s, x in (("a", 1.0), ("b", 2.0), ("c", 9.0))]


def trimmed(claims: Sequence[cr.Claim], weights: np.ndarray, *, trim: int = 1) -> cr.Outcome:
    """Drop the ``trim`` lowest and highest values, average the rest."""
    values = [c.quantity.value for c in claims]
    if any(v is None for v in values):
        raise ValueError("trimmed needs a value in every claim")
    order = sorted(range(len(claims)), key=lambda i: values[i] or 0.0)
    if len(claims) <= 2 * trim:
        keep = order
    else:
        keep = order[trim : len(order) - trim]
    vals = [claims[i].quantity.value or 0.0 for i in keep]
    v = sum(vals) / len(vals)
    excluded = {i: "trimmed" for i in range(len(claims)) if i not in keep}
    return cr.Outcome(lower=min(vals), value=v, upper=max(vals), excluded=excluded)


class TrimmedPlugin:
    @cr.hookimpl
    def claimrecon_strategies(self) -> list[cr.Strategy]:
        return [cr.Strategy(name="trimmed", summary="Trimmed mean of point values.",
                            function=trimmed, options={"trim": 1},
                            properties={"accounts_for_all", "within_envelope"})]


def test_a_registered_function_strategy_is_used_by_name(pm: pluggy.PluginManager) -> None:
    cr.register(TrimmedPlugin(), name="trimmed-plugin", plugin_manager=pm)
    e = cr.reconcile(claims(), "trimmed", plugin_manager=pm)
    assert e.value == 2.0 and e.strategy == "trimmed"
    assert sorted(x.reason for x in e.excluded) == ["trimmed", "trimmed"]
    assert cr.reconcile(claims(), "trimmed", plugin_manager=pm, trim=0).value == 4.0


def test_the_contract_kit_passes_a_good_plugin_strategy(pm: pluggy.PluginManager) -> None:
    cr.register(TrimmedPlugin(), name="trimmed-plugin", plugin_manager=pm)

    def points(**kw: object) -> object:
        from claimrecon.testing import claim_lists, quantities

        return claim_lists(quantity=quantities().filter(lambda q: q.value is not None), **kw)

    check_strategy("trimmed", plugin_manager=pm, claim_lists=points)  # type: ignore[arg-type]


def test_the_contract_kit_catches_a_strategy_that_breaks_its_promise(
    pm: pluggy.PluginManager,
) -> None:
    def double(segs: cr.Segments) -> cr.Reduction:
        hi = segs.max(np.where(np.isfinite(segs.upper), segs.upper, 0.0)) * 2 + 1
        return cr.Reduction(lower=np.minimum(segs.min(segs.lower), hi), value=hi, upper=hi + 1,
                            weight=segs.weight)

    class Liar:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="liar", summary="Claims to stay in the envelope.",
                                kernel=double)]

    cr.register(Liar(), plugin_manager=pm)
    with pytest.raises(AssertionError, match="breaks 'within_envelope'"):
        check_strategy("liar", plugin_manager=pm)


def bounds(claims: Sequence[cr.Claim]) -> list[tuple[float, float]]:
    """The claims' bounds; like some plugins, it takes only bounded ranges."""
    out = []
    for c in claims:
        lower, upper = c.quantity.lower, c.quantity.upper
        if lower is None or upper is None:
            raise ValueError("only bounded ranges are taken")
        out.append((lower, upper))
    return out


def latest_bounded(claims: Sequence[cr.Claim], weights: np.ndarray) -> cr.Outcome:
    """The envelope of the latest claims."""
    day = [c.as_of.toordinal() if c.as_of is not None else 0 for c in claims]
    latest = [b for b, d in zip(bounds(claims), day, strict=True) if d == max(day)]
    return cr.Outcome(lower=min(lo for lo, _ in latest), value=None,
                      upper=max(up for _, up in latest),
                      weights=[1.0 if d == max(day) else 0.0 for d in day])


def bounded_envelope(claims: Sequence[cr.Claim], weights: np.ndarray) -> cr.Outcome:
    """The envelope of every claim, whatever its date."""
    every = bounds(claims)
    return cr.Outcome(lower=min(lo for lo, _ in every), value=None,
                      upper=max(up for _, up in every))


class BoundedPlugin:
    @cr.hookimpl
    def claimrecon_strategies(self) -> list[cr.Strategy]:
        return [cr.Strategy(name=f.__name__.replace("_", "-"), summary="Bounded ranges only.",
                            function=f, properties={"ignores_older"})
                for f in (latest_bounded, bounded_envelope)]


def bounded_lists(**kw: Any) -> st.SearchStrategy[list[cr.Claim]]:
    return claim_lists(quantity=quantities(bounded=True), **kw)


def test_the_contract_kit_draws_the_older_claim_from_the_claim_lists_given(
    pm: pluggy.PluginManager,
) -> None:
    cr.register(BoundedPlugin(), plugin_manager=pm)
    check_strategy("latest-bounded", plugin_manager=pm, claim_lists=bounded_lists)
    with pytest.raises(AssertionError, match="breaks 'ignores_older'"):
        check_strategy("bounded-envelope", plugin_manager=pm, claim_lists=bounded_lists)


def envelope(claims: Sequence[cr.Claim]) -> tuple[float | None, float | None]:
    lows, ups = [c.quantity.lower for c in claims], [c.quantity.upper for c in claims]
    return (None if None in lows else min(x for x in lows if x is not None),
            None if None in ups else max(x for x in ups if x is not None))


def first_counts(claims: Sequence[cr.Claim], weights: np.ndarray) -> cr.Outcome:
    """The envelope of every claim, but an account that only the first claim counted."""
    lower, upper = envelope(claims)
    return cr.Outcome(lower=lower, value=None, upper=upper,
                      excluded=dict.fromkeys(range(1, len(claims)), "not first"))


def first_sets_confidence(claims: Sequence[cr.Claim], weights: np.ndarray) -> cr.Outcome:
    """The envelope, with a confidence that depends on which claim comes first."""
    lower, upper = envelope(claims)
    sure = claims[0].quantity.lower == lower
    return cr.Outcome(lower=lower, value=None, upper=upper, confidence=0.9 if sure else 0.5)


def light_ones_set_aside(claims: Sequence[cr.Claim], weights: np.ndarray) -> cr.Outcome:
    """The envelope of every claim, but an account that sets aside the claims of
    weight below 0.5 (except the heaviest): it depends on the weights' scale."""
    lower, upper = envelope(claims)
    heaviest = int(np.argmax(weights))
    return cr.Outcome(lower=lower, value=None, upper=upper, excluded={
        i: "too light" for i, w in enumerate(weights) if w < 0.5 and i != heaviest})


@pytest.mark.parametrize(("function", "prop"), [
    (first_counts, "order_free"),
    (first_sets_confidence, "order_free"),
    (light_ones_set_aside, "scale_free"),
])
def test_the_contract_kit_compares_the_account_and_the_confidence_not_only_the_figures(
    pm: pluggy.PluginManager, function: Callable[..., cr.Outcome], prop: str,
) -> None:
    class Plugin:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="s", summary="Right figures, wrong account.",
                                function=function, properties={prop})]

    cr.register(Plugin(), plugin_manager=pm)
    with pytest.raises(AssertionError, match=f"breaks '{prop}'"):
        check_strategy("s", plugin_manager=pm)


@pytest.mark.parametrize(("low", "high"), [(0.5, 0.9), (-0.9, -0.5), (-2.5, 3.5), (1.0, 1.0)])
def test_the_kits_quantities_keep_within_bounds_that_are_not_whole_numbers(
    low: float, high: float,
) -> None:
    @settings(max_examples=100)
    @given(q=quantities(min_value=low, max_value=high, quantiles=True))
    def check(q: cr.Quantity) -> None:
        figures = [q.lower, q.value, q.upper, *(x for _, x in q.quantiles or ())]
        assert all(low <= x <= high for x in figures if x is not None), q

    check()


@settings(max_examples=300)
@given(q=quantities(quantiles=True))
def test_the_kits_quantiles_lie_within_the_quantitys_range(q: cr.Quantity) -> None:
    for _, x in q.quantiles or ():
        assert (q.lower is None or q.lower <= x) and (q.upper is None or x <= q.upper), q


def test_two_plugins_with_one_name_raise_naming_both(pm: pluggy.PluginManager) -> None:
    cr.register(TrimmedPlugin(), name="first", plugin_manager=pm)
    cr.register(TrimmedPlugin(), name="second", plugin_manager=pm)
    with pytest.raises(cr.AmbiguousStrategyError, match=r"'first', 'second'|first, second"):
        cr.reconcile(claims(), "trimmed", plugin_manager=pm)
    # the other strategies still work
    assert cr.reconcile(claims(), "median", plugin_manager=pm).value == 2.0
    names = [(i.name, i.plugin) for i in cr.list_strategies(plugin_manager=pm)]
    assert ("trimmed", "first") in names and ("trimmed", "second") in names


def test_a_kernel_that_raises_becomes_a_plugin_error_naming_plugin_hook_and_strategy(
    pm: pluggy.PluginManager,
) -> None:
    def boom(segs: cr.Segments) -> cr.Reduction:
        raise ZeroDivisionError("oops")

    class Boom:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="boom", summary="Raises.", kernel=boom)]

    cr.register(Boom(), name="boom-plugin", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="plugin 'boom-plugin', hook 'kernel', "
                       "strategy 'boom': raised ZeroDivisionError: oops") as info:
        cr.reconcile(claims(), "boom", plugin_manager=pm)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert (info.value.plugin, info.value.strategy) == ("boom-plugin", "boom")


def test_a_malformed_result_is_a_plugin_error(pm: pluggy.PluginManager) -> None:
    def bad(segs: cr.Segments) -> cr.Reduction:
        return cr.Reduction(lower=segs.max(segs.upper) + 1, value=segs.min(segs.lower),
                            upper=segs.max(segs.upper), weight=segs.weight)

    def not_a_reduction(segs: cr.Segments) -> object:
        return {"value": 3}

    def float_reasons(segs: cr.Segments) -> cr.Reduction:
        lo, up = segs.min(segs.lower), segs.max(segs.upper)
        return cr.Reduction(lower=lo, value=lo, upper=up, weight=segs.weight,
                            reason=np.full(segs.n, np.nan), reasons=("why",))

    class Bad:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="bad", summary="Malformed.", kernel=bad),
                    cr.Strategy(name="dict", summary="Not a Reduction.",
                                kernel=not_a_reduction),  # type: ignore[arg-type]
                    cr.Strategy(name="floats", summary="Reasons not integers.",
                                kernel=float_reasons)]

    cr.register(Bad(), name="bad-plugin", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="malformed result: lower and upper"):
        cr.reconcile(claims(), "bad", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="expected a Reduction"):
        cr.reconcile(claims(), "dict", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="reason must be an array of integers"):
        cr.reconcile(claims(), "floats", plugin_manager=pm)


def test_the_arrays_a_kernel_is_given_are_read_only_where_the_engine_keeps_them(
    pm: pluggy.PluginManager,
) -> None:
    # Counts and the conflict flag are the engine's own results: a kernel that wrote
    # into them would change every estimate's account; numpy refuses the write.
    seen: list[cr.Segments] = []

    def spy(segs: cr.Segments) -> cr.Reduction:
        seen.append(segs)
        lo, up = segs.min(segs.lower), segs.max(segs.upper)
        return cr.Reduction(lower=lo, value=np.full(segs.m, np.nan), upper=up,
                            weight=segs.weight)

    class Spy:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="spy", summary="Looks.", kernel=spy, grouped=False)]

    cr.register(Spy(), name="spy-plugin", plugin_manager=pm)
    two = [*claims(), *(attrs.evolve(c, variable="w") for c in claims())]
    es = cr.reconcile_all(two, "spy", plugin_manager=pm)
    (segs,) = seen
    for arr in (segs.counts, segs.conflict, segs.weight):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    assert es.to_pandas()["n_used"].tolist() == [len(claims())] * 2


def test_a_strategies_hook_that_raises_breaks_only_itself(pm: pluggy.PluginManager) -> None:
    class Broken:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            raise RuntimeError("cannot list")

    class Malformed:
        @cr.hookimpl
        def claimrecon_strategies(self) -> object:
            return ["weighted"]

    with pytest.raises(cr.UnknownStrategyError):
        cr.reconcile(claims(), "theirs", plugin_manager=pm)
    cr.register(Broken(), name="broken", plugin_manager=pm)
    cr.register(Malformed(), name="malformed", plugin_manager=pm)
    assert cr.reconcile(claims(), "weighted", plugin_manager=pm).value == 4.0
    # A name no working plugin provides may be a failed plugin's: its error, chained to
    # what it raised, not "unknown".
    with pytest.raises(cr.PluginError, match="plugin 'broken', hook 'claimrecon_strategies', "
                       "strategy 'theirs': could not list its strategies \\(raised "
                       "RuntimeError: cannot list\\), so strategy 'theirs' may be one of "
                       "them; the strategies available: catd, crh") as info:
        cr.reconcile(claims(), "theirs", plugin_manager=pm)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert (info.value.plugin, info.value.strategy) == ("broken", "theirs")
    (note,) = info.value.__notes__
    assert "'malformed'" in note and "list of claimrecon.Strategy" in note
    errors = broken_plugins(pm)
    assert list(errors) == ["broken", "malformed"]
    assert isinstance(errors["broken"].__cause__, RuntimeError)


def test_a_weight_hook_with_the_wrong_shape_is_a_plugin_error(pm: pluggy.PluginManager) -> None:
    class Short:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            return np.ones(1)

    cr.register(Short(), name="short", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match=r"plugin 'short', hook 'claimrecon_claim_weights'"
                       r": must return one weight per claim, shape \(3,\)"):
        cr.reconcile(claims(), plugin_manager=pm)


def test_registering_a_plugin_with_a_misspelt_hook_is_refused(pm: pluggy.PluginManager) -> None:
    class Typo:
        @cr.hookimpl
        def claimrecon_strategy(self) -> list[cr.Strategy]:
            return []

    with pytest.raises(cr.PluginError, match="claimrecon_strategy"):
        cr.register(Typo(), name="typo", plugin_manager=pm)
    assert not pm.has_plugin("typo")


def test_builtins_are_plugins_and_can_be_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMRECON_DISABLE_PLUGINS", "claimrecon._strategies.median")
    pm = cr.make_plugin_manager()
    names = {i.name for i in cr.list_strategies(plugin_manager=pm)}
    assert "median" not in names and "weighted" in names
    with pytest.raises(cr.UnknownStrategyError):
        cr.reconcile(claims(), "median", plugin_manager=pm)


def test_entry_points_load_unless_autoload_is_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    class EP:
        name = "fake"
        value = "fake_module:plugin"

        def load(self) -> object:
            return TrimmedPlugin()

    class BadEP(EP):
        name = "bad"

        def load(self) -> object:
            raise ImportError("no such module")

    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group: [EP(), BadEP()] if group == "claimrecon" else [])
    monkeypatch.delenv("CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    with pytest.warns(cr.PluginWarning, match="'bad'.*failed to load.*no such module"):
        pm = cr.make_plugin_manager()
    assert pm.has_plugin("fake") and not pm.has_plugin("bad")
    assert cr.reconcile(claims(), "trimmed", plugin_manager=pm).value == 2.0
    monkeypatch.setenv("CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert not cr.make_plugin_manager().has_plugin("fake")


def test_the_default_manager_is_cached() -> None:
    assert cr.get_plugin_manager() is cr.get_plugin_manager()


def _inf_value(segs: cr.Segments) -> cr.Reduction:
    up = segs.max(segs.upper)  # +inf where a claim is open above: a value of +inf
    return cr.Reduction(lower=segs.min(segs.lower), value=up, upper=up, weight=segs.weight)


def _nan_weight(segs: cr.Segments) -> cr.Reduction:
    w = np.array(segs.weight, dtype=float)
    w[1] = np.nan  # not the first row
    return cr.Reduction(lower=segs.min(segs.lower), value=np.full(segs.m, np.nan),
                        upper=segs.max(segs.upper), weight=w)


def _negative_weight(segs: cr.Segments) -> cr.Reduction:
    w = np.array(segs.weight, dtype=float)
    w[-1] = -1.0
    return cr.Reduction(lower=segs.min(segs.lower), value=np.full(segs.m, np.nan),
                        upper=segs.max(segs.upper), weight=w)


def _confidence(c: float) -> Callable[[cr.Segments], cr.Reduction]:
    def kernel(segs: cr.Segments) -> cr.Reduction:
        return cr.Reduction(lower=segs.min(segs.lower), value=np.full(segs.m, np.nan),
                            upper=segs.max(segs.upper), weight=segs.weight,
                            confidence=np.full(segs.m, c))
    return kernel


@pytest.mark.parametrize("variables", [1, 9])  # the small-input checks and the large ones
@pytest.mark.parametrize(("kernel", "message"), [
    (_inf_value, "value must be finite"),
    (_confidence(7.0), "confidence must be a probability strictly between 0 and 1"),
    (_confidence(1.0), "confidence must be a probability strictly between 0 and 1"),
    (_confidence(-np.inf), "confidence must be a probability strictly between 0 and 1"),
    (_nan_weight, "weights must be finite and non-negative"),
    (_negative_weight, "weights must be finite and non-negative"),
])
def test_a_malformed_result_is_refused_alike_for_few_variables_and_many(
    pm: pluggy.PluginManager, kernel: object, message: str, variables: int,
) -> None:
    class Bad:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="bad", summary="Malformed.", kernel=kernel)]  # type: ignore[arg-type]

    cr.register(Bad(), name="bad-plugin", plugin_manager=pm)
    cs = [cr.Claim(variable=f"v{k}", source=cr.Source(id=s), quantity=q)
          for k in range(variables)
          for s, q in (("a", cr.Quantity(lower=10.0)), ("b", cr.Quantity(value=12.0)))]
    with pytest.raises(cr.PluginError, match=f"malformed result: {message}"):
        cr.reconcile_all(cs, "bad", plugin_manager=pm)


def test_registering_a_name_or_a_plugin_twice_is_a_plugin_error(
    pm: pluggy.PluginManager, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a notebook cell run again registers its plugin again)
    first = TrimmedPlugin()
    cr.register(first, name="trimmed-plugin", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="registered already under the name "
                       "'trimmed-plugin'"):
        cr.register(TrimmedPlugin(), name="trimmed-plugin", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="registered already, as 'trimmed-plugin'"):
        cr.register(first, name="other", plugin_manager=pm)
    assert pm.get_plugin("trimmed-plugin") is first and not pm.has_plugin("other")
    monkeypatch.setenv("CLAIMRECON_DISABLE_PLUGINS", "blocked")
    monkeypatch.setenv("CLAIMRECON_DISABLE_PLUGIN_AUTOLOAD", "1")
    blocked = cr.make_plugin_manager()
    with pytest.raises(cr.PluginError, match="the name is blocked"):
        cr.register(TrimmedPlugin(), name="blocked", plugin_manager=blocked)


def test_a_function_strategys_diagnostics_are_those_each_variable_states(
    pm: pluggy.PluginManager,
) -> None:
    # A key one variable states does not appear (as None) in the others' diagnostics:
    # each variable's are those it has reconciled alone, also after a pickle.
    import pickle

    def spread(claims: Sequence[cr.Claim], weights: np.ndarray) -> cr.Outcome:
        values = [c.quantity.value or 0.0 for c in claims]
        diagnostics = {"spread": max(values) - min(values)} if len(values) > 1 else {}
        return cr.Outcome(lower=min(values), value=values[0], upper=max(values),
                          diagnostics=diagnostics)

    class Spread:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="spread", summary="x", function=spread)]

    cr.register(Spread(), name="spread-plugin", plugin_manager=pm)
    cs = [cr.Claim(variable=v, source=cr.Source(id=s), quantity=cr.Quantity(value=x))
          for v, s, x in (("one", "a", 5.0), ("two", "a", 1.0), ("two", "b", 3.0))]
    es = cr.reconcile_all(cs, "spread", plugin_manager=pm)
    for variable in ("one", "two"):
        alone = cr.reconcile([c for c in cs if c.variable == variable], "spread",
                             plugin_manager=pm)
        assert dict(es[variable].diagnostics) == dict(alone.diagnostics)
    assert dict(es["one"].diagnostics) == {} and dict(es["two"].diagnostics) == {"spread": 2.0}
    assert "Diagnostics" not in es["one"].explain()
    back = pickle.loads(pickle.dumps(es))
    assert dict(back["one"].diagnostics) == {}


def test_a_plugin_object_that_cannot_be_hashed_works_like_any(
        pm: pluggy.PluginManager) -> None:
    # (a dataclass with eq has no hash; pluggy registers it, and so does claimrecon)
    import dataclasses

    @dataclasses.dataclass
    class Lowest:
        name: str = "lowest"

        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name=self.name, summary="the lowest value", kernel=lambda segs:
                                cr.Reduction(lower=segs.min(segs.lower), value=segs.min(segs.value),
                                             upper=segs.min(segs.upper), weight=segs.weight))]

    @dataclasses.dataclass
    class Halve:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> np.ndarray:
            return np.full(len(table), 0.5)

    cr.register(Lowest(), name="lowest", plugin_manager=pm)
    cr.register(Halve(), name="halve", plugin_manager=pm)
    cs = [cr.Claim(variable="v", source=cr.Source(id=s), quantity=cr.Quantity(value=x))
          for s, x in (("a", 10.0), ("b", 20.0))]
    assert cr.reconcile(cs, "weighted", plugin_manager=pm).value == 15.0
    assert cr.reconcile(cs, "lowest", plugin_manager=pm).value == 10.0


def test_hook_implementations_are_called_as_pluggy_calls_them(pm: pluggy.PluginManager) -> None:
    # An implementation may take fewer arguments than the spec, or take one with a
    # default (pluggy passes those it names, as keywords then), and a plugin may
    # implement a hook twice (pluggy's specname=): each answers as that plugin.
    seen: list[str] = []

    class Abstain:
        @cr.hookimpl
        def claimrecon_claim_weights(self) -> None:
            seen.append("abstain")

    class ZeroForB:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable | None = None) -> np.ndarray:
            assert table is not None
            ids = np.array([s.id for s in table.sources], dtype=object)
            return np.where(ids[table.source] == "b", 0.0, 1.0)

    class Two:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="first", summary="x", kernel=_inf_value)]

        @cr.hookimpl(specname="claimrecon_strategies", tryfirst=True)
        def more(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="second", summary="x", kernel=_inf_value)]

    for plugin in (Abstain(), ZeroForB(), Two()):
        cr.register(plugin, name=type(plugin).__name__, plugin_manager=pm)
    e = cr.reconcile(claims(), "weighted", plugin_manager=pm)
    assert [x.reason for x in e.excluded] == ["weight 0 from plugin ZeroForB"]
    assert seen == ["abstain"]
    assert {"first", "second"} <= {i.name for i in cr.list_strategies(plugin_manager=pm)}

    class Boom:
        @cr.hookimpl
        def claimrecon_claim_weights(self) -> None:
            raise ZeroDivisionError("oops")

    cr.register(Boom(), name="boom", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="plugin 'boom', hook 'claimrecon_claim_weights'"
                       ": raised ZeroDivisionError: oops"):
        cr.reconcile(claims(), "weighted", plugin_manager=pm)


def test_a_plugin_providing_one_strategy_name_twice_is_a_failing_plugin(
        pm: pluggy.PluginManager) -> None:
    class Twice:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="dup", summary="x", kernel=_inf_value)]

        @cr.hookimpl(specname="claimrecon_strategies")
        def again(self) -> list[cr.Strategy]:
            return [cr.Strategy(name="dup", summary="y", kernel=_inf_value)]

    cr.register(Twice(), name="twice", plugin_manager=pm)
    assert broken_plugins(pm)["twice"].args[0].endswith("provides the strategy 'dup' twice")
    with pytest.raises(cr.PluginError, match="plugin 'twice'"):
        cr.get_strategy("dup", plugin_manager=pm)
    assert cr.get_strategy("weighted", plugin_manager=pm).name == "weighted"


def test_a_hook_wrapper_is_a_failing_plugin(pm: pluggy.PluginManager) -> None:
    # (claimrecon calls each plugin on its own, so that an answer or an error is that
    # plugin's: a wrapper would not see what a call of the whole hook would give it)
    class Floor:
        @cr.hookimpl(wrapper=True)
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            answers = yield
            return [np.maximum(a, 0.5) for a in answers]

        @cr.hookimpl(hookwrapper=True)
        def claimrecon_strategies(self) -> object:
            yield

    cr.register(Floor(), name="floor", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="plugin 'floor', hook 'claimrecon_claim_weights'"
                       ": is a hook wrapper, which claimrecon does not run"):
        cr.reconcile(claims(), "weighted", plugin_manager=pm)
    assert "floor" in broken_plugins(pm)
    assert "weighted" in {i.name for i in cr.list_strategies(plugin_manager=pm)}

