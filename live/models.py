"""What the crew say to each other during the show."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.models import LiveSession

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
