from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models

from studio.models import AsRunEntry, Guest, LiveSession, Membership, Station

# A bare domain typed into a URL field (photo, avatar) is taken as https://.
URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "station", "role", "created_at"]
    list_filter = ["role", "station"]
    search_fields = ["user__username", "user__email", "station__name"]
    autocomplete_fields = ["user", "station"]


class GuestInline(admin.StackedInline):
    model = Guest
    formfield_overrides = URL_FIELDS
    extra = 0


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "station",
        "status",
        "submissions_open",
        "moderation_mode",
        "created_at",
    ]
    list_filter = ["status", "station", "moderation_mode", "language"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "created_at",
        "started_at",
        "ended_at",
        "audience_data_erased_at",
        "created_by",
    ]
    date_hierarchy = "created_at"
    inlines = [GuestInline]


@admin.register(Guest)
class GuestAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["name", "title", "session", "order"]
    list_filter = ["session__station"]
    search_fields = ["name", "title", "session__title"]


@admin.register(AsRunEntry)
class AsRunEntryAdmin(admin.ModelAdmin):
    """The as-run log is a record: it is read here, never edited."""

    list_display = ["session", "question", "taken_at", "taken_by", "ended_at", "outcome"]
    list_filter = ["outcome", "session__station", "session"]
    search_fields = ["question__text", "session__title"]
    date_hierarchy = "taken_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
