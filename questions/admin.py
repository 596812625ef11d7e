from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from questions.models import Author, Ban, IngestFeed, ModerationLogEntry, Question, Vote
from questions.services.wall import wall_set
from studio.admin import URL_FIELDS
from studio.errors import DomainError


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and votes are records: read here, changed only through the studio's services."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = [
        "short_text",
        "session",
        "status",
        "source",
        "author_name",
        "starred",
        "vote_count",
        "wall_state",
        "created_at",
    ]
    list_filter = [
        "status",
        "starred",
        "wall_state",
        "source",
        "language",
        "session__station",
        "session",
    ]
    actions = ["wall_pin", "wall_pin_first", "wall_hide", "wall_show", "wall_reset"]
    search_fields = ["text", "author_name", "author__handle", "external_id"]
    date_hierarchy = "created_at"
    # Status, votes and on-air state change only through the studio, so the log stays true.
    readonly_fields = [
        "status",
        "vote_count",
        "original_text",
        "source",
        "external_id",
        "author",
        "created_at",
        "updated_at",
        "approved_at",
        "answered_at",
        "language",
        "is_question",
        "flags",
        "duplicate_of",
        # The wall changes through its actions (below), which log and announce them.
        "wall_state",
        "wall_position",
    ]
    raw_id_fields = ["session", "target_guest"]

    def has_add_permission(self, request) -> bool:
        # Questions arrive through the studio (audience, sources, crew), which logs them.
        return False

    @admin.display(description="text")
    def short_text(self, obj: Question) -> str:
        return obj.text[:80]

    def _wall(
        self,
        request: HttpRequest,
        queryset: QuerySet[Question],
        state: str,
        *,
        first: bool = False,
    ) -> None:
        """Through the wall service, one item at a time (pinned ones in id order, after the
        items already pinned, or before them with ``first``): producers only, logged, live on
        every wall."""
        changed = 0
        picked = queryset.select_related("session").order_by("-pk" if first else "pk")
        for question in picked:
            try:
                wall_set(
                    actor=request.user,
                    question=question,
                    state=state,
                    position=1 if first else None,
                )
            except DomainError as exc:
                self.message_user(request, f"{question.pk}: {exc}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d item changed on the wall.",
                    "%(count)d items changed on the wall.",
                    changed,
                )
                % {"count": changed},
            )

    @admin.action(description=_("Pin to the social wall"))
    def wall_pin(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._wall(request, queryset, "pinned")

    # Pinning moves an item to the end of the pinned ones and this to the front: together they
    # put the wall in any order.
    @admin.action(description=_("Pin first on the social wall"))
    def wall_pin_first(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._wall(request, queryset, "pinned", first=True)

    @admin.action(description=_("Hide from the social wall"))
    def wall_hide(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._wall(request, queryset, "hidden")

    @admin.action(description=_("Show on the social wall"))
    def wall_show(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._wall(request, queryset, "shown")

    @admin.action(description=_("Reset the social wall to as moderated"))
    def wall_reset(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._wall(request, queryset, "")


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["__str__", "platform", "handle", "created_at"]
    list_filter = ["platform"]
    search_fields = ["display_name", "handle"]
    readonly_fields = ["platform", "external_id", "created_at"]


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ["author", "station", "reason", "created_by", "created_at"]
    list_filter = ["station"]
    search_fields = ["author__display_name", "author__handle", "reason"]
    raw_id_fields = ["author"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ModerationLogEntry)
class ModerationLogEntryAdmin(_ReadOnlyAdmin):
    list_display = [
        "created_at",
        "session",
        "question",
        "action",
        "from_status",
        "to_status",
        "actor",
        "reason",
    ]
    list_filter = ["action", "session__station", "session"]
    search_fields = ["reason", "question__text", "actor__username"]
    date_hierarchy = "created_at"


@admin.register(Vote)
class VoteAdmin(_ReadOnlyAdmin):
    list_display = ["question", "created_at"]
    list_filter = ["question__session"]
    date_hierarchy = "created_at"


@admin.register(IngestFeed)
class IngestFeedAdmin(admin.ModelAdmin):
    """Where questions come from besides the audience page: webhooks and followed streams."""

    list_display = ["__str__", "kind", "session", "enabled", "last_message_at", "last_error"]
    list_filter = ["kind", "enabled", "session__station"]
    search_fields = ["name", "session__title", "session__slug"]
    raw_id_fields = ["session"]
    readonly_fields = [
        "webhook_path",
        "checkpoint",
        "last_error",
        "last_message_at",
        "created_at",
    ]

    @admin.display(description="webhook address (path)")
    def webhook_path(self, obj: IngestFeed) -> str:
        # Where the SMS gateway or the other system posts; followed streams have none.
        if obj.pk is None or obj.kind not in ("sms", "webhook"):
            return "—"
        return reverse(f"ingest-{obj.kind}", args=[obj.token])
