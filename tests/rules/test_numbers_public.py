"""The public number helpers (airflow_provider_sms.rules.numbers) agree with the operators' checks."""

from __future__ import annotations

import pytest

from airflow_provider_sms.rules import numbers as public
from airflow_provider_sms.rules.inputs import check_recipients
from airflow_provider_sms.rules.numbers import (
    is_valid_number,
    normalize_number,
    normalize_numbers,
    number_problem,
)

SAMPLES = [
    "06 12 34 56 78",
    "+33 6 12 34 56 78",
    "0033612345678",
    "06.12.34.56.78",
    "01 45 67 89 12",
    "0699",
    "hello",
    "",
    "+999 1234567",
    "0692 12 34 56",
    33612345678,
]


def test_the_public_names_are_declared():
    assert set(public.__all__) >= {
        "normalize_number",
        "normalize_numbers",
        "number_problem",
        "is_valid_number",
    }


@pytest.mark.parametrize("raw", SAMPLES)
def test_number_problem_is_what_the_operators_say(raw):
    valid, invalid, _, _ = check_recipients([raw], on_invalid="skip")
    if valid:
        assert number_problem(raw) is None
        assert is_valid_number(raw)
        assert normalize_number(raw) == valid[0]
    else:
        assert number_problem(raw) == invalid[0]["reason"]
        assert not is_valid_number(raw)


def test_reasons_never_quote_the_number():
    assert number_problem("01 45 67 89 12") == "landline or non-mobile number (SMS needs a mobile)"
    with pytest.raises(ValueError) as caught:
        normalize_number("0145678912")
    assert "0145678912" not in str(caught.value)


def test_matching_crm_numbers_against_an_exported_stop_list():
    stop_list = [{"recipient": "+33612345678", "id": "1"}, {"recipient": "+33698765432", "id": "2"}]
    crm = ["06 12 34 56 78", "0611223344", "01 45 67 89 12", "+33 6 98 76 54 32"]
    stopped = {row["recipient"] for row in stop_list}
    matched = [raw for raw in crm if is_valid_number(raw) and normalize_number(raw) in stopped]
    assert matched == ["06 12 34 56 78", "+33 6 98 76 54 32"]
    assert normalize_numbers("06 12 34 56 78, +33612345678") == ["+33612345678"]
