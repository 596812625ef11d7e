from __future__ import annotations

import pytest

from questions.automod import GuestRef, analyse

GUESTS = (
    GuestRef(id=1, name="Aya Lune", handles=("@aya@piaille.fr", "aya.bsky.social")),
    GuestRef(id=2, name="Marc Dubois"),
    GuestRef(id=3, name="Hélène Marchand"),
    GuestRef(id=4, name="Marc Lévy"),
    GuestRef(id=5, name="Nadia de Souza"),
)


def guest(text: str) -> int | None:
    return analyse(text, max_length=500, guests=GUESTS).guest_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Aya Lune, quand sort l'album ?", 1),
        ("aya, quand sort l'album ?", 1),
        ("Question pour @aya : pourquoi ?", 1),
        ("@aya@piaille.fr tu passes à Nantes ?", 1),
        ("@aya.bsky.social une question", 1),
        ("MARC DUBOIS répondez", 2),
        ("Monsieur Dubois, une question", 2),
        ("helene, vous en pensez quoi ?", 3),
        ("Madame Marchand ?", 3),
        ("Mr Levy please", 4),
        ("Nadia, la piscine ?", 5),
    ],
)
def test_it_finds_the_guest_a_message_names(text, expected):
    assert guest(text) == expected


def test_a_first_name_two_guests_share_points_to_neither():
    assert guest("Marc, why?") is None


def test_the_full_name_settles_a_shared_first_name():
    assert guest("Marc Lévy, why?") == 4


def test_a_message_naming_two_guests_is_for_neither():
    assert guest("Aya et Hélène, vous êtes d'accord ?") is None


def test_grammatical_words_in_a_name_point_to_no_one():
    assert guest("Le prix de l'électricité ?") is None


def test_no_guests_means_no_guest():
    assert analyse("Aya ?", max_length=100).guest_id is None
    assert guest("What time is it?") is None
