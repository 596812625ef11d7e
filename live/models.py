"""What the crew say to each other during the show."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from questions.models import Question
from studio.models import LiveSession, Station

BACKSTAGE_MESSAGE_MAX_LENGTH = 140


class BackstageMessage(models.Model):
    """A short message from a producer to the host's tablet, with its read receipt."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="backstage")
    text = models.CharField(max_length=BACKSTAGE_MESSAGE_MAX_LENGTH)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True, help_text=_("When the host read it."))

    class Meta:
        ordering = ["session", "sent_at", "id"]

    def __str__(self) -> str:
        return self.text


class Network(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"


class StationAccount(models.Model):
    """A station's own account on a social network, where what airs is posted back.

    Mastodon: ``service`` is the instance URL and ``secret`` an access token with write:statuses.
    Bluesky: ``service`` is the PDS URL, ``handle`` the account and ``secret`` an app password.
    """

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="accounts")
    network = models.CharField(max_length=16, choices=Network.choices)
    service = models.URLField()
    handle = models.CharField(max_length=120, blank=True)
    secret = models.CharField(max_length=300)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station", "network"], name="one_account_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle or self.service}"


class PostStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be posted")
    POSTED = "posted", _("Posted")
    FAILED = "failed", _("Failed")


class PostBack(models.Model):
    """One post of an aired question to one of the station's accounts: made once, whatever the
    retries; ``link`` is the post's address."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="posts")
    network = models.CharField(max_length=16, choices=Network.choices)
    text = models.CharField(max_length=500)
    status = models.CharField(max_length=8, choices=PostStatus.choices, default=PostStatus.PENDING)
    link = models.URLField(blank=True, max_length=500)
    remote_id = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["question", "network"]
        constraints = [
            models.UniqueConstraint(fields=["question", "network"], name="one_post_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.network} post of {self.question_id}"
