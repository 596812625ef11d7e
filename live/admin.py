"""Admin for the station's accounts where what airs is posted back, and the posts made."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from live.models import PostBack, StationAccount
from live.posting.services import post_back_resend
from live.posting.tasks import post_back_soon
from studio.admin import URL_FIELDS


class StationAccountForm(forms.ModelForm):
    # An address typed without its scheme is an https one.
    service = forms.URLField(
        label=_("Service"),
        assume_scheme="https",
        max_length=200,
        help_text=_("Mastodon: the instance. Bluesky: the account's PDS (https://bsky.social)."),
    )
    # Write-only: the secret is never sent back to the browser; left blank, it is kept.
    secret = forms.CharField(
        label=_("Secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Mastodon: an access token with write:statuses. Bluesky: an app password. "
            "Never shown again; leave blank to keep the one saved."
        ),
    )

    class Meta:
        model = StationAccount
        fields = ["station", "network", "service", "handle", "secret", "enabled"]
        labels = {
            "station": _("Station"),
            "network": _("Network"),
            "service": _("Service"),
            "handle": _("Handle"),
            "enabled": _("Enabled"),
        }
        help_texts = {
            "service": _(
                "Mastodon: the instance. Bluesky: the account's PDS (https://bsky.social)."
            ),
            "handle": _("Bluesky: the handle you log in with. Mastodon: for the crew only."),
        }

    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret", "")
        if secret:
            return secret
        if self.instance.pk and self.instance.secret:
            return self.instance.secret
        raise forms.ValidationError(_("An account needs its secret."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("network") == "bluesky" and not data.get("handle"):
            self.add_error("handle", _("A Bluesky account needs its handle."))
        return data


@admin.register(StationAccount)
class StationAccountAdmin(admin.ModelAdmin):
    form = StationAccountForm
    formfield_overrides = URL_FIELDS
    list_display = ["station", "network", "handle", "service", "enabled", "created_at"]
    list_filter = ["network", "enabled", "station"]
    search_fields = ["handle", "service", "station__name"]


@admin.register(PostBack)
class PostBackAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["short_question", "network", "status", "post_link"]
    list_filter = ["network", "status", "question__session__station"]
    search_fields = ["text", "question__text", "question__session__title"]
    list_select_related = ["question"]
    readonly_fields = [
        "question",
        "network",
        "text",
        "status",
        "link",
        "remote_id",
        "attempts",
        "last_error",
        "created_at",
        "posted_at",
    ]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("Question"), ordering="question")
    def short_question(self, post: PostBack) -> str:
        return Truncator(post.question.text).chars(50)

    @admin.display(description=_("Post"))
    def post_link(self, post: PostBack) -> str:
        if not post.link:
            return Truncator(post.last_error).chars(40)
        return format_html(
            '<a href="{}" rel="noopener noreferrer">{}</a>', post.link, _("Open the post")
        )

    @admin.action(description=_("Send failed posts again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[PostBack]) -> None:
        sent = sum(post_back_resend(post=post, deliver=post_back_soon) for post in queryset)
        self.message_user(
            request,
            ngettext("%(count)d post sent again.", "%(count)d posts sent again.", sent)
            % {"count": sent},
            messages.SUCCESS,
        )
