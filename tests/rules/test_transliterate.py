"""unsupported_characters: the replacement table both ways, and the modes per gateway (no server)."""

from __future__ import annotations

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks.primotexto_api import PRIMOTEXTO_CHARS
from airflow_provider_sms.rules.text import GSM7_BASIC, GSM7_EXTENSION
from airflow_provider_sms.rules.transliterate import (
    GSM7_ALPHABET,
    REPLACEMENTS,
    closest_form,
    transliterate,
)
from tests.helpers.gateway_rules import validate_send

NUMBER = "+33612345678"


def test_every_key_of_the_table_becomes_its_value_where_the_alphabet_lacks_it():
    keys = "".join(REPLACEMENTS)
    prepared = transliterate(keys, PRIMOTEXTO_CHARS)  # Primotexto lacks every key
    assert prepared.text == "".join(REPLACEMENTS.values())
    assert prepared.replaced_count == len(REPLACEMENTS)
    lacking = "".join(k for k in REPLACEMENTS if k not in GSM7_ALPHABET)
    assert transliterate(lacking, GSM7_ALPHABET).text == "".join(REPLACEMENTS[k] for k in lacking)


def test_every_value_of_the_table_is_gsm7_and_primotexto():
    for value in REPLACEMENTS.values():
        assert all(c in GSM7_ALPHABET and c in PRIMOTEXTO_CHARS for c in value), value


@pytest.mark.parametrize("alphabet", [GSM7_ALPHABET, PRIMOTEXTO_CHARS])
def test_text_already_in_the_alphabet_is_unchanged(alphabet):
    text = "".join(sorted(alphabet))
    prepared = transliterate(text, alphabet)
    assert prepared.text == text
    assert prepared.replaced == {}


def test_all_of_gsm7_is_unchanged():
    text = "".join(sorted(GSM7_BASIC | GSM7_EXTENSION))
    assert transliterate(text, GSM7_ALPHABET).text == text


@pytest.mark.parametrize(
    ("char", "form"), [("ê", "e"), ("Ê", "E"), ("ï", "i"), ("ô", "o"), ("û", "u"), ("ÿ", "y"), ("ã", "a")]
)
def test_accented_letters_fall_back_to_their_base_letter(char, form):
    assert closest_form(char, GSM7_ALPHABET) == form


def test_gsm7_letters_primotexto_lacks_are_replaced_there_only():
    assert transliterate("ÉÄÇ", PRIMOTEXTO_CHARS).text == "EAC"
    assert transliterate("ÉÄÇ", GSM7_ALPHABET).text == "ÉÄÇ"


def test_what_has_no_form_is_kept_and_counted_apart():
    prepared = transliterate("ok 😀 ç", GSM7_ALPHABET)
    assert prepared.text == "ok 😀 c"
    assert prepared.replaced == {"ç": 1}


FRANCOIS = "Bonjour François, votre commande\u2026"


def test_primotexto_replace_sends_one_gsm7_segment():
    send = validate_send([NUMBER], FRANCOIS, vendor="primotexto", unsupported_characters="replace")
    assert send.request.message == "Bonjour Francois, votre commande..."
    assert (send.segments.encoding, send.segments.segments) == ("GSM-7", 1)
    assert send.replaced_characters == {"ç": 1, "\u2026": 1}


def test_primotexto_default_fails_and_names_the_way_out():
    with pytest.raises(SmsValidationError) as caught:
        validate_send([NUMBER], FRANCOIS, vendor="primotexto")
    (problem,) = caught.value.problems
    assert "Primotexto refuses: 'ç', '…' (its code 31)" in problem
    assert "unsupported_characters='replace'" in problem
    assert "François" not in str(caught.value)


def test_primotexto_refuses_unicode_at_validation():
    with pytest.raises(SmsValidationError, match="Primotexto publishes only its character list"):
        validate_send([NUMBER], "Hello", vendor="primotexto", unsupported_characters="unicode")


def test_smspartner_default_and_unicode_keep_the_text_in_ucs2():
    for mode in (None, "unicode"):
        send = validate_send([NUMBER], FRANCOIS, vendor="smspartner", unsupported_characters=mode)
        assert send.request.message == FRANCOIS
        assert send.segments.encoding == "UCS-2"


def test_smspartner_fail_refuses_what_gsm7_lacks():
    with pytest.raises(SmsValidationError, match=r"SMS Partner refuses: 'ç', '…' \(not GSM-7\)"):
        validate_send([NUMBER], FRANCOIS, vendor="smspartner", unsupported_characters="fail")


def test_replace_reports_what_has_no_replacement():
    with pytest.raises(SmsValidationError, match="no GSM-7 replacement: '😀'"):
        validate_send([NUMBER], "Merci 😀", vendor="smspartner", unsupported_characters="replace")


def test_an_unknown_mode_is_refused():
    with pytest.raises(SmsValidationError, match="unsupported_characters must be one of"):
        validate_send([NUMBER], "Hi", vendor="smspartner", unsupported_characters="ascii")


def test_replacement_counts_segments_of_the_text_sent():
    # 70 UCS-2 units in UCS-2 would be 2 SMS at 71; replaced, 71 characters are 1 GSM-7 SMS.
    text = "ç" * 71
    assert validate_send([NUMBER], text, vendor="smspartner").segments.segments == 2
    replaced = validate_send([NUMBER], text, vendor="smspartner", unsupported_characters="replace")
    assert (replaced.segments.encoding, replaced.segments.segments) == ("GSM-7", 1)
