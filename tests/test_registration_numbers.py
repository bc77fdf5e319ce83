"""The unified social credit code check (GB 32100-2015)."""
import pytest

from services import registration_numbers as rn


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_codes_are_valid(code):
    # Codes printed on real business licences (public registry entries).
    assert rn.is_valid(code)


@pytest.mark.parametrize("code", ["", "12345", "91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43",
                                  "91350100M000100Y43X"])
def test_wrong_shape_or_check_character(code):
    assert not rn.is_valid(code)


def test_normalise_and_complete():
    assert rn.is_valid(" 91350100m000100y43 ")
    assert rn.complete("91350100M000100Y4") == "91350100M000100Y43"
