"""Output shapes of questions for the crew and for the audience."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.fields import empty

from questions.automod.normalise import RAW_LENGTH_CEILING
from questions.models import Ban, ModerationLogEntry, Question
from studio.serializers import UserRef


class BoundedCharField(serializers.CharField):
    """A text field that refuses a value past ``max_length`` before anything else reads it.

    DRF's own validators (no NUL, no surrogate characters) walk the whole value, character by
    character, before the length is looked at: for a 2.5 MB value that is work for nothing.
    """

    def run_validation(self, data=empty):
        if self._too_long(data):
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)

    def _too_long(self, data) -> bool:
        if not isinstance(data, str) or self.max_length is None or len(data) <= self.max_length:
            return False
        # Spaces that would be trimmed do not count against the limit.
        return not self.trim_whitespace or len(data.strip()) > self.max_length


class QuestionTextField(BoundedCharField):
    """A question's text as sent, markup and spaces included: refused past the largest raw length
    any session reads (``RAW_LENGTH_CEILING``); the session's own limits are the service's."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", RAW_LENGTH_CEILING)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


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
