"""The terms rising in a session's conversation: words and #hashtags of the last minutes against
the rate of the half hour before.

Bounded work: one query reads the text of at most ``MAX_MESSAGES`` messages, the most recent of
the last ``window_minutes`` + ``BASELINE_MINUTES``; the counting is done on those alone.
docs/report.md describes the algorithm.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from stop_words import get_stop_words  # type: ignore[import-untyped]

from questions.models import ERASED_TEXT, Ban, Question, QuestionStatus
from studio.models import LiveSession

# The minutes before the window that give each term its usual rate.
BASELINE_MINUTES = 30
# The most recent messages read, at most: a flood costs the same as a busy half hour.
MAX_MESSAGES = 5000
# A term seen in fewer messages of the window is not trending, however new.
MIN_COUNT = 2
MIN_LETTERS = 3
# Messages that count: rejected and archived ones are out.
COUNTED_STATUSES = (
    QuestionStatus.PENDING,
    QuestionStatus.APPROVED,
    QuestionStatus.ON_AIR,
    QuestionStatus.ANSWERED,
)
# Words of social networks that say nothing about the conversation.
SOCIAL_NOISE = frozenset(
    {"rt", "via", "http", "https", "www", "amp", "com", "org", "net", "html", "lol", "mdr", "cc"}
)

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_TOKEN = re.compile(r"[#@]?\w+(?:['\u2019]\w+)*")


# French elisions split off a word ("l'album", "qu'elle"); any other apostrophe ends it
# ("children's", "don't"), except in the few words it belongs to.
_ELISIONS = frozenset({"c", "d", "j", "l", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu"})
_WHOLE = frozenset({"aujourd'hui", "presqu'île", "prud'homme", "prud'hommes", "quelqu'un"})
_STOP_WHOLE = frozenset({"aujourd'hui", "quelqu'un"})


def _word(token: str) -> str:
    token = token.replace("\u2019", "'")
    if token in stop_words():
        return token
    head, *rest = token.split("'")
    if rest and head in _ELISIONS:
        return _word("'".join(rest))
    whole = "'".join([head, *rest[:1]])
    if whole in _WHOLE:
        return whole
    return head


@cache
def stop_words() -> frozenset[str]:
    """French and English stop words (the stop-words package) and social noise, case-folded."""
    words = {w.casefold() for lang in ("fr", "en") for w in get_stop_words(lang)}
    return frozenset(words | SOCIAL_NOISE | _STOP_WHOLE)


def terms_of(text: str, *, ignored: frozenset[str] = frozenset()) -> set[str]:
    """The distinct terms of a message: words and #hashtags, case-folded, with at least three
    letters, neither stop words nor ``ignored``; links and @mentions are left out."""
    found = set()
    skip = stop_words()
    for token in _TOKEN.findall(_URL.sub(" ", text)):
        if token.startswith("@"):
            continue
        token = token.casefold()
        hashtag = token.startswith("#")
        word = token[1:] if hashtag else _word(token)
        if word in skip or word.replace("_", "").isdigit():
            continue
        if sum(c.isalpha() for c in word) < MIN_LETTERS:
            continue
        term = f"#{word}" if hashtag else word
        if term in ignored:
            continue
        found.add(term)
    return found


def trending_terms(
    session: LiveSession,
    *,
    now: datetime | None = None,
    window_minutes: int = 10,
    limit: int = 10,
) -> dict[str, Any]:
    """The terms rising in the last ``window_minutes``, best first (the report's "trending").

    ``count`` is the number of messages of the window holding the term, ``previous`` the number
    of the ``BASELINE_MINUTES`` before; ``score`` is the count above the one the previous rate
    predicts, over the square root of that prediction plus one. Only terms seen in at least
    ``MIN_COUNT`` messages of the window that rise (score > 0) are listed. One query.
    """
    now = now or timezone.now()
    window_start = now - timedelta(minutes=window_minutes)
    since = window_start - timedelta(minutes=BASELINE_MINUTES)
    banned = Ban.objects.filter(station_id=session.station_id, author_id=OuterRef("author_id"))
    rows = (
        Question.objects.filter(
            session=session,
            status__in=COUNTED_STATUSES,
            created_at__gte=since,
            created_at__lte=now,
        )
        .exclude(Exists(banned))
        # An erased text (docs/privacy.md) says nothing.
        .exclude(text=ERASED_TEXT)
        .order_by("-created_at", "-id")
        .values_list("text", "created_at")[:MAX_MESSAGES]
    )
    # The session's own hashtags are in every social message: they say nothing new.
    ignored = frozenset(
        f"#{tag.casefold().lstrip('#')}" for tag in (session.hashtags or []) if isinstance(tag, str)
    )
    current: Counter[str] = Counter()
    previous: Counter[str] = Counter()
    for text, created_at in rows:
        counter = current if created_at >= window_start else previous
        counter.update(terms_of(text, ignored=ignored))

    ratio = window_minutes / BASELINE_MINUTES
    scored = []
    for term, count in current.items():
        if count < MIN_COUNT:
            continue
        expected = previous[term] * ratio
        score = (count - expected) / math.sqrt(expected + 1)
        if score > 0:
            scored.append((term, count, previous[term], round(score, 3)))
    scored.sort(key=lambda t: (-t[3], -t[1], t[0]))
    return {
        "window_minutes": window_minutes,
        "as_of": now.astimezone(UTC).isoformat(),
        "terms": [
            {"term": term, "count": count, "previous": prev, "score": score}
            for term, count, prev, score in scored[:limit]
        ],
    }
