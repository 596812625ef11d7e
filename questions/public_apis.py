"""Public audience endpoints: no login. Throttled per voter and per client IP."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, Throttled
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from questions import selectors, services, vote_writer
from questions.async_throttles import refusing_throttle
from questions.models import Question, QuestionStatus
from questions.serializers import BoundedCharField, PublicQuestionOutput, QuestionTextField
from questions.services import AuthorInfo
from questions.services.reports import question_report
from questions.services.votes import VoteRequest
from questions.throttles import (
    ReportIpThrottle,
    ReportVoterThrottle,
    SubmitIpThrottle,
    SubmitVoterThrottle,
    VoteIpThrottle,
    VoteVoterThrottle,
)
from questions.voters import remember_voter, voter_for_request
from studio.api import exception_handler, validated
from studio.errors import DomainError, ValidationFailed
from studio.selectors import guest_in_session, public_session

VOTER_HEADER = OpenApiParameter(
    "X-Voter-Token",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Your own random voter token (16 to 128 of A-Z a-z 0-9 - _). Browsers get a cookie instead."
    ),
)


class _PublicApi(GenericAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return remember_voter(request, response)


class PublicSessionOutput(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    station = serializers.CharField(source="station.name")
    language = serializers.CharField()
    status = serializers.CharField()
    accepts_questions = serializers.BooleanField()
    max_question_length = serializers.IntegerField()
    hashtags = serializers.ListField(child=serializers.CharField())
    guests = serializers.SerializerMethodField()

    def get_guests(self, obj) -> list[dict]:
        return [
            {"id": g.id, "name": g.name, "title": g.title, "photo_url": g.photo_url}
            for g in obj.guests.all()
        ]


class PublicSessionApi(_PublicApi):
    @extend_schema(responses=PublicSessionOutput)
    def get(self, request: Request, slug: str) -> Response:
        return Response(PublicSessionOutput(public_session(slug)).data)


class PublicQuestionListApi(ListAPIView, _PublicApi):
    """Approved questions, most voted first; ask a question (POST)."""

    @extend_schema_serializer(component_name="PublicQuestionInput")
    class InputSerializer(serializers.Serializer):
        # Refused at once past their limits, before the service or DRF's validators read them.
        text = QuestionTextField()
        name = BoundedCharField(max_length=60, required=False, allow_blank=True, default="")
        guest = serializers.IntegerField(required=False, allow_null=True, default=None)

    serializer_class = PublicQuestionOutput

    def get_throttles(self):
        if self.request.method == "POST":
            return [SubmitVoterThrottle(), SubmitIpThrottle()]
        return []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Question.objects.none()
        session = public_session(self.kwargs["slug"])
        return selectors.public_questions(session, voter=voter_for_request(self.request).voter)

    @extend_schema(parameters=[VOTER_HEADER])
    def get(self, request: Request, slug: str) -> Response:
        return self.list(request)

    @extend_schema(
        request=InputSerializer,
        responses={201: PublicQuestionOutput, 200: PublicQuestionOutput},
        parameters=[
            VOTER_HEADER,
            OpenApiParameter(
                "Idempotency-Key",
                str,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Any unique string up to 100 characters: a retry with the same key "
                "returns the first question (200) instead of making a second one.",
            ),
        ],
    )
    def post(self, request: Request, slug: str) -> Response:
        session = public_session(slug)
        data = validated(self.InputSerializer, request)
        identity = voter_for_request(request)
        key = request.headers.get("Idempotency-Key", "").strip()
        # Printable only: a NUL byte cannot even be stored in a PostgreSQL text column.
        if len(key) > 100 or not key.isprintable():
            raise ValidationFailed("Idempotency-Key is at most 100 printable characters.")
        guest = None
        if data["guest"] is not None:
            guest = guest_in_session(session_id=session.pk, guest_id=data["guest"])
        result = services.question_submit(
            session=session,
            text=data["text"],
            source="web",
            author=AuthorInfo(
                platform="web", external_id=identity.voter, display_name=data["name"].strip()
            ),
            author_name=data["name"].strip(),
            # The key is scoped to this voter, so nobody can claim another voter's question.
            external_id=f"{identity.voter[:32]}:{key}" if key else "",
            target_guest=guest,
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        body = PublicQuestionOutput(result.question).data
        if body["status"] == QuestionStatus.REJECTED:
            # A banned author is not told: telling them would only send them to a new identity.
            body["status"] = QuestionStatus.PENDING
        return Response(body, status=code)


class VoteOutput(serializers.Serializer):
    question = serializers.IntegerField()
    vote_count = serializers.IntegerField()
    voted = serializers.BooleanField()


# Votes are throttled per voter and per client IP (POST and DELETE; OPTIONS is free).
VOTE_THROTTLES = (VoteVoterThrottle, VoteIpThrottle)

_VOTE_ERRORS = {
    400: OpenApiResponse(
        description="`invalid`: the question id is not a whole number from 1 to 2^63-1, or the "
        "X-Voter-Token header is malformed; `not_saved`: this one vote could not be stored."
    ),
    404: OpenApiResponse(
        description="`not_found`: no such question the audience can see in this session; "
        "`not_voted` (DELETE): this voter has not voted for it."
    ),
    409: OpenApiResponse(
        description="`already_voted`, `session_closed` (the session is not live) or "
        "`not_votable` (the question is not approved)."
    ),
    429: OpenApiResponse(description="`throttled`, with a Retry-After header."),
    503: OpenApiResponse(
        description="`unavailable`: the database is down; `busy`: the server already holds "
        "`VOTE_MAX_IN_FLIGHT` votes. Nothing was saved; try again shortly."
    ),
}


# The vote's methods: their handlers are coroutines, awaited on the event loop by the view that
# PublicVoteApi.as_view returns. Every other method goes through DRF's synchronous dispatch.
_AWAITED_METHODS = frozenset({"post", "delete"})


class PublicVoteApi(APIView):
    """Vote for an approved question (POST) or take the vote back (DELETE)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # _vote applies VOTE_THROTTLES
    # POST and DELETE are coroutines, which DRF's dispatch cannot await: ``as_view`` awaits them
    # itself and leaves the rest (OPTIONS, 405) to DRF, so the view Django calls is async.
    view_is_async = False

    @extend_schema(
        request=None, responses={200: VoteOutput, **_VOTE_ERRORS}, parameters=[VOTER_HEADER]
    )
    async def post(self, request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        return await _vote(request, slug, pk, add=True)

    @extend_schema(
        request=None, responses={200: VoteOutput, **_VOTE_ERRORS}, parameters=[VOTER_HEADER]
    )
    async def delete(self, request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        return await _vote(request, slug, pk, add=False)

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        """An async view: POST and DELETE await their handler above, the other methods get
        DRF's answer (OPTIONS, or 405 in the API's error shape)."""
        drf_view = sync_to_async(super().as_view(**initkwargs))

        async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            method = (request.method or "").lower()
            if method in _AWAITED_METHODS:
                handler = getattr(cls(**initkwargs), method)
                return await handler(request, *args, **kwargs)
            return await drf_view(request, *args, **kwargs)

        # As DRF's as_view: the schema generator reads the class, and so its handlers, from here.
        view.cls = cls  # type: ignore[attr-defined]
        view.initkwargs = initkwargs  # type: ignore[attr-defined]
        view.csrf_exempt = True  # type: ignore[attr-defined]
        return view


# --- the vote endpoint's fast path ------------------------------------------------------------
#
# POST and DELETE are async handlers, so that requests wait for their batch on the event loop
# (group commit, questions/vote_writer.py) instead of holding the process's one thread for
# synchronous views. The other methods get DRF's answers: the same errors in the same shape.


def _error_response(exc: Exception, request: Request) -> HttpResponse:
    response = exception_handler(exc, {"request": request})
    if response is None:
        raise exc
    out = JsonResponse(response.data, status=response.status_code)
    for header, value in response.items():
        if header.lower() in ("retry-after", "www-authenticate"):
            out[header] = value
    return out


async def _vote(request: HttpRequest, slug: str, pk: int, *, add: bool) -> HttpResponse:
    api_request = Request(request)
    try:
        voter = voter_for_request(api_request).voter
        # Counted without blocking the loop (questions/async_throttles.py).
        refusing = await refusing_throttle(api_request, [t() for t in VOTE_THROTTLES])
        if refusing is not None:
            raise Throttled(refusing.wait())
        # An id beyond the database's integers is refused there, before it joins a batch.
        result = await vote_writer.submit(VoteRequest(slug, pk, voter, add=add))
    except (DomainError, APIException) as exc:
        # remember_voter only sets a cookie: any HttpResponse works.
        return remember_voter(api_request, _error_response(exc, api_request))  # type: ignore[arg-type]
    body = {"question": result.question, "vote_count": result.votes, "voted": result.voted}
    return remember_voter(api_request, JsonResponse(body))  # type: ignore[arg-type]


# The routed view (socialroom/urls.py).
public_vote_view = PublicVoteApi.as_view()


# --- the asker's own questions, and audience reports -------------------------------------------

# What the asker is told of each of their questions. A rejected question is "not selected"; one
# rejected because its author is banned stays "waiting" (a banned author is not told: telling
# them would only send them to a new identity).
_ASKER_STATES: dict[str, str] = {
    QuestionStatus.PENDING: "waiting",
    QuestionStatus.APPROVED: "approved",
    QuestionStatus.ON_AIR: "on_air",
    QuestionStatus.ANSWERED: "answered",
    QuestionStatus.REJECTED: "not_selected",
    QuestionStatus.ARCHIVED: "not_selected",
}


def asker_state(question: Question) -> str:
    if question.status == QuestionStatus.REJECTED and any(
        f.get("code") == "banned" for f in question.flags or []
    ):
        return "waiting"
    return _ASKER_STATES.get(question.status, "waiting")


class MyQuestionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    state = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_state(self, obj: Question) -> str:
        return asker_state(obj)


class PublicMyQuestionsApi(_PublicApi):
    """This voter's own questions of the session (cookie or X-Voter-Token), newest first, with
    what became of each: waiting, approved, on_air, answered or not_selected."""

    @extend_schema(responses=MyQuestionOutput(many=True), parameters=[VOTER_HEADER])
    def get(self, request: Request, slug: str) -> Response:
        session = public_session(slug)
        voter = voter_for_request(request).voter
        questions = selectors.questions_of_voter(session, voter=voter)
        return Response(MyQuestionOutput(questions, many=True).data)


class ReportOutput(serializers.Serializer):
    question = serializers.IntegerField()
    reported = serializers.BooleanField()


class PublicReportApi(_PublicApi):
    """Report an approved question as inappropriate: once per listener and question."""

    throttle_classes = [ReportVoterThrottle, ReportIpThrottle]
    # A report takes no body; OPTIONS describes it with this.
    serializer_class = ReportOutput

    @extend_schema(
        request=None,
        responses={
            201: ReportOutput,
            200: OpenApiResponse(ReportOutput, description="Already reported by this listener."),
            404: OpenApiResponse(description="`not_found`: no such public question here."),
            409: OpenApiResponse(description="`not_reportable`: the question is not approved."),
            429: OpenApiResponse(description="`throttled`, with a Retry-After header."),
        },
        parameters=[VOTER_HEADER],
    )
    def post(self, request: Request, slug: str, pk: int) -> Response:
        session = public_session(slug)
        question = selectors.public_question(session, pk)
        result = question_report(
            session=session, question=question, reporter=voter_for_request(request).voter
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response({"question": question.pk, "reported": True}, status=code)
