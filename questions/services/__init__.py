"""Every write to questions, votes, bans and on-air state goes through these functions."""

from __future__ import annotations

from questions.services.air import (
    air_lock,
    air_unlock,
    question_cue,
    session_disable_control_key,
    session_rotate_control_key,
    session_take_next,
    session_uncue,
)
from questions.services.bans import ban_create, ban_delete
from questions.services.feeds import feed_record_error, feed_record_message, feed_save_checkpoint
from questions.services.moderation import (
    question_aim,
    question_approve,
    question_archive,
    question_edit,
    question_hold,
    question_reject,
    question_rename,
    question_reopen,
    question_reword,
    question_star,
)
from questions.services.onair import (
    question_mark_answered,
    question_requeue,
    session_clear_on_air,
    session_take_on_air,
)
from questions.services.sessions import session_set_status
from questions.services.submission import AuthorInfo, SubmitResult, question_submit
from questions.services.votes import vote_cast, vote_withdraw

__all__ = [
    "AuthorInfo",
    "SubmitResult",
    "air_lock",
    "air_unlock",
    "ban_create",
    "ban_delete",
    "feed_record_error",
    "feed_record_message",
    "feed_save_checkpoint",
    "question_aim",
    "question_approve",
    "question_archive",
    "question_cue",
    "question_edit",
    "question_hold",
    "question_mark_answered",
    "question_reject",
    "question_rename",
    "question_reopen",
    "question_requeue",
    "question_reword",
    "question_star",
    "question_submit",
    "session_clear_on_air",
    "session_disable_control_key",
    "session_rotate_control_key",
    "session_set_status",
    "session_take_next",
    "session_take_on_air",
    "session_uncue",
    "vote_cast",
    "vote_withdraw",
]
