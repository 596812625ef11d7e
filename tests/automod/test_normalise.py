from __future__ import annotations

import pytest

from questions.automod import normalise

MASTODON_STATUS = (
    '<p>Question pour <span class="h-card"><a href="https://piaille.fr/@aya" '
    'class="u-url mention">@<span>aya</span></a></span> : pourquoi&nbsp;?</p>'
)


def test_it_turns_a_mastodon_status_into_plain_text():
    assert normalise(MASTODON_STATUS) == "Question pour @aya : pourquoi ?"


def test_it_keeps_the_whole_address_of_a_link_mastodon_shortens_on_screen():
    status = (
        '<p>Lisez <a href="https://www.example.com/very/long/path" rel="nofollow">'
        '<span class="invisible">https://www.</span><span class="ellipsis">example.com/very/lo'
        '</span><span class="invisible">ng/path</span></a></p>'
    )
    assert normalise(status) == "Lisez https://www.example.com/very/long/path"


def test_paragraphs_and_line_breaks_become_spaces():
    assert normalise("<p>Bonjour</p><p>Aya<br>et Marc<br/>!</p>") == "Bonjour Aya et Marc !"


def test_scripts_and_styles_leave_nothing_behind():
    assert normalise("<p>Hi<script>alert(1)</script><style>p{}</style></p>") == "Hi"


def test_entities_are_decoded():
    assert normalise("Fish &amp; chips &lt;3 &#233;t&eacute;") == "Fish & chips <3 été"


def test_plain_text_that_looks_like_markup_is_left_alone():
    assert normalise("I <3 you & R&D is fun") == "I <3 you & R&D is fun"


def test_text_is_put_in_nfc():
    decomposed = "Cafe\u0301 cre\u0300me"
    assert normalise(decomposed) == "Café crème"
    assert normalise(decomposed) == "Caf\u00e9 cr\u00e8me"


def test_control_and_invisible_characters_are_removed():
    assert normalise("Hel\u200blo\x07 wo\ufeffrld\u202e") == "Hello world"


def test_whitespace_is_collapsed_and_trimmed():
    assert normalise("  Pourquoi\u00a0?\n\n\tVraiment\u202f! ") == "Pourquoi ? Vraiment !"


@pytest.mark.parametrize("raw", ["", "   ", "\u200b\u200b", "<p> </p>", "<br><br>"])
def test_nothing_left_means_an_empty_text(raw):
    assert normalise(raw) == ""


def test_truncate_cuts_at_a_word_boundary_and_ends_with_an_ellipsis():
    text = normalise(
        "Pourquoi la ligne de bus ne passe plus le dimanche ?", max_length=30, truncate=True
    )
    assert text == "Pourquoi la ligne de bus ne…"
    assert len(text) <= 30


def test_truncate_cuts_a_long_word_where_it_must():
    assert normalise("a" * 50, max_length=10, truncate=True) == "a" * 9 + "…"


def test_a_text_within_the_limit_is_not_touched():
    assert normalise("Short enough", max_length=12, truncate=True) == "Short enough"


def test_without_truncate_the_limit_is_the_callers_business():
    assert normalise("x" * 40, max_length=10) == "x" * 40
