"""Hostile texts: every check takes time linear in the length of what it reads, and a message's
checks stop when their time budget is spent.

Growth is measured, not absolute time: each check runs on a text of n and of 4n characters (the
best of several runs), and the ratio must stay far below the 16 of a quadratic check. Before the
checks were made linear, some of these inputs took minutes ("a.a.a..." was exponential).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from questions.automod import UNCHECKED, Budget, GuestRef, analyse, find_duplicate
from questions.automod.guests import find_guest
from questions.automod.interrogative import is_question
from questions.automod.language import detect_language
from questions.automod.links import find_links
from questions.automod.normalise import normalise, raw_length_cap
from questions.automod.personal import find_emails, find_phone_numbers
from questions.automod.profanity import find_profanity
from questions.automod.shouting import is_shouting

# 4n is still under the raw cap of the largest session limit, so nothing here is cut.
N = 4_000
# Linear growth gives 4 for a text 4 times longer; quadratic 16.
MAX_GROWTH = 8.0
GUESTS = (GuestRef(1, "Aya Lune", ("@aya@piaille.fr",)), GuestRef(2, "Marc Dubois"))

CHECKS: dict[str, Callable[[str], object]] = {
    "normalise": normalise,
    "language": detect_language,
    "is_question": is_question,
    "guest": lambda text: find_guest(text, GUESTS),
    "profanity": find_profanity,
    "phone": find_phone_numbers,
    "email": find_emails,
    "links": find_links,
    "shouting": is_shouting,
    "duplicate": lambda text: find_duplicate(text, [(1, text[: len(text) // 2]), (2, text)]),
}

# Units repeated to the length wanted: each one was, or could have been, the worst input of a
# check (an address or link pattern run again from every character, a repeat of look-alike
# letters, a chain of spelled-out dots, digit soup for the phone library, thousands of findings).
HOSTILE = {
    "no spaces": "a",
    "capitals": "A",
    "accents": "é",
    "at signs": "a@",
    "schemes": "http://",
    "zeros": "0 ",
    "dots": "a.",
    "hyphens": "a-",
    "underscores": "a_",
    "plus signs": "+1",
    "digit dots": "1.",
    "open tags": "<a ",
    "breaking tags": "<br ",
    "entities": "&#",
    "markdown": "[a](",
    "spelled dots": "a dot ",
    "bracketed dots": "a [dot] ",
    "spelled number": "zero-",
    "look-alikes": "1l",
    "masks": "f*",
    "repeated letter": "u",
    "digit soup": "11 ",
    "lookalike digits": "1!",
    "phone numbers": "+33 6 12 34 56 78, ",
    "links": "a.fr ",
    "addresses": "x@y.zz ",
    "swear words": "fuck ",
    "mixed": "a@http://0 a.<a &#1l[a](zero-",
}


def _text(unit: str, length: int) -> str:
    # Whole units only: a text ending in half a unit may take another path through a check.
    text = unit * max(1, length // len(unit))
    # A real tag at the end sends the text through the markup path of normalisation.
    return text + "<b>!</b>" if "<" in unit else text


def _seconds(check: Callable[[str], object], text: str) -> float:
    """The best of three timings, each long enough (a few milliseconds) to rise above the noise.

    Processor time of this thread, not the wall clock: on a shared machine, time spent waiting
    for a core while other processes run is not the check's."""
    best = float("inf")
    for _ in range(3):
        runs, started = 0, time.thread_time()
        while True:
            check(text)
            runs += 1
            elapsed = time.thread_time() - started
            if elapsed >= 0.003:
                break
        best = min(best, elapsed / runs)
    return best


def _growth(check: Callable[[str], object], unit: str) -> float:
    """How much longer the check takes on a text 4 times longer. A busy machine can slow one
    of the two timings: a ratio over the limit is measured again (a quadratic check fails every
    time), and the lowest is kept."""
    short, long = _text(unit, N), _text(unit, 4 * N)
    check(short)  # warm up: word lists, models, compiled patterns
    ratio = float("inf")
    for _ in range(3):
        ratio = min(ratio, _seconds(check, long) / _seconds(check, short))
        if ratio <= MAX_GROWTH:
            break
    return ratio


@pytest.mark.parametrize("unit", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_check_grows_linearly_on_a_hostile_text(unit):
    growth = {name: _growth(check, unit) for name, check in CHECKS.items()}

    superlinear = {name: round(ratio, 1) for name, ratio in growth.items() if ratio > MAX_GROWTH}
    assert superlinear == {}


@pytest.mark.parametrize("unit", ["a", "a.", "a@", "11 ", "1l", "a dot "])
def test_the_whole_analysis_grows_linearly(unit):
    def run(text: str) -> object:
        return analyse(text, max_length=2000, truncate=True)

    assert _growth(run, unit) < MAX_GROWTH


def test_a_chain_of_dots_that_never_reaches_an_at_is_read_once():
    # Each "." could be read two ways by the obfuscated-address pattern: 2^40 readings.
    text = "a." * 40 + "!"
    assert find_emails(text) == []
    assert analyse(text, max_length=280).flags == ()


def test_the_checks_read_no_further_than_the_raw_cap():
    cap = raw_length_cap(280)
    past = "Pourquoi ? " + "a" * cap + " 06 12 34 56 78"

    analysis = analyse(past, max_length=280, truncate=True)

    assert analysis.text.endswith("…")
    assert analysis.flags == ()  # the number lies past the cap: nobody reads it


def test_the_raw_cap_allows_for_markup_and_has_a_ceiling():
    assert raw_length_cap(20) == 10_000
    assert raw_length_cap(280) == 10_000
    assert raw_length_cap(2000) == 40_000
    assert raw_length_cap(10_000) == 50_000


def test_a_message_too_long_to_keep_is_returned_unchecked_for_the_caller_to_refuse():
    analysis = analyse("Call 06 12 34 56 78 now! " * 20, max_length=100)

    assert len(analysis.text) > 100
    assert analysis.flags == ()


def test_when_the_budget_is_spent_the_remaining_checks_are_skipped_and_say_so():
    budget = Budget(0)

    analysis = analyse("Fuck, call 06 12 34 56 78 or www.spam.com", max_length=280, budget=budget)

    assert budget.exhausted
    assert analysis.text == "Fuck, call 06 12 34 56 78 or www.spam.com"
    assert analysis.flags == (UNCHECKED,)
    assert UNCHECKED.code == "unchecked"
    assert UNCHECKED.reason == "Automatic checks did not finish: review by hand."


def test_a_budget_with_time_left_changes_nothing():
    budget = Budget(60)

    analysis = analyse("Fuck, call 06 12 34 56 78 or www.spam.com", max_length=280, budget=budget)

    assert not budget.exhausted
    assert [flag.code for flag in analysis.flags] == ["profanity", "personal_data", "link"]


def test_duplicate_search_stops_when_the_budget_is_spent():
    question = "Why did you record the album in Lisbon?"
    candidates = [(1, question)]
    budget = Budget(0)

    assert find_duplicate(question, candidates) == 1
    assert find_duplicate(question, candidates, budget=budget) is None
    assert budget.exhausted


def test_duplicates_are_still_found_among_long_candidates_in_another_order():
    letters = "bcdfghjklmnpqrstvwxz"
    words = [f"{a}{b}{c}{d}" for a in letters[:3] for b in letters for c in "aeiou" for d in "xyz"]
    text = " ".join(words)
    reversed_text = " ".join(reversed(words))
    unrelated = " ".join(word.upper()[::-1] + "q" for word in words)

    assert find_duplicate(text, [(1, unrelated), (2, reversed_text)]) == 2


def test_a_reason_names_ten_findings_and_counts_the_rest():
    text = " ".join(f"site{index}.com" for index in range(25))

    (flag,) = analyse(text, max_length=2000).flags

    assert flag.code == "link"
    assert flag.reason.startswith('Links: "site0.com", "site1.com",')
    assert flag.reason.endswith('"site9.com" and 15 more')
