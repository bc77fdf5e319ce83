"""The scorecard page's fields as the services receive them: whole numbers, or None (which the service
refuses with the allowed range) — never an exception from a stray character."""
from types import SimpleNamespace

from blueprints.evaluation import forms


def test_whole_numbers_and_everything_else():
    assert [forms.whole_number(v) for v in ("7", " 10 ", "-1", "0")] == [7, 10, -1, 0]
    assert [forms.whole_number(v) for v in ("", None, "7.5", "ten", "--5", "5-", "١٢", "9" * 40)] == [None] * 8


def test_marks_by_criterion_name_blank_ones_left_out():
    criteria = [SimpleNamespace(id=1, name="staffing plan"), SimpleNamespace(id=2, name="training"),
                SimpleNamespace(id=3, name="references")]
    assert forms.marks({"c1": "8", "c2": " ", "c3": "x"}, criteria) == {"staffing plan": 8, "references": None}
    assert forms.whole_numbers(["3", "x", "", "12"]) == [3, 12]
