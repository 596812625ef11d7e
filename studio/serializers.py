"""Output shapes shared by the studio endpoints."""

from __future__ import annotations

from rest_framework import serializers

from studio.models import AsRunEntry, Guest, LiveSession, Station


class StationOutput(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Station
        fields = ["id", "name", "slug", "role"]

    def get_role(self, obj: Station) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(obj.pk)


class GuestOutput(serializers.ModelSerializer):
    class Meta:
        model = Guest
        fields = ["id", "session", "name", "title", "photo_url", "bio", "handles", "order"]


class SessionOutput(serializers.ModelSerializer):
    # A read-only field; its type is irrelevant.
    station = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[var-annotated]
    accepts_questions = serializers.BooleanField(read_only=True)
    guests = GuestOutput(many=True, read_only=True)

    class Meta:
        model = LiveSession
        fields = [
            "id",
            "station",
            "title",
            "slug",
            "hashtags",
            "language",
            "status",
            "submissions_open",
            "accepts_questions",
            "moderation_mode",
            "max_question_length",
            "rank_prior",
            "rank_half_life_minutes",
            "flagged_policy",
            "report_threshold",
            "retention_days",
            "audience_data_erased_at",
            "post_back_enabled",
            "post_template",
            "air_locked",
            "created_at",
            "started_at",
            "ended_at",
            "guests",
        ]


class SessionWithKeyOutput(SessionOutput):
    """For producers only: includes the overlay key graphics use and the control surfaces' key
    (blank: control surfaces off)."""

    class Meta(SessionOutput.Meta):
        fields = [*SessionOutput.Meta.fields, "overlay_key", "control_key"]


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class AsRunOutput(serializers.ModelSerializer):
    question_text = serializers.CharField(source="question.text")
    taken_by = UserRef(allow_null=True)
    ended_by = UserRef(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)

    class Meta:
        model = AsRunEntry
        fields = [
            "id",
            "question",
            "question_text",
            "taken_at",
            "taken_by",
            "ended_at",
            "ended_by",
            "outcome",
            "duration_seconds",
        ]
