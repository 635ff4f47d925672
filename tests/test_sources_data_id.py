"""skybkg_adapters.sources.data_id: the one parser of typed data ids and id lists."""

from __future__ import annotations

import pytest

from skybkg_adapters import format_data_id, parse_data_id, parse_int_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("visit=512055, detector=75", {"visit": 512055, "detector": 75}),
        ("tract=4226; patch=17, band=r", {"tract": 4226, "patch": 17, "band": "r"}),
        ("visit=512055,detector=75", {"visit": 512055, "detector": 75}),
        ("band = i , physical_filter=i_sim_1.4", {"band": "i", "physical_filter": "i_sim_1.4"}),
        ("offset=-3", {"offset": -3}),
    ],
)
def test_parse_data_id(text, expected):
    assert parse_data_id(text) == expected
    assert parse_data_id(format_data_id(expected)) == expected


@pytest.mark.parametrize("text", ["visit 5", "visit=", "=5", "", " , "])
def test_parse_data_id_refuses_what_is_not_key_value(text):
    with pytest.raises(ValueError, match="key=value|enter a data id"):
        parse_data_id(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512055", [512055]),
        ("1,2,5-7", [1, 2, 5, 6, 7]),
        (" 0-2 , 10 ", [0, 1, 2, 10]),
        ("7,3", [7, 3]),
    ],
)
def test_parse_int_list(text, expected):
    assert parse_int_list(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("a-b", "0-188,190"), ("5-2", "backwards"), ("", "0-188,190"), ("1,,x", "'x'")],
)
def test_parse_int_list_names_the_bad_part(text, message):
    with pytest.raises(ValueError, match=message):
        parse_int_list(text)
