"""The hedge parser: hedged English figures become ranges, by a documented policy."""

from __future__ import annotations

import time
from pathlib import Path

import attrs
import pluggy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import claimrecon as cr
from claimrecon import HedgeParseError, Quantity
from claimrecon._hedges import (
    BUILTIN_HEDGES,
    FoundQuantity,
    Hedge,
    HedgePolicy,
    _find,
    _parse,
    find_quantities,
    parse_quantity,
)

SEEDS = Path(__file__).parents[1] / "seeds"
DEFAULT = HedgePolicy()


def q(**kw: object) -> Quantity:
    return Quantity(**kw)


def core(text: str, *extra: Hedge, policy: HedgePolicy = DEFAULT) -> Quantity:
    """The pure parser, with extra vocabulary given directly (no plugin manager)."""
    return _parse(text, policy, tuple(extra))


# --- the families -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hedge", ["about", "around", "some", "roughly", "approximately", "an estimated", "circa",
              "approx.", "~", "in the region of", "estimated"],
)
def test_a_symmetric_hedge_keeps_the_figure_as_the_value_inside_a_ten_percent_band(
    hedge: str,
) -> None:
    assert core(f"{hedge} 14,000") == q(value=14_000, lower=12_600, upper=15_400)


@pytest.mark.parametrize(
    "hedge", ["up to", "as many as", "at most", "no more than", "fewer than", "less than",
              "under", "below", "a maximum of", "not more than", "<"],
)
def test_an_upper_hedge_ends_the_range_at_the_stated_figure(hedge: str) -> None:
    assert core(f"{hedge} 15,000") == q(upper=15_000)


@pytest.mark.parametrize(
    "text", ["up to about 15,000", "as many as roughly 15,000", "up to an estimated 15,000",
             "UP TO ABOUT 15,000", "at most some 15,000"],
)
def test_a_softened_upper_hedge_still_ends_at_the_stated_figure(text: str) -> None:
    assert core(text) == q(upper=15_000)


@pytest.mark.parametrize(
    "hedge", ["over", "more than", "at least", "upwards of", "in excess of", "above",
              "no fewer than", "well over", "more than about", "as few as", ">="],
)
def test_a_lower_hedge_starts_the_range_at_the_stated_figure(hedge: str) -> None:
    assert core(f"{hedge} 12,000") == q(lower=12_000)


@pytest.mark.parametrize(
    "hedge", ["nearly", "almost", "just under", "close to", "just shy of", "slightly less than",
              "not quite"],
)
def test_nearly_and_its_kin_give_a_narrow_band_ending_at_the_figure(hedge: str) -> None:
    assert core(f"{hedge} 15,000") == q(lower=14_250, upper=15_000)


@pytest.mark.parametrize("hedge", ["just over", "just above", "slightly more than"])
def test_just_over_gives_a_narrow_band_starting_at_the_figure(hedge: str) -> None:
    assert core(f"{hedge} 15,000") == q(lower=15_000, upper=15_750)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14,000 or more", q(lower=14_000)),
        ("14,000+", q(lower=14_000)),
        ("14,000-plus", q(lower=14_000)),
        ("14,000 or fewer", q(upper=14_000)),
        ("14,000 or so", q(value=14_000, lower=12_600, upper=15_400)),
        ("about 14,000 or so", q(value=14_000, lower=12_600, upper=15_400)),
        ("about 14,000 or more", q(lower=14_000)),
    ],
)
def test_hedges_after_the_figure_work_like_those_before_it(text: str, expected: Quantity) -> None:
    assert core(text) == expected


@pytest.mark.parametrize("text", ["12,000", "3,000", "25", "12000", "1,100.5", "0"])
def test_a_bare_figure_is_a_point(text: str) -> None:
    x = float(text.replace(",", ""))
    assert core(text) == q(value=x)
    assert core(text).is_point


@pytest.mark.parametrize(
    ("text", "lower", "upper"),
    [
        ("between 10,000 and 12,000", 10_000, 12_000),
        ("10,000-12,000", 10_000, 12_000),
        ("10,000–12,000", 10_000, 12_000),
        ("10,000 - 12,000", 10_000, 12_000),
        ("10,000 to 12,000", 10_000, 12_000),
        ("from 10,000 to 12,000", 10_000, 12_000),
        ("from about 1,200 to as many as 4,000", 1_200, 4_000),
        ("between about 10,000 and 12,000", 10_000, 12_000),
        ("about 10,000-12,000", 10_000, 12_000),
        ("2 to 3 million", 2_000_000, 3_000_000),
        ("2-3 million", 2_000_000, 3_000_000),
        ("between two and three thousand", 2_000, 3_000),
        ("500 to 3 million", 500, 3_000_000),
        ("10-12,000", 10, 12_000),
        ("20-30%", 20, 30),
        ("3 or 4", 3, 4),  # "X or Y": the source puts the truth at one of the two
        ("two or three thousand", 2_000, 3_000),
        ("about 10 or 12", 10, 12),
    ],
)
def test_a_range_runs_from_the_first_stated_figure_to_the_second(
    text: str, lower: float, upper: float
) -> None:
    assert core(text) == q(lower=lower, upper=upper, unit="%" if "%" in text else None)


def test_a_range_shares_its_currency_between_its_ends() -> None:
    assert core("$2-3 million") == q(lower=2e6, upper=3e6, unit="USD")
    assert core("between $2,000 and $3,000") == q(lower=2_000, upper=3_000, unit="USD")


@pytest.mark.parametrize(
    ("text", "lower", "upper"),
    [
        ("thousands", 2_000, 20_000),
        ("tens of thousands", 20_000, 100_000),
        ("hundreds of thousands", 200_000, 1_000_000),
        ("hundreds", 200, 2_000),
        ("dozens", 24, 240),
        ("millions", 2e6, 2e7),
        ("tens of millions", 2e7, 1e8),
        ("several thousand", 3_000, 9_000),
        ("several hundred", 300, 900),
        ("a few hundred", 200, 500),
        ("a few thousand", 2_000, 5_000),
        ("a couple of thousand", 2_000, 3_000),
        ("several hundred thousand", 300_000, 900_000),
    ],
)
def test_a_vague_magnitude_is_a_documented_range(text: str, lower: float, upper: float) -> None:
    assert core(text) == q(lower=lower, upper=upper)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("twelve", 12),
        ("three thousand", 3_000),
        ("a dozen", 12),
        ("two dozen", 24),
        ("half a dozen", 6),
        ("half a million", 500_000),
        ("a million", 1_000_000),
        ("a hundred", 100),
        ("a quarter of a million", 250_000),
        ("twenty-five", 25),
        ("one hundred twenty-five", 125),
        ("three hundred and fifty", 350),
        ("two million three hundred thousand", 2_300_000),
        ("eleven hundred", 1_100),
        ("two and a half million", 2_500_000),
        ("Three Thousand", 3_000),
    ],
)
def test_number_words_are_read_as_figures(text: str, value: float) -> None:
    assert core(text) == q(value=value)


def test_number_words_take_hedges_like_digits() -> None:
    assert core("about a dozen") == q(value=12, lower=10.8, upper=13.2)
    assert core("up to three thousand") == q(upper=3_000)
    assert core("nearly half a million") == q(lower=475_000, upper=500_000)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2 million", 2e6),
        ("2.5 billion", 2.5e9),
        ("2.5bn", 2.5e9),
        ("2.5 bn", 2.5e9),
        ("1.2k", 1_200),
        ("1.1k", 1_100),
        ("3mn", 3e6),
        ("4 trillion", 4e12),
        ("12 thousand", 12_000),
        ("12 000", 12_000),
        ("12\u202f000", 12_000),
        ("2 hundred thousand", 200_000),
    ],
)
def test_scale_words_and_abbreviations_multiply_the_figure(text: str, value: float) -> None:
    assert core(text) == q(value=value)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("$2,000", 2_000, "USD"),
        ("€3,000", 3_000, "EUR"),
        ("£2", 2, "GBP"),
        ("₩5,000", 5_000, "KRW"),
        ("$90 Million", 90e6, "USD"),
        ("$1.5m", 1.5e6, "USD"),
        ("$3 m", 3e6, "USD"),  # k, b and m may stand apart after a currency sign
        ("€3 M", 3e6, "EUR"),
        ("$3 k", 3_000, "USD"),
        ("£2 b", 2e9, "GBP"),
        ("US$5bn", 5e9, "USD"),
        ("USD 2,000", 2_000, "USD"),
        ("2,000 dollars", 2_000, "USD"),
        ("2,000 euros", 2_000, "EUR"),
        ("30%", 30, "%"),
        ("30 percent", 30, "%"),
        ("30 per cent", 30, "%"),
    ],
)
def test_a_currency_or_percent_sign_becomes_the_unit(text: str, value: float, unit: str) -> None:
    assert core(text) == q(value=value, unit=unit)


def test_a_currency_sign_keeps_its_hedge() -> None:
    assert core("up to $2.5bn") == q(upper=2.5e9, unit="USD")
    assert core("about $2,000") == q(value=2_000, lower=1_800, upper=2_200, unit="USD")


# --- units, case and spacing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("around 14,000 troops", "troops"),
        ("around 14,000 North Korean soldiers", "North Korean soldiers"),
        ("thousands of troops", "troops"),
        ("3,000 reinforcements.", "reinforcements"),
        ("about 2 million artillery shells", "artillery shells"),
        ("$2,000 per month", "USD per month"),
        ("$2,000 a month", "USD per month"),
        ("2,000 dollars a month", "USD per month"),
        ("1,000 soldiers every day", "soldiers per day"),
    ],
)
def test_a_short_noun_phrase_after_the_figure_is_its_unit(text: str, unit: str) -> None:
    assert core(text).unit == unit


def test_an_explicit_unit_overrides_what_the_text_says() -> None:
    assert parse_quantity("around 14,000 North Korean soldiers", unit="troops").unit == "troops"
    assert parse_quantity("$2,000", unit="USD per month").unit == "USD per month"
    assert parse_quantity("about 14,000", unit="troops") == q(
        value=14_000, lower=12_600, upper=15_400, unit="troops"
    )


@pytest.mark.parametrize(
    "text", ["around 14,000", "AROUND 14,000", "  Around   14,000 ", "around 14,000.",
             "around\n14,000", "\taround 14,000.\n"],
)
def test_case_white_space_and_a_final_period_do_not_matter(text: str) -> None:
    assert core(text) == q(value=14_000, lower=12_600, upper=15_400)


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "the troops",
        "about",
        "thousand",
        "14,000 and 15,000 maybe",
        "in 2024",
        "12,000 troops were sent in October",
        "up to 15,000 or more",
        "12,000-10,000",
        "between 12,000 and 10,000",
        "up to 10,000-12,000",
        "1.5m",
        "100m troops",
        "5km",
        "12,0000",
        "12.000",
        "1.500 troops",
        "$2,000 euros",
        "28 April",
        "thousands of its troops",
        "about thousands",
        "-5",
        "F-16",
        "a few",
        "one two",
        "2 millions",
        "30% of troops",
        "14,000 troops in Kursk",
        "more than 14,000 troops who were sent",
        "between 2% and 3 million",
        "10%-20 million",
        "from 5% to 6 thousand",
    ],
)
def test_text_that_is_not_wholly_one_hedged_figure_is_refused(text: str) -> None:
    with pytest.raises(HedgeParseError) as info:
        core(text)
    assert info.value.text == text
    assert "expected one hedged figure" in str(info.value)
    assert repr(text) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("in 2024", "'in' comes before the figure '2024'"),
        ("12,000 troops were sent in October", "'were' does not belong in a unit"),
        ("14,000 and 15,000 maybe", "more than one figure"),
        ("1.5m", "million or metres"),
        ("12.000", "'12,000' or '12'"),
        ("12,000-10,000", "from the lower figure to the higher"),
        ("up to 15,000 or more", "contradict"),
        ("the troops", "no figure"),
        ("between 2% and 3 million", "is a percentage, the other a count"),
        ("between 2% and 3,000", "is a percentage, the other a count"),
        ("5% to 12,000", "is a percentage, the other a count"),
        ("3b", "digits joined to letters"),  # (no billion: "3bn", "$3b")
        ("-5", "'-5' is negative, and negative figures are not read from text"),
        ("about \u22123.5%", "'\u22123.5%' is negative"),
        ("a" * 20_000 + "1", "'" + "a" * 20),  # a long run without spaces is named
        ("about 1" + "0" * 400_001, "too large for a float"),
    ],
)
def test_a_refusal_says_why(text: str, reason: str) -> None:
    with pytest.raises(HedgeParseError, match="expected") as info:
        core(text)
    assert reason in str(info.value)


def test_the_callers_decimal_settings_do_not_change_a_figure() -> None:
    import decimal

    with decimal.localcontext(prec=3, Emax=10):
        assert core("about 14,567") == q(value=14_567, lower=13_110.3, upper=16_023.7)
        assert core("just over 14,520", policy=HedgePolicy(near=0.0001)) == q(
            lower=14_520, upper=14_521.452)
        with pytest.raises(HedgeParseError, match="too large for a float"):
            core("1" + "0" * 400 + "k")


def test_only_strings_are_parsed() -> None:
    with pytest.raises(TypeError, match="expects a string"):
        parse_quantity(14_000)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unit"):
        parse_quantity("14,000", unit=3)  # type: ignore[arg-type]


def test_a_policy_must_be_a_hedge_policy() -> None:
    with pytest.raises(TypeError, match="HedgePolicy"):
        parse_quantity("about 14,000", policy={"symmetric": 0.2})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="HedgePolicy"):
        find_quantities("about 14,000", policy=0.2)  # type: ignore[arg-type]


# --- the policy --------------------------------------------------------------------------------


def test_the_default_policy_is_documented() -> None:
    p = HedgePolicy()
    assert (p.symmetric, p.near, p.floor) == (0.1, 0.05, None)
    assert (p.plural, p.tens_of, p.hundreds_of) == ((2, 20), (20, 100), (200, 1000))
    assert (p.several, p.few, p.couple) == ((3, 9), (2, 5), (2, 3))


def test_the_policy_sets_the_width_of_every_family() -> None:
    p = HedgePolicy(symmetric=0.2, near=0.1, floor=0, plural=(2, 10), tens_of=(10, 50),
                    hundreds_of=(100, 900), several=(4, 8), few=(3, 4), couple=(2, 2.5))
    assert core("about 14,000", policy=p) == q(value=14_000, lower=11_200, upper=16_800)
    assert core("nearly 15,000", policy=p) == q(lower=13_500, upper=15_000)
    assert core("just over 15,000", policy=p) == q(lower=15_000, upper=16_500)
    assert core("up to 15,000", policy=p) == q(lower=0, upper=15_000)
    assert core("over 15,000", policy=p) == q(lower=15_000)
    assert core("thousands", policy=p) == q(lower=2_000, upper=10_000)
    assert core("tens of thousands", policy=p) == q(lower=10_000, upper=50_000)
    assert core("hundreds of millions", policy=p) == q(lower=1e8, upper=9e8)
    assert core("several thousand", policy=p) == q(lower=4_000, upper=8_000)
    assert core("a few hundred", policy=p) == q(lower=300, upper=400)
    assert core("a couple of thousand", policy=p) == q(lower=2_000, upper=2_500)


def test_a_floor_above_the_figure_is_lowered_to_the_figure() -> None:
    assert core("up to 50", policy=HedgePolicy(floor=100)) == q(lower=50, upper=50)


def test_a_zero_width_makes_a_symmetric_hedge_a_point() -> None:
    assert core("about 14,000", policy=HedgePolicy(symmetric=0)) == q(value=14_000)


def test_the_public_function_takes_a_policy() -> None:
    assert parse_quantity("about 100", policy=HedgePolicy(symmetric=0.5)) == q(
        value=100, lower=50, upper=150
    )


@pytest.mark.parametrize(
    "kw",
    [{"symmetric": 1.0}, {"symmetric": -0.1}, {"near": 1.5}, {"plural": (20, 2)},
     {"few": (0, 5)}, {"several": (3, float("inf"))}, {"floor": float("nan")}],
)
def test_a_policy_that_cannot_make_sense_is_refused(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="HedgePolicy"):
        HedgePolicy(**kw)


@pytest.mark.parametrize(
    "kw", [{"symmetric": "0.1"}, {"plural": 2}, {"plural": (1, 2, 3)}, {"near": None}]
)
def test_a_policy_of_the_wrong_type_is_refused(kw: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        HedgePolicy(**kw)


# --- extra vocabulary ------------------------------------------------------------------------


RUND = Hedge(phrase="rund", kind="symmetric")
BIS_ZU = Hedge(phrase="bis zu", kind="upper")
TAUSENDE = Hedge(phrase="Tausende", kind="magnitude", lower=2_000, upper=20_000)
ODD = Hedge(phrase="odd", kind="lower", position="after")
A_GROSS = Hedge(phrase="a gross", kind="magnitude", lower=144, upper=144)


def test_extra_hedges_extend_the_vocabulary() -> None:
    assert core("rund 14,000", RUND) == q(value=14_000, lower=12_600, upper=15_400)
    assert core("bis zu 15,000", BIS_ZU) == q(upper=15_000)
    assert core("BIS   ZU 15,000", BIS_ZU) == q(upper=15_000)
    assert core("Tausende", TAUSENDE) == q(lower=2_000, upper=20_000)
    assert core("14,000 odd", ODD) == q(lower=14_000)
    assert core("a gross", A_GROSS) == q(value=144)


def test_extra_hedges_are_unknown_without_them() -> None:
    with pytest.raises(HedgeParseError):
        core("rund 14,000")


def test_an_extra_hedge_may_set_its_own_width() -> None:
    wide = Hedge(phrase="vaguely", kind="symmetric", width=0.5)
    assert core("vaguely 100", wide) == q(value=100, lower=50, upper=150)
    tight = Hedge(phrase="a hair under", kind="near-upper", width=0.01)
    assert core("a hair under 1,000", tight) == q(lower=990, upper=1_000)


def test_an_extra_hedge_replaces_a_built_in_one_of_the_same_phrase() -> None:
    symmetric = Hedge(phrase="close to", kind="symmetric")
    assert core("close to 1,000") == q(lower=950, upper=1_000)
    assert core("close to 1,000", symmetric) == q(value=1_000, lower=900, upper=1_100)


def test_an_extra_magnitude_replaces_a_built_in_vague_word() -> None:
    narrow = Hedge(phrase="thousands", kind="magnitude", lower=2_000, upper=9_999)
    assert core("thousands", narrow) == q(lower=2_000, upper=9_999)
    assert core("thousands") == q(lower=2_000, upper=20_000)


def test_a_hedge_after_the_figure_may_end_in_a_full_stop() -> None:
    est = Hedge(phrase="est.", kind="symmetric", position="after")
    for text in ("14,000 est.", "14,000 est. troops"):
        assert core(text, est).lower == 12_600
    assert core("14,000 troops.", est) == q(value=14_000, unit="troops")  # a full stop
    assert core("14,000 test.", est) == q(value=14_000, unit="test")


def test_two_different_definitions_of_one_phrase_are_an_error() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        core("rund 14,000", RUND, Hedge(phrase="RUND", kind="upper"))
    assert core("rund 14,000", RUND, RUND).value == 14_000


def test_two_plugins_defining_one_phrase_differently_are_a_plugin_error() -> None:
    def plugin(*hedges: Hedge) -> object:
        class Words:
            @cr.hookimpl
            def claimrecon_hedges(self) -> list[Hedge]:
                return list(hedges)
        return Words()

    pm = cr.make_plugin_manager()
    cr.register(plugin(RUND), name="german", plugin_manager=pm)
    cr.register(plugin(RUND), name="austrian", plugin_manager=pm)  # the same: one hedge
    assert parse_quantity("rund 14,000", plugin_manager=pm).value == 14_000
    cr.register(plugin(attrs.evolve(RUND, phrase="Rund")), name="swabian", plugin_manager=pm)
    assert parse_quantity("rund 14,000", plugin_manager=pm).value == 14_000  # one phrase
    cr.register(plugin(Hedge(phrase="RUND", kind="upper")), name="swiss", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match=r"plugin 'swiss', hook 'claimrecon_hedges': "
                       r"defines the hedge 'RUND' as .*, which plugin 'german' defines as"):
        parse_quantity("rund 14,000", plugin_manager=pm)


@pytest.mark.parametrize(
    "kw",
    [
        {"phrase": "", "kind": "symmetric"},
        {"phrase": "about 5", "kind": "symmetric"},
        {"phrase": "about", "kind": "sideways"},
        {"phrase": "about", "kind": "symmetric", "width": 1.0},
        {"phrase": "over", "kind": "lower", "width": 0.1},
        {"phrase": "heaps", "kind": "magnitude"},
        {"phrase": "heaps", "kind": "magnitude", "lower": 10, "upper": 5},
        {"phrase": "heaps", "kind": "magnitude", "lower": 1, "upper": 5, "position": "after"},
        {"phrase": "about", "kind": "symmetric", "lower": 1},
        {"phrase": "about", "kind": "symmetric", "position": "around"},
    ],
)
def test_a_hedge_that_cannot_make_sense_is_refused(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="hedge"):
        Hedge(**kw)  # type: ignore[arg-type]


def test_a_hedge_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError):
        Hedge(phrase=3, kind="symmetric")
    with pytest.raises(TypeError):
        Hedge(phrase="about", kind="symmetric", width="wide")


def test_hedges_are_hashable_values_with_tidy_phrases() -> None:
    assert Hedge(phrase="  bis   zu ", kind="upper") == BIS_ZU
    assert len({BIS_ZU, Hedge(phrase="bis zu", kind="upper")}) == 1
    assert all(isinstance(h, Hedge) for h in BUILTIN_HEDGES)


class _GermanHedges:
    @cr.hookimpl
    def claimrecon_hedges(self) -> list[Hedge]:
        return [RUND, BIS_ZU, TAUSENDE]


def test_a_plugin_adds_hedges_through_the_hook(pm: pluggy.PluginManager) -> None:
    with pytest.raises(HedgeParseError):
        parse_quantity("rund 14,000", plugin_manager=pm)
    cr.register(_GermanHedges(), name="german-hedges", plugin_manager=pm)
    assert parse_quantity("rund 14,000", plugin_manager=pm).value == 14_000
    assert parse_quantity("bis zu 15,000 Soldaten", plugin_manager=pm) == q(
        upper=15_000, unit="Soldaten"
    )
    found = list(find_quantities("Es waren Tausende, rund 14,000.", plugin_manager=pm))
    assert [f.phrase for f in found] == ["Tausende", "rund 14,000"]


class _BrokenHedges:
    @cr.hookimpl
    def claimrecon_hedges(self) -> list[Hedge]:
        raise RuntimeError("no vocabulary today")


def test_each_of_a_plugins_hedge_lists_counts(pm: pluggy.PluginManager) -> None:
    class Austrian:  # two implementations of the hook (pluggy's specname=)
        @cr.hookimpl
        def claimrecon_hedges(self) -> list[Hedge]:
            return [RUND]

        @cr.hookimpl(specname="claimrecon_hedges")
        def more(self) -> list[Hedge]:
            return [BIS_ZU]

    class Without:  # a wrapper: not run, a failing plugin
        @cr.hookimpl(wrapper=True)
        def claimrecon_hedges(self) -> object:
            return (yield)

    cr.register(Austrian(), name="austrian", plugin_manager=pm)
    assert parse_quantity("rund 14,000", plugin_manager=pm).value == 14_000
    assert parse_quantity("bis zu 15,000", plugin_manager=pm).upper == 15_000
    cr.register(Without(), name="without", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="plugin 'without', hook 'claimrecon_hedges': is a "
                       "hook wrapper"):
        parse_quantity("rund 14,000", plugin_manager=pm)


def test_a_failing_hedge_plugin_is_reported_as_a_plugin_error(pm: pluggy.PluginManager) -> None:
    cr.register(_BrokenHedges(), name="broken-hedges", plugin_manager=pm)
    with pytest.raises(cr.PluginError, match="broken-hedges"):
        parse_quantity("about 14,000", plugin_manager=pm)


# --- direction rules, as properties ---------------------------------------------------------

FAMILIES = {
    "symmetric": ["about", "around", "some", "roughly", "approximately", "an estimated", "~"],
    "upper": ["up to", "as many as", "at most", "no more than", "fewer than", "less than",
              "up to about"],
    "lower": ["over", "more than", "at least", "upwards of", "in excess of", "more than about"],
    "near-upper": ["nearly", "almost", "just under", "close to"],
    "near-lower": ["just over"],
}


def _grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@given(
    n=st.integers(min_value=1, max_value=10**12),
    family=st.sampled_from(sorted(FAMILIES)),
    pick=st.integers(min_value=0, max_value=100),
    sep=st.sampled_from([",", "\u00a0", " "]),
    upper_case=st.booleans(),
)
def test_the_direction_rule_holds_for_any_figure_and_hedge(
    n: int, family: str, pick: int, sep: str, upper_case: bool
) -> None:
    hedges = FAMILIES[family]
    text = f"{hedges[pick % len(hedges)]} {_grouped(n, sep)}"
    got = core(text.upper() if upper_case else text)
    x = float(n)
    if family == "symmetric":
        assert got.value == x and got.contains(x)
        assert got.lower is not None and got.upper is not None and got.lower < x < got.upper
    elif family == "upper":
        assert (got.value, got.lower, got.upper) == (None, None, x)
    elif family == "lower":
        assert (got.value, got.lower, got.upper) == (None, x, None)
    elif family == "near-upper":
        assert got.upper == x and got.lower is not None and got.lower < x and got.value is None
    else:
        assert got.lower == x and got.upper is not None and got.upper > x and got.value is None


@given(st.integers(min_value=0, max_value=10**15))
def test_a_bare_grouped_integer_is_that_integer(n: int) -> None:
    assert core(f"{n:,}") == q(value=float(n))


@given(a=st.integers(min_value=0, max_value=10**9), b=st.integers(min_value=0, max_value=10**9))
def test_a_range_keeps_both_stated_figures_as_its_bounds(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    for text in (f"between {lo:,} and {hi:,}", f"{lo:,}-{hi:,}", f"from {lo:,} to {hi:,}"):
        assert core(text) == q(lower=lo, upper=hi)


# --- finding figures in documents ------------------------------------------------------------

SEED_PHRASES = {
    "000_605eeff212df7c76.txt": ["thousands", "around 14,000", "$90 Million"],
    "001_034b9654dd130859.txt": ["two", "around 14,000", "3,000", "about 1,200",
                                 "as many as 4,000"],
    "002_e466ae1f60d4263a.txt": ["thousands", "two", "two", "around 14,000", "3,000", "25"],
    "003_6214744c4b91ee6c.txt": ["thousands", "12,000", "an estimated 3,000", "30", "three"],
    "004_d9466bbddd1b7e96.txt": ["over a 100", "about 12,000", "about 8,000", "about 2 million",
                                 "thousands", "close to 1,000", "over 12,000", "$2,000", "100",
                                 "four", "UP TO ABOUT 15,000", "ABOUT 1,000", "$2,000"],
}


def _seed(name: str) -> str:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"the seed article {path} is not in this checkout")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SEED_PHRASES))
def test_every_hedged_figure_of_a_seed_article_is_found(name: str) -> None:
    text = _seed(name)
    found = list(find_quantities(text))
    assert [f.phrase for f in found] == SEED_PHRASES[name]
    for f in found:
        assert text[f.start:f.end] == f.phrase
        assert parse_quantity(f.phrase) == f.quantity


def test_the_figures_of_the_reuters_seed_read_as_the_design_says() -> None:
    found = {f.phrase: f.quantity for f in find_quantities(_seed("001_034b9654dd130859.txt"))}
    assert found["around 14,000"] == q(value=14_000, lower=12_600, upper=15_400)
    assert found["3,000"] == q(value=3_000)
    assert found["about 1,200"] == q(value=1_200, lower=1_080, upper=1_320)
    assert found["as many as 4,000"] == q(upper=4_000)
    assert "2025" not in found and "28" not in found and "2024" not in found


def test_the_key_points_of_the_blog_seed_read_as_the_design_says() -> None:
    found = list(find_quantities(_seed("004_d9466bbddd1b7e96.txt")))
    by_phrase = {f.phrase: f.quantity for f in found}
    assert by_phrase["UP TO ABOUT 15,000"] == q(upper=15_000)
    assert by_phrase["close to 1,000"] == q(lower=950, upper=1_000)
    assert by_phrase["over 12,000"] == q(lower=12_000)
    assert by_phrase["$2,000"] == q(value=2_000, unit="USD")
    assert by_phrase["about 2 million"] == q(value=2e6, lower=1.8e6, upper=2.2e6)


@pytest.mark.parametrize(
    "text",
    [
        "In 2024 the war went on.",
        "the 2025 LA wildfires",
        "Published April 28, 2025",
        "PublishedApril 28, 2025",
        "On 28 April they left.",
        "on Sept. 3",
        "12-15 October",
        "the 28th of May",
        "by 2025-04-28",
        "F-16s and Su-27s",
        "G7 and A400M",
        "a 25-year-old journalist",
        "at 10:30, 24/7, after 9/11",
        "the first time",
        "one of the world's",
        "the 1990s, mid-2024 and 2024's vote",
        "between 2020 and 2024",
        "¥100",
        "100m sprint",
        "often tenth",
        "won 3-2",
        "12 000 soldiers",
        "officials said 12 000.",  # ("12" and "000": one figure or two? never guessed)
        "about 12 000, officials said",
        "a Phase 3b trial, gate 7B",  # (a bare "b" is no billion: "3bn", "$3b")
    ],
)
def test_years_dates_ordinals_and_identifiers_are_not_taken_for_figures(text: str) -> None:
    assert [f.phrase for f in find_quantities(text)] == []


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("a 12,000-strong force", ["12,000"]),
        ("casualties rose from 3,000 to 12,000", ["3,000", "12,000"]),
        ("estimates range from 1,200 to 4,000", ["from 1,200 to 4,000"]),
        ("between 10,000 and 12,000 died", ["between 10,000 and 12,000"]),
        ("cut 12,000 to 10,000", ["12,000", "10,000"]),
        ("the toll rose by 3,000 to 12,000.", ["3,000", "12,000"]),  # a change, a level
        ("rose 10% to 12,000 and cut 5% to 2,000", ["10%", "12,000", "5%", "2,000"]),
        ("rose 2 to 3%", ["2 to 3%"]),  # (the size of a change, as a range)
        ("grew by 2 to 3 percent", ["2 to 3 percent"]),
        ("deaths rose by 3,000-4,000", ["3,000-4,000"]),  # (the size of a change)
        ("it grew by about 2 to 3 million", ["about 2 to 3 million"]),
        ("fell by 5 or 6", ["5 or 6"]),
        ("rose from 2 to 3 million", ["from 2 to 3 million"]),  # never "2" alone
        ("rose from 900,000 to 1.2 million", ["900,000", "1.2 million"]),  # (not shared)
        ("grew by 800 to 2 million", ["800", "2 million"]),
        ("prices rose by 10 to 15 euros", ["10 to 15 euros"]),  # (no figure without its unit)
        ("rose by 3,000 to more or less 12,000", ["3,000", "more or less 12,000"]),
        ("up 30% on 2023", ["30%"]),
        ("some 3,000 people, a dozen, about a dozen", ["some 3,000", "a dozen", "about a dozen"]),
        ("one thousand soldiers", ["one thousand"]),
        ("$2.5m and €5bn and 1.2k", ["$2.5m", "€5bn", "1.2k"]),
        ("14,000+ or 14,000 or more", ["14,000+", "14,000 or more"]),
        ("~14,000, c. 1,200 and ≥ 6,000", ["~14,000", "c. 1,200", "≥ 6,000"]),
        ("around\n14,000", ["around\n14,000"]),
        ("thousands to tens of thousands", ["thousands", "tens of thousands"]),
        ("about 2,000 troops (not 2000)", ["about 2,000"]),
        ("two and a half million people", ["two and a half million"]),
        ("in over a 100 years", ["over a 100"]),
    ],
)
def test_hedged_figures_in_running_text_are_found_whole(text: str, phrases: list[str]) -> None:
    found = list(find_quantities(text))
    assert [f.phrase for f in found] == phrases
    for f in found:
        assert text[f.start:f.end] == f.phrase
        assert parse_quantity(f.phrase) == f.quantity


def test_found_quantities_follow_the_policy() -> None:
    p = HedgePolicy(symmetric=0.5)
    (found,) = find_quantities("about 100 people", policy=p)
    assert found == FoundQuantity(start=0, end=9, phrase="about 100",
                                  quantity=q(value=100, lower=50, upper=150))


def test_find_reads_a_currency_scale_a_space_apart_and_passes_over_huge_figures() -> None:
    found = list(find_quantities("It cost $3 m last year, not 1" + "0" * 400_001 + " nor 5k."))
    assert [(f.phrase, f.quantity.value, f.quantity.unit) for f in found] == [
        ("$3 m", 3e6, "USD"), ("5k", 5e3, None)]
    found = list(find_quantities("Two or three thousand came; 12,000 or more, or 9 or 7."))
    assert [(f.phrase, f.quantity.lower, f.quantity.upper) for f in found] == [
        ("Two or three thousand", 2_000, 3_000), ("12,000 or more", 12_000, None),
        ("9", 9, 9), ("7", 7, 7)]


def test_find_quantities_is_lazy_but_checks_its_argument_at_once() -> None:
    with pytest.raises(TypeError, match="expects a string"):
        find_quantities(None)  # type: ignore[arg-type]


def test_the_pure_finder_takes_extra_hedges_directly() -> None:
    found = list(_find("rund 14,000 und Tausende", DEFAULT, (RUND, TAUSENDE)))
    assert [f.phrase for f in found] == ["rund 14,000", "Tausende"]


PIECES = ["about", "up to", "over", "nearly", "between", "and", "to", "-", "troops", "in",
          "April", "2024", "28,", "the", "$", "%", "thousands", "a dozen", "three", "one",
          "12,000", "3,000", "1.5", "million", "bn", "or more", "\n", ",", ".", "F-16", "~"]


@given(st.lists(st.sampled_from(PIECES), max_size=25), st.sampled_from(["", " "]))
def test_every_phrase_found_parses_to_the_quantity_found(pieces: list[str], glue: str) -> None:
    text = " ".join(pieces) if not glue else glue.join(pieces)
    for f in find_quantities(text):
        assert text[f.start:f.end] == f.phrase
        assert parse_quantity(f.phrase) == f.quantity


# --- speed and the public face -----------------------------------------------------------------


def test_parsing_does_not_compile_anything_per_call() -> None:
    parse_quantity("up to about 15,000")  # warm the caches
    start = time.perf_counter()
    for _ in range(1_000):
        parse_quantity("up to about 15,000")
    assert time.perf_counter() - start < 1.0  # about 20 µs each; compiling costs milliseconds


def test_the_public_names_are_re_exported_from_claimrecon() -> None:
    missing = [n for n in ("Hedge", "HedgePolicy", "parse_quantity", "find_quantities",
                           "FoundQuantity") if not hasattr(cr, n)]
    if missing:
        pytest.skip(f"claimrecon does not re-export {', '.join(missing)} yet")
    assert cr.parse_quantity is parse_quantity
    assert cr.Hedge is Hedge
