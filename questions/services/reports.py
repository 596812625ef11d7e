"""Audience reports: a listener says an approved question is inappropriate.

One report per listener and question (``AudienceReport``'s unique constraint): a second one is
answered like the first and counted once. Past the session's ``report_threshold`` an approved
question is pulled back to review (transition ``pull``, moderation log action ``reported``) with
a ``reported`` flag, so moderators see why it came back. A question on air can be reported too
and its reports are counted, but it is never taken off air by listeners: the host decides; if
it goes back to the queue still past the threshold, the next report pulls it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_noop

from questions.models import AudienceReport, ModerationAction, Question, QuestionStatus
from questions.publish import publish_crew_question
from questions.services.common import lock_question, question_change
from questions.transitions import TRANSITIONS
from studio.errors import Conflict, NotFound
from studio.models import LiveSession
from studio.transactions import retry_on_deadlock

REPORTABLE = frozenset({QuestionStatus.APPROVED, QuestionStatus.ON_AIR})
FLAG_CODE = "reported"
# The moderation log's reason, stored in English (the console shows the flag's label in the
# crew member's language); "{n}" is the number of reports.
REASON = gettext_noop("Reported by {n} listeners")


@dataclass(frozen=True)
class ReportResult:
    question: Question
    created: bool  # False: this listener had reported it already
    pulled: bool  # True: this report sent the question back to review


@retry_on_deadlock
def question_report(*, session: LiveSession, question: Question, reporter: str) -> ReportResult:
    """Record ``reporter``'s report of an approved (or on-air) question of ``session``.

    ``reporter`` is the listener's keyed voter hash. Refuses with ``not_found`` a question of
    another session and with ``not_reportable`` (409) one that is not approved or on air. A
    repeat by the same listener changes nothing. The report that reaches the session's
    threshold moves an approved question back to review, logged and flagged; the change is
    announced after commit as every question change. A report that does not is announced to
    the crew only (the question with its new ``report_count``).
    """
    if question.session_id != session.pk:
        raise NotFound("No such question.")
    with transaction.atomic():
        # Lock order (studio/events.py): the session row, then the question.
        LiveSession.objects.select_for_update(no_key=True).filter(pk=session.pk).first()
        question = lock_question(question)
        if question.status not in REPORTABLE:
            raise Conflict(
                "Only an approved question can be reported.",
                code="not_reportable",
                details={"status": question.status},
            )
        try:
            with transaction.atomic():
                AudienceReport.objects.create(question=question, reporter=reporter)
        except IntegrityError:
            return ReportResult(question=question, created=False, pulled=False)
        Question.objects.filter(pk=question.pk).update(report_count=F("report_count") + 1)
        question.refresh_from_db(fields=["report_count"])
        count = question.report_count
        if question.status != QuestionStatus.APPROVED or count < session.report_threshold:
            # Moderators see the count rise; listeners are not told of reports.
            publish_crew_question(question)
            return ReportResult(question=question, created=True, pulled=False)
        reason = REASON.replace("{n}", str(count))
        flags = [f for f in (question.flags or []) if f.get("code") != FLAG_CODE]
        flags.append({"code": FLAG_CODE, "reason": reason})
        pull = TRANSITIONS["pull"]
        question = question_change(
            question=question,
            actor=None,
            action=ModerationAction.REPORTED,
            fields={"status": pull.to, "hold_position": None, "flags": flags},
            reason=reason,
            details={"reports": count, "threshold": session.report_threshold},
        )
        return ReportResult(question=question, created=True, pulled=True)
