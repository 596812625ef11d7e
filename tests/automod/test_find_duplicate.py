from __future__ import annotations

import pytest

from questions.automod import find_duplicate

EARLIER = [
    (10, "Aya, quand sort le prochain album ?"),
    (11, "What is your favourite film?"),
    (12, "Est-ce que vous ferez un concert à Lyon cet été ?"),
    (13, "Pourquoi les prix de l'électricité ont-ils autant augmenté cette année ?"),
    (14, "Can you play the acoustic version tonight?"),
    (15, "Merci !"),
    (16, "Will the documentary be available in the UK?"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aya quand sort le prochain album??", 10),
        ("Quand sort votre prochain album Aya ?", 10),
        ("what's your favourite film??", 11),
        ("Vous ferez un concert à Lyon cet été ?", 12),
        ("pourquoi les prix de l electricite ont autant augmente cette annee", 13),
        ("Could you play the acoustic version tonight please?", 14),
        ("Merci !", 15),
        ("merci!", 15),
        ("Will the documentary be available in the U.K.?", 16),
    ],
)
def test_it_finds_the_question_a_text_repeats(text, expected):
    assert find_duplicate(text, EARLIER) == expected


@pytest.mark.parametrize(
    "text",
    [
        "What is your favourite book?",
        "Est-ce que vous ferez un concert à Lille cet été ?",
        "Can you play the electric version tonight?",
        "Quand sort le prochain épisode du podcast ?",
        "Merci ?",
        "Merci Aya !",
        "Pourquoi ?",
    ],
)
def test_a_different_question_that_looks_alike_is_no_duplicate(text):
    assert find_duplicate(text, EARLIER) is None


def test_short_texts_merge_only_when_identical():
    assert find_duplicate("Hi!", [(1, "Hi?")]) is None
    assert find_duplicate("Hi!", [(1, "Hi!")]) == 1


def test_the_closest_candidate_wins_then_the_original():
    candidates = [
        (3, "Aya, quand sort le prochain album ?"),
        (1, "Aya, quand sort le prochain album, et la tournée ?"),
        (2, "quand sort le prochain album aya"),
    ]
    assert find_duplicate("Quand sort le prochain album, Aya ?", candidates) == 2


def test_the_threshold_sets_how_much_must_be_shared():
    earlier = [(1, "Who was your biggest influence growing up?")]
    text = "Who was your biggest influence when you were growing up, Aya?"
    assert find_duplicate(text, earlier) == 1
    assert find_duplicate(text, earlier, threshold=0.9) is None


def test_no_candidates_no_duplicate():
    assert find_duplicate("Anything at all here?", []) is None


def test_empty_texts_repeat_nothing():
    assert find_duplicate("", [(1, "")]) is None
    assert find_duplicate("?!", [(1, "")]) is None
