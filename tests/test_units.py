import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parkgis.errors import AreaParseError, DataError
from parkgis.measure.units import (
    SQM_PER_MU,
    Reading,
    mu_to_sqm,
    parse_area,
    read_quantity,
    sqm_to_mu,
)


def test_known_answers():
    assert sqm_to_mu(10_000) == 15.0
    assert mu_to_sqm(1) == pytest.approx(666.6667, abs=1e-4)
    assert sqm_to_mu(1_000_000) == pytest.approx(1500.0)
    assert pytest.approx(10_000) == SQM_PER_MU * 15


@pytest.mark.parametrize(
    ("text", "mu"),
    [
        ("30亩", 30.0),
        ("约30亩", 30.0),
        ("近700亩", 700.0),
        ("2.5公顷", 37.5),
        ("0.3平方公里", 450.0),
        ("4800平方米", 7.2),
        ("12.5 mu", 12.5),
        ("1,200亩", 1200.0),
        ("３０亩", 30.0),
        (" 15 ha ", 225.0),
    ],
)
def test_parse_area(text, mu):
    assert parse_area(text) == pytest.approx(mu, abs=1e-9)


@pytest.mark.parametrize(
    "text", ["abc", "30", "-3亩", "30斤", "亩", "三十亩", "30亩地", "", "30-40亩", "30米"]
)
def test_parse_area_refuses(text):
    with pytest.raises(AreaParseError, match="area"):
        parse_area(text)


def test_bare_number_needs_a_unit():
    with pytest.raises(AreaParseError, match="no unit"):
        parse_area(30)
    assert parse_area(30, default_unit="亩") == 30.0
    assert parse_area("4800", default_unit="平方米") == pytest.approx(7.2)


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_round_trip_mu_sqm(mu):
    assert math.isclose(sqm_to_mu(mu_to_sqm(mu)), mu, rel_tol=1e-12, abs_tol=1e-12)


@given(st.decimals(min_value=0, max_value=100000, places=3))
def test_parse_written_mu_round_trip(value):
    assert parse_area(f"{value}亩") == pytest.approx(float(value), abs=1e-9)


# -- numbers as ledgers write them: approximate, exponent, units beside them ----------


@pytest.mark.parametrize(
    "text", ["约30亩", "30亩左右", "~30", "～30", "30余亩", "30多亩", "近30亩"]
)
def test_approximate_areas_are_read_and_said_to_be_approximate(text):
    assert read_quantity(text, unit="亩") == Reading(30.0, approximate=True)


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("30亩", "亩", 30.0),
        ("2.5公顷", "亩", 37.5),
        ("4800平方米", "亩", 7.2),
        ("0.3平方公里", "亩", 450.0),
        ("1,234.5", "亩", 1234.5),
        ("１，２３４．５", "亩", 1234.5),  # full-width digits, comma and point
        ("3000万元", "万元", 3000.0),
        ("3000万", "万元", 3000.0),
        ("1.2亿", "万元", 12000.0),
        ("1.2亿元", "万元", 12000.0),
        ("220kV", "kV", 220.0),
        ("220 KV", "kV", 220.0),
        ("220千伏", "kV", 220.0),
        ("30米", "m", 30.0),
        ("30m", "m", 30.0),
        ("0.5公里", "m", 500.0),
        ("91%", "%", 91.0),
        ("1,234.5", None, 1234.5),
        (25, "m", 25.0),
    ],
)
def test_units_beside_a_number_are_converted_without_a_doubt(text, unit, value):
    assert read_quantity(text, unit=unit) == Reading(value)


def test_exponent_notation_is_read_with_a_doubt():
    reading = read_quantity("1e1", unit="亩")
    assert (reading.value, reading.approximate) == (10.0, False)
    assert reading.doubt == "written in exponent notation: '1e1' is 10"
    assert read_quantity("1.5E3", unit=None).value == 1500.0


def test_yuan_in_a_wan_field_is_converted_with_a_doubt():
    reading = read_quantity("5000元", unit="万元")
    assert reading.value == 0.5
    assert reading.doubt == (
        "written in 元, converted to 0.5 万元; ledgers usually mean 万元: check the figure"
    )


@pytest.mark.parametrize(
    ("text", "unit", "error", "message"),
    [
        ("220亩", "kV", DataError, r"voltage_kv '220亩' is an area \(亩\), but voltage_kv is a "
         r"voltage in kV \(e\.g\. '220kV'"),
        ("30米", "亩", AreaParseError, r"'30米' is a length \(米\), but voltage_kv is an area "
         r"in 亩"),
        ("30kg", "m", DataError, r"'30kg' has the unknown unit 'kg'; voltage_kv is in m"),
        ("3000万元", None, DataError, r"'3000万元' carries a unit \(万元\); .*write the number "
         r"alone"),
        ("-5米", "m", DataError, r"'-5米' is negative"),
        ("abc", "万元", DataError, r"'abc' is not a number followed by a unit; write it as e\.g\. "
         r"'3000万元'"),
    ],
)  # fmt: skip
def test_a_unit_that_does_not_fit_the_field_is_refused(text, unit, error, message):
    with pytest.raises(error, match=message) as info:
        read_quantity(text, unit=unit, what="voltage_kv", what_zh="电压(kV)")
    assert info.value.zh.startswith(f"电压(kV) {text!r}")
