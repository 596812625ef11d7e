"""The events question services publish, inside their transaction, after their row locks (the
lock order of studio/events.py); the event stream sends them after commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from questions.models import PUBLIC_STATUSES, Question
from questions.shapes import (
    crew_question,
    cue_shape,
    on_air_shape,
    public_question,
)
from studio import events
from studio.models import LiveSession


def publish_question(q: Question, *, was_public: bool) -> None:
    """Announce a question's new state. The audience hears of it only while it is public, and
    once more when it stops being public (``question: null``: remove it)."""
    public = _public_item(q, was_public)
    events.emit(
        q.session_id, "question", crew={"id": q.pk, "question": crew_question(q)}, public=public
    )


def publish_crew_question(q: Question) -> None:
    """Announce a change only the crew sees (a listener's report that stays under the
    threshold): the public stream is not told, as nothing it shows changed."""
    events.emit(q.session_id, "question", crew={"id": q.pk, "question": crew_question(q)})


def publish_on_air(
    session_id: int,
    *,
    changed: Sequence[Question] = (),
    shape: dict[str, Any] | None = None,
    cue: dict[str, Any] | None = None,
) -> None:
    """Announce what is on air, as ONE event on each stream: the on-air state, the questions
    the change moved (``changed``: the question taken, the one it replaced, the one cleared;
    each as that audience may see it) and, for the crew and the graphics' preview, the cue when
    it changed. ``shape`` is the on-air state when the caller has it in hand."""
    if shape is None:
        shape = on_air_shape(session_id)
    crew: dict[str, Any] = {
        **shape,
        "questions": [{"id": q.pk, "question": crew_question(q)} for q in changed],
    }
    # Every question an air change moves was on air or is now: the audience has seen it.
    public: dict[str, Any] = {**shape, "questions": [_public_item(q, True) for q in changed]}
    overlay: dict[str, Any] = dict(shape)
    if cue is not None:
        crew["cue"] = overlay["cue"] = cue
    events.emit(session_id, "on_air", crew=crew, public=public, overlay=overlay)


def _public_item(q: Question, was_public: bool) -> dict[str, Any] | None:
    if q.status in PUBLIC_STATUSES:
        return {"id": q.pk, "question": public_question(q)}
    if was_public:
        return {"id": q.pk, "question": None}
    return None


def publish_cue(session_id: int) -> None:
    """Announce the question cued to air next (``question: null``: nothing is cued) to the crew
    and to the graphics' preview output; the audience never sees a cue."""
    shape = cue_shape(session_id)
    events.emit(session_id, "cue", crew=shape, overlay=shape)


def publish_wall(session: LiveSession, changed: list[Question]) -> None:
    """Announce a producer's change to the social wall: to the crew, each changed item's wall
    state; on the public stream (the wall page's), only which items changed: wall pages ask for
    the wall, and the audience's sockets are not sent a wall they do not show."""
    states = [
        {"id": q.pk, "wall_state": q.wall_state, "wall_position": q.wall_position} for q in changed
    ]
    events.emit(session.pk, "wall", crew={"items": states}, public={"ids": [q.pk for q in changed]})
