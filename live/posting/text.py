"""The text of a post: the session's template filled with what aired, cut to the network's limit."""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from questions.models import Question
from studio.models import LiveSession
from studio.post_templates import POST_PLACEHOLDERS

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE = str(LiveSession._meta.get_field("post_template").get_default())
ELLIPSIS = "…"
# What each network lets a post hold: Mastodon counts characters, Bluesky graphemes.
LIMITS = {"mastodon": 500, "bluesky": 300}
# PostBack.text holds this many characters whatever the network counts.
STORED_LIMIT = 500


class _Known(dict[str, str]):
    """Fills the known placeholders; anything else is left as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _joins(char: str) -> bool:
    """Whether ``char`` belongs to the grapheme before it (combining marks, joiners, variation
    selectors, skin tones): enough to never split an accented letter or an emoji sequence."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
        or code == 0x200D
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def graphemes(text: str) -> list[str]:
    clusters: list[str] = []
    after_joiner = False
    for char in text:
        if clusters and (_joins(char) or after_joiner):
            clusters[-1] += char
        else:
            clusters.append(char)
        after_joiner = char == "\u200d"
    return clusters


def _units(text: str, network: str) -> list[str]:
    return graphemes(text) if network == "bluesky" else list(text)


def fits(text: str, network: str) -> bool:
    return len(_units(text, network)) <= LIMITS[network] and len(text) <= STORED_LIMIT


def cut(text: str, network: str, limit: int | None = None) -> str:
    """``text`` within the network's limit, ending with an ellipsis when it had to be cut."""
    limit = LIMITS[network] if limit is None else limit
    units = _units(text, network)
    if len(units) <= limit and len(text) <= STORED_LIMIT:
        return text
    kept = units[: max(limit - 1, 0)]
    while kept and len("".join(kept)) > STORED_LIMIT - 1:
        kept.pop()
    return "".join(kept).rstrip() + ELLIPSIS


def placeholders(question: Question, session: LiveSession) -> dict[str, str]:
    name = question.air_name or question.author_name
    if not name:
        with translation.override(session.language):
            name = _("the audience")
    if question.target_guest is not None:
        guest = question.target_guest.name
    else:
        guest = ", ".join(g.name for g in session.guests.all())
    values = {
        "question": (question.air_text or question.text).strip(),
        "name": name,
        "guest": guest,
        "session": session.title,
    }
    assert set(values) == set(POST_PLACEHOLDERS)
    return values


def _fill(template: str, values: dict[str, Any]) -> str:
    return template.format_map(_Known(values))


def post_text(question: Question, session: LiveSession, network: str) -> str:
    """The session's template filled with what aired, within the network's limit.

    Unknown placeholders stay as written; a template that cannot be filled (an unmatched brace,
    set before templates were checked) falls back to the default one, with a warning in the
    log. When too long, the question is shortened first so that who asked and who answered
    stay; only then is the whole text cut.
    """
    template = session.post_template or DEFAULT_TEMPLATE
    values = placeholders(question, session)
    try:
        text = _fill(template, values)
    except (ValueError, IndexError, KeyError, AttributeError):
        log.warning("session %s: unusable post template, the default one is used", session.pk)
        template = DEFAULT_TEMPLATE
        text = _fill(template, values)
    if fits(text, network) or "{question}" not in template:
        return cut(text, network)
    question_units = _units(values["question"], network)
    over = len(_units(text, network)) - LIMITS[network]
    over_stored = len(text) - STORED_LIMIT
    keep = min(len(question_units) - max(over, 0), len(values["question"]) - max(over_stored, 0))
    if keep > 1:
        shortened = cut(values["question"], network, limit=keep)
        text = _fill(template, {**values, "question": shortened})
    return cut(text, network)
