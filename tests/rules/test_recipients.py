"""The recipient helpers the list operators and the notifier share with validate_send."""

from __future__ import annotations

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.rules.inputs import check_recipients, normalize_recipients, split_recipients


def test_split_accepts_every_shape():
    assert split_recipients("0612345678, 0612345679") == ["0612345678", "0612345679"]
    assert split_recipients('["0612345678"]') == ["0612345678"]
    assert split_recipients([{"recipient": "+33612345678"}]) == [{"recipient": "+33612345678"}]
    assert split_recipients(None) == []
    with pytest.raises(SmsValidationError, match="not valid JSON"):
        split_recipients("[0612")


def test_normalize_dedupes_in_order_and_reports_all_bad_entries_masked():
    assert normalize_recipients(["0612345679", "+33612345678", "06 12 34 56 79"]) == [
        "+33612345679",
        "+33612345678",
    ]
    with pytest.raises(SmsValidationError) as info:
        normalize_recipients(["0612345678", "0142345678", "hello"])
    text = str(info.value)
    assert "recipients[1]" in text
    assert "recipients[2]" in text
    assert "0142345678" not in text
    assert "+33142345678" not in text
    with pytest.raises(SmsValidationError, match="no recipients given"):
        normalize_recipients([])


def test_check_recipients_skip_mode_keeps_the_good_ones():
    valid, invalid, duplicates, problems = check_recipients(
        ["0612345678", "bad", "0612345678"], on_invalid="skip"
    )
    assert valid == ["+33612345678"]
    assert [i["index"] for i in invalid] == [1]
    assert duplicates == 1
    assert problems == []
