import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parkgis.errors import AreaParseError
from parkgis.measure.units import SQM_PER_MU, mu_to_sqm, parse_area, sqm_to_mu


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
    "text", ["abc", "30", "-3亩", "30斤", "亩", "三十亩", "30亩地", "", "1e5亩"]
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
