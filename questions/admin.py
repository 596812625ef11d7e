from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from questions.models import (
    Author,
    Ban,
    IngestFeed,
    ModerationLogEntry,
    PrivacyLogEntry,
    Question,
    Vote,
)
from questions.services.privacy import author_erase, author_export
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
    actions = [
        "wall_pin",
        "wall_pin_first",
        "wall_hide",
        "wall_show",
        "wall_reset",
        "author_export",
        "author_erase",
    ]
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

    def _authors(self, queryset: QuerySet[Question]) -> list[tuple[int, int]]:
        """(station id, author id) of the selected questions, once each."""
        return sorted(
            set(
                queryset.filter(author__isnull=False).values_list(
                    "session__station_id", "author_id"
                )
            )
        )

    @admin.action(description=_("Export the author's data at this station (JSON)"))
    def author_export(
        self, request: HttpRequest, queryset: QuerySet[Question]
    ) -> HttpResponse | None:
        """Right of access, producers only (the service checks): one author at a time."""
        authors = self._authors(queryset)
        if len(authors) != 1:
            self.message_user(
                request, _("Select questions of exactly one author to export."), messages.ERROR
            )
            return None
        station_id, author_id = authors[0]
        try:
            data = author_export(actor=request.user, station_id=station_id, author_id=author_id)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        name = f"author-{author_id}-station-{station_id}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description=_("Erase the author's data at this station"))
    def author_erase(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        """Right to erasure, producers only (the service checks), logged in the privacy log."""
        erased = 0
        for station_id, author_id in self._authors(queryset):
            try:
                author_erase(actor=request.user, station_id=station_id, author_id=author_id)
            except DomainError as exc:
                self.message_user(request, f"{author_id}: {exc}", messages.ERROR)
            else:
                erased += 1
        if erased:
            self.message_user(
                request,
                ngettext(
                    "%(count)d author's data erased.", "%(count)d authors' data erased.", erased
                )
                % {"count": erased},
            )


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


@admin.register(PrivacyLogEntry)
class PrivacyLogEntryAdmin(_ReadOnlyAdmin):
    """What was erased or exported about the audience: when, by whom, how many rows."""

    list_display = ["created_at", "station", "action", "session", "author_id", "actor", "counts"]
    list_filter = ["action", "station"]
    date_hierarchy = "created_at"
