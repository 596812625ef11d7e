"""Stored texts and names are plain text once and for all: markup never survives, however it is
encoded, while emoji built with zero-width joiners stay whole."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from questions.automod import analyse, check_name, flag_labels, normalise
from questions.automod.labels import FLAG_LABELS, field_labels

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # 👩‍👩‍👧
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"  # 🏳️‍🌈


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("&lt;img src=x onerror=alert(1)&gt;", ""),
        ("Hi &lt;img src=x onerror=alert(1)&gt; there?", "Hi there?"),
        ("&amp;lt;img src=x onerror=alert(1)&amp;gt;Why?", "Why?"),
        ("&amp;amp;lt;script&amp;amp;gt;alert(1)&amp;amp;lt;/script&amp;amp;gt;Why?", "Why?"),
        ("&#60;b&#62;Bold&#60;/b&#62; question?", "Bold question?"),
        ("<p>&lt;a href=&quot;https://x.example&quot;&gt;click&lt;/a&gt;</p>", "click"),
    ],
)
def test_an_encoded_tag_is_stripped_not_decoded_into_markup(raw, plain):
    assert normalise(raw) == plain


@pytest.mark.parametrize(
    "raw",
    [
        "&lt;img src=x onerror=alert(1)&gt;",
        "&amp;lt;svg onload=alert(1)&amp;gt;",
        "<<b>b>img src=x onerror=alert(1)>",
        "<scr<script>ipt>alert(1)</script>",
    ],
)
def test_no_tag_is_left_in_a_stored_text(raw):
    text = normalise(f"Question {raw} ?")
    assert not re.search(r"<\s*[a-zA-Z/!]", text)
    assert normalise(text) == text  # applied again, nothing changes


def test_what_plain_text_looks_like_markup_still_survives():
    assert normalise("I <3 you & R&D, 2 < 3 &lt;3") == "I <3 you & R&D, 2 < 3 <3"


def test_joined_emoji_survive_in_texts():
    text = normalise(f"Une question pour {FAMILY} et {RAINBOW_FLAG} ?")
    assert FAMILY in text
    assert RAINBOW_FLAG in text
    assert analyse(f"Une question pour {FAMILY} ?", max_length=280).text.count("\u200d") == 2


def test_a_joiner_between_letters_is_removed():
    assert normalise("con\u200dnard\u200d") == "connard"


def test_joined_emoji_survive_in_names():
    name, flags = check_name(f"Camille {FAMILY}")
    assert name == f"Camille {FAMILY}"
    assert flags == ()


def test_names_are_stored_without_markup():
    name, flags = check_name("<b>Camille</b>&lt;script&gt;alert(1)&lt;/script&gt;")
    assert name == "Camille"
    assert [(f.code, f.field) for f in flags] == [("markup", "name")]


def test_a_name_flag_says_it_is_about_the_name():
    _name, flags = check_name("connard 06 12 34 56 78")
    assert [f.as_dict()["field"] for f in flags] == ["name", "name"]
    assert [f.code for f in flags] == ["profanity", "personal_data"]
    assert all(f.as_dict()["reason"].startswith("Name: ") for f in flags)


def test_text_flags_keep_their_shape():
    (flag,) = analyse("See example.com for more?", max_length=280).flags
    assert flag.as_dict() == {"code": "link", "reason": 'Link: "example.com"'}


def test_stored_reasons_are_english_whatever_the_active_language():
    with translation.override("fr"):
        (flag,) = analyse("Call me on 06 12 34 56 78 please?", max_length=280).flags
        assert flag.as_dict()["reason"].startswith("Personal data: phone number")
        assert str(flag).startswith("Données personnelles")


def test_every_flag_code_has_a_french_label():
    with translation.override("fr"):
        labels = flag_labels()
        fields = field_labels()
    with translation.override("en"):
        english = flag_labels()
    assert (
        set(labels)
        == set(FLAG_LABELS)
        >= {
            "profanity",
            "personal_data",
            "link",
            "shouting",
            "markup",
            "unchecked",
            "flood",
            "banned",
            "duplicate",
        }
    )
    assert labels["profanity"] == "Grossièreté"
    assert labels["personal_data"] == "Données personnelles"
    assert all(labels[code] != english[code] for code in labels)
    assert fields["name"] == "Nom"
