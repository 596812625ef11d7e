"""Output shapes of questions for the crew and for the audience."""

from __future__ import annotations

from rest_framework import serializers

from questions.models import Ban, ModerationLogEntry, Question
from studio.serializers import UserRef


class GuestRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AuthorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    platform = serializers.CharField()
    display_name = serializers.CharField()
    handle = serializers.CharField()
    avatar_url = serializers.CharField()


class QuestionOutput(serializers.ModelSerializer):
    author = AuthorOutput(allow_null=True)
    target_guest = GuestRef(allow_null=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "session",
            "text",
            "original_text",
            "author_name",
            "author",
            "source",
            "external_id",
            "target_guest",
            "status",
            "starred",
            "vote_count",
            "hold_position",
            "language",
            "is_question",
            "flags",
            "duplicate_of",
            "created_at",
            "updated_at",
            "approved_at",
            "answered_at",
        ]


class PublicQuestionOutput(serializers.ModelSerializer):
    """What the audience sees: no author handle, platform ids or moderation detail."""

    target_guest = GuestRef(allow_null=True)
    voted = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id",
            "text",
            "author_name",
            "target_guest",
            "status",
            "vote_count",
            "voted",
            "created_at",
        ]

    def get_voted(self, obj: Question) -> bool:
        return bool(getattr(obj, "voted", False))


class ModerationLogOutput(serializers.ModelSerializer):
    actor = UserRef(allow_null=True)

    class Meta:
        model = ModerationLogEntry
        fields = [
            "id",
            "question",
            "actor",
            "action",
            "from_status",
            "to_status",
            "reason",
            "details",
            "created_at",
        ]


class BanOutput(serializers.ModelSerializer):
    author = AuthorOutput()
    created_by = UserRef(allow_null=True)

    class Meta:
        model = Ban
        fields = ["id", "station", "author", "reason", "created_by", "created_at"]
