"""The audience page: ask, vote, and see what is on air, live."""

from __future__ import annotations

import contextlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from rest_framework.exceptions import ValidationError

from questions.voters import remember_voter, voter_for_request
from studio.errors import NotFound
from studio.selectors import public_session


def audience_strings() -> dict[str, str]:
    """What audience.js says, in the request's language. ``{name}`` placeholders are filled in
    by the script."""
    return {
        "status_connecting": gettext("Connecting…"),
        "status_live": gettext("Live"),
        "status_reconnecting": gettext("Reconnecting…"),
        "status_stale": gettext("Connection lost: reconnecting…"),
        "status_denied": gettext("This session is no longer available."),
        "on_air": gettext("On air"),
        "for_guest": gettext("for {guest}"),
        "vote": gettext("Vote"),
        "votes_label": gettext("{count} votes"),
        "sending": gettext("Sending…"),
        "sent_pending": gettext("Thanks — your question will appear once approved."),
        "sent_approved": gettext("Thanks — your question is now in the list."),
        "closed_paused": gettext("Questions are closed for the moment."),
        "closed_ended": gettext("This session has ended: questions are closed."),
        "voting_closed": gettext("Voting is closed: the session is not live."),
        "chars_left": gettext("{count} characters left"),
        "error_empty": gettext("Write your question first."),
        "error_too_long": gettext("Your question is too long: {max} characters at most."),
        "error_throttled": gettext("Too many at once: try again in {seconds} seconds."),
        "error_throttled_soon": gettext("Too many at once: try again in a moment."),
        "error_session_closed": gettext("This session is not taking questions right now."),
        "error_vote_closed": gettext("Voting is closed for this question."),
        "error_busy": gettext("The studio is busy: please vote again in a moment."),
        "error_network": gettext(
            "Could not reach the studio: check your connection and try again."
        ),
        "error_generic": gettext("Something went wrong: please try again."),
        "mine_waiting": pgettext("asker's question state", "Waiting for review"),
        "mine_approved": pgettext("asker's question state", "In the list"),
        "mine_on_air": pgettext("asker's question state", "On air now"),
        "mine_answered": pgettext("asker's question state", "Answered"),
        "mine_not_selected": pgettext("asker's question state", "Not selected this time"),
        "mine_on_air_announce": gettext("Your question is on air now!"),
        "report": pgettext("report a question as inappropriate", "Report"),
        "report_confirm": gettext("Report this question as inappropriate?"),
        "report_yes": gettext("Yes, report it"),
        "cancel": gettext("Cancel"),
        "reported": pgettext("report a question as inappropriate", "Reported"),
        "report_thanks": gettext("Thank you: the moderators will look at it."),
        "report_not_reportable": gettext("This question can no longer be reported."),
    }


@never_cache
@ensure_csrf_cookie
def audience(request: HttpRequest, slug: str) -> HttpResponse:
    """Served to anyone for a live or ended session. Sets the voter cookie before the socket
    opens, so that the socket's snapshot says which questions this browser voted for."""
    try:
        session = public_session(slug)
    except NotFound as exc:
        raise Http404("No such session.") from exc
    # A malformed X-Voter-Token header (API clients send one, browsers never do): the page is
    # served all the same, without a voter cookie; its calls to the API say what is wrong.
    with contextlib.suppress(ValidationError):
        # voter_for_request and remember_voter only use what HttpRequest and HttpResponse have.
        voter_for_request(request)  # type: ignore[arg-type]
    response = render(
        request,
        "live/audience.html",
        {
            "session": session,
            "guests": list(session.guests.all()),
            "config": {
                "slug": session.slug,
                "status": session.status,
                "accepts_questions": session.accepts_questions,
                "max_question_length": session.max_question_length,
            },
            "strings": audience_strings(),
        },
    )
    return remember_voter(request, response)  # type: ignore[arg-type]
