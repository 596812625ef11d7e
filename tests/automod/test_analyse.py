from __future__ import annotations

import dataclasses

import pytest

from questions.automod import Analysis, Flag, GuestRef, analyse


def test_it_returns_everything_the_submission_needs():
    analysis = analyse(
        "<p>@aya Pourquoi tu m'appelles pas au 06 12 34 56 78, putain ?</p>",
        max_length=280,
        guests=[GuestRef(id=7, name="Aya Lune", handles=("@aya",))],
    )
    assert analysis == Analysis(
        text="@aya Pourquoi tu m'appelles pas au 06 12 34 56 78, putain ?",
        language="fr",
        is_question=True,
        guest_id=7,
        flags=(
            Flag("profanity", 'Profanity: "p****n"'),
            Flag("personal_data", 'Personal data: phone number "•• •• •• •• 78"'),
        ),
    )


def test_a_clean_question_has_no_flags():
    analysis = analyse("What inspired the lyrics of your new single?", max_length=280)
    assert analysis.flags == ()
    assert analysis.language == "en"
    assert analysis.is_question


def test_flags_come_one_per_check_in_a_fixed_order():
    analysis = analyse("FUCK THIS SHOW, CALL 06 12 34 56 78 OR GO TO WWW.SPAM.COM", max_length=280)
    assert [flag.code for flag in analysis.flags] == [
        "profanity",
        "personal_data",
        "link",
        "shouting",
    ]


def test_flags_are_plain_data_for_the_moderation_log():
    flag = Flag("link", 'Link: "example.com"')
    assert flag.as_dict() == {"code": "link", "reason": 'Link: "example.com"'}
    with pytest.raises(dataclasses.FrozenInstanceError):
        flag.code = "other"  # type: ignore[misc]


def test_an_empty_message_is_to_be_dropped():
    analysis = analyse("<p> \u200b </p>", max_length=280)
    assert analysis == Analysis(text="", language="", is_question=False, guest_id=None, flags=())


def test_a_long_message_is_cut_when_asked():
    analysis = analyse("Pourquoi " * 40, max_length=50, truncate=True)
    assert len(analysis.text) <= 50
    assert analysis.text.endswith("…")


def test_a_long_message_is_kept_whole_otherwise():
    assert len(analyse("Pourquoi " * 40, max_length=50).text) > 50


def test_the_checks_read_what_the_cut_leaves_out():
    raw = "Une très longue question sur la réforme des retraites, appelez-moi au 06 12 34 56 78"
    analysis = analyse(raw, max_length=40, truncate=True)
    assert "06" not in analysis.text
    assert [flag.code for flag in analysis.flags] == ["personal_data"]


def test_station_lists_reach_the_profanity_check():
    blocked = analyse("Quelle tapette", max_length=100, blocked=["tapette"])
    allowed = analyse("Quelle tapette", max_length=100, blocked=["tapette"], allowed=["tapette"])
    assert [flag.code for flag in blocked.flags] == ["profanity"]
    assert allowed.flags == ()
