"""What the live layer does when the questions layer says a question aired."""

from __future__ import annotations

from typing import Any

from live.posting.services import post_backs_for_aired
from live.posting.tasks import post_back_soon
from questions.models import Question
from studio.models import LiveSession


def on_question_aired(sender: Any, *, question: Question, session: LiveSession, **_: Any) -> None:
    post_backs_for_aired(question=question, session=session, deliver=post_back_soon)
