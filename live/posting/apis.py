"""The posts back of a question, for the crew."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from live.posting.services import posts_for_question
from questions.selectors import question_for_user
from studio.roles import Capability, require


class PostOutput(serializers.Serializer):
    network = serializers.CharField()
    status = serializers.CharField()
    link = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    posted_at = serializers.DateTimeField(allow_null=True)


class QuestionPostsApi(APIView):
    """Where the question was posted back: one entry per network, with the post's link once
    posted, or why it failed."""

    @extend_schema(responses=PostOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        question = question_for_user(request.user, pk)
        require(request.user, question.session.station_id, Capability.VIEW)
        return Response(PostOutput(posts_for_question(question), many=True).data)
