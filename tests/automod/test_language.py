from __future__ import annotations

import pytest

from questions.automod import analyse


def language(text: str) -> str:
    return analyse(text, max_length=500).language


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour Aya, d'où vient le titre de votre nouvel album ?",
        "Pourquoi les prix de l'électricité ont-ils autant augmenté ?",
        "c koi ton plat préféré",
        "Merci pour cette émission",
        "Vous êtes tous des connards",
        "Question pour Aya",
    ],
)
def test_it_recognises_french(text):
    assert language(text) == "fr"


@pytest.mark.parametrize(
    "text",
    [
        "What inspired the lyrics of your new single?",
        "How long did it take to record the album?",
        "wat r u doing next year",
        "Thanks for the show",
        "FUCK YOU ALL AND YOUR STUPID SHOW",
        "Question for Aya",
    ],
)
def test_it_recognises_english(text):
    assert language(text) == "en"


@pytest.mark.parametrize("text", ["ok", "lol", "👏👏👏", "Aya !", "06 12 34 56 78"])
def test_it_is_unsure_of_very_short_texts(text):
    assert language(text) == ""


@pytest.mark.parametrize(
    "text", ["Wie geht es dir heute, und was machst du?", "¿Cuándo sale el nuevo disco?"]
)
def test_it_is_unsure_of_other_languages(text):
    assert language(text) == ""


def test_links_and_addresses_do_not_sway_it():
    assert language("Écoutez https://www.example.com/the-best-english-words-here ce soir") == "fr"
