from __future__ import annotations

import pytest

from questions.automod import analyse


def profanity_reason(text: str, **kwargs) -> str | None:
    flags = {f.code: f.reason for f in analyse(text, max_length=500, **kwargs).flags}
    return flags.get("profanity")


@pytest.mark.parametrize(
    "text",
    [
        "This is fucking ridiculous",
        "What the f*ck, Marc?",
        "fuk off",
        "sh1t question",
        "sh!t question",
        "fuuuuuck yes",
        "f u c k   this",
        "f.u.c.k the government",
        "motherf***ers cut the ads",
        "@$$hole host",
        "you absolute c*nt",
        "such a b1tch",
        "Putain, encore ?",
        "p.u.t.a.i.n de réforme",
        "c o n n a r d",
        "Vous êtes des connards",
        "Enculé de politicien",
        "encule va",
        "ENCULÉ",
        "la réforme c'est de la m3rde",
        "Cette émission est de la m*rde",
        "Puuuuutaaaaain enfin",
        "Ta gueule Marc",
        "Mais quel con",
        "Nadia = sal0pe",
        "FDP le présentateur",
        "Quelle bande de trous du cul",
    ],
)
def test_it_flags_swear_words_however_they_are_written(text):
    assert profanity_reason(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Have you ever been to Scunthorpe?",
        "Is the assistance program open to students?",
        "I run a class on climate change",
        "What's the best cocktail for spicy food?",
        "Quel conseil donneriez-vous ?",
        "Vous ferez un concert à Lyon ?",
        "Le bitcoin consomme-t-il autant qu'un pays ?",
        "Je suis contre la réforme",
        "Mon fils entre au conservatoire",
        "Vous n'y connaissez rien",
        "Il est connecté ?",
        "Do you like shiitake mushrooms?",
        "The cockpit of the new Airbus",
        "Hancock's resignation",
        "Charles Dickens",
        "Une dispute au conseil municipal",
        "Une salopette en jean",
        "Le cul-de-sac de la rue Victor Hugo",
        "Damn, that was a good answer",
        "What the hell happened to the audio?",
        "c'est du grand n'importe quoi bordel",
    ],
)
def test_it_does_not_flag_words_that_merely_contain_or_resemble_one(text):
    assert profanity_reason(text) is None


def test_french_con_is_not_flagged_in_english_pros_and_cons():
    assert profanity_reason("What are the pros and cons of wind power compared to nuclear?") is None
    assert profanity_reason("Is it a con or a real offer, what do you think?") is None


def test_a_word_ordinary_in_the_other_language_counts_only_in_its_own():
    assert profanity_reason("Fancy a bite to eat after the show?") is None
    assert profanity_reason("Il a une grosse bite celui-là") is not None
    assert profanity_reason("Le train avait du retard ce matin, encore") is None


def test_the_reason_names_the_word_masked():
    assert profanity_reason("What the f*ck") == 'Profanity: "f**k"'
    assert profanity_reason("fuck this shit") == 'Profanity: "f**k", "s**t"'
    assert profanity_reason("Ta gueule") == 'Profanity: "ta g****e"'


def test_a_station_can_block_its_own_words_with_the_same_tolerance():
    assert profanity_reason("Quelle tapette", blocked=["tapette"]) == 'Profanity: "t*****e"'
    assert profanity_reason("Quelle t4p3tte", blocked=["Tapette"]) is not None
    assert profanity_reason("Quelle tapette") is None


def test_a_station_blocked_stem_covers_the_word_forms():
    assert profanity_reason("Les ripoux sont partout", blocked=["ripou*"]) is not None


def test_allowed_words_are_never_flagged():
    assert profanity_reason("Pussy Riot en concert ce soir", allowed=["Pussy Riot"]) is None
    assert profanity_reason("Le con de la rue", allowed=["con"]) is None
    assert profanity_reason("Pussy Riot, putain !", allowed=["Pussy Riot"]) == 'Profanity: "p****n"'


def test_allowed_wins_over_blocked():
    assert profanity_reason("tapette", blocked=["tapette"], allowed=["tapette"]) is None


def test_station_entries_that_would_match_everything_are_ignored():
    assert profanity_reason("Bonjour à tous", blocked=["*", "a*", "~", "()", 42, None]) is None
