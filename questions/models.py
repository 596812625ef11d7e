from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.models import Guest, LiveSession, Station

# Hard ceiling on stored text, whatever a session allows.
QUESTION_TEXT_HARD_LIMIT = 2000
# What an erased text reads, and how an erased id starts (questions/services/privacy.py).
ERASED_TEXT = "[erased]"
ERASED_ID_PREFIX = "erased:"

SOURCE_RE = re.compile(r"^(web|sms|manual|import|social:[a-z0-9][a-z0-9_.-]{0,30})$")


def validate_source(value: str) -> None:
    if not SOURCE_RE.match(value):
        raise ValidationError(
            _("Unknown source %(value)s: use web, sms, manual, import or social:<network>."),
            params={"value": value},
        )


class Author(models.Model):
    """Whoever sent a question, identified per platform by an opaque external id.

    For the web, the external id is the hashed voter id; for SMS, a hashed phone number.
    Raw IP addresses and phone numbers are never stored.
    """

    platform = models.CharField(max_length=40)
    external_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=120, blank=True)
    handle = models.CharField(max_length=120, blank=True)
    avatar_url = models.URLField(blank=True)
    followers_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Followers on the network, from the profile at ingest; empty if unknown."),
    )
    followers_checked_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the follower count was last read.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="one_author_per_platform_id"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.handle or f"{self.platform}:{self.external_id[:8]}"


class WallState(models.TextChoices):
    AUTO = "", _("As moderated")
    SHOWN = "shown", _("On the wall")
    PINNED = "pinned", _("Pinned to the wall")
    HIDDEN = "hidden", _("Hidden from the wall")


class QuestionStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ON_AIR = "on_air", _("On air")
    ANSWERED = "answered", _("Answered")
    ARCHIVED = "archived", _("Archived")


# Statuses the audience may see and vote on.
PUBLIC_STATUSES = (QuestionStatus.APPROVED, QuestionStatus.ON_AIR, QuestionStatus.ANSWERED)
VOTABLE_STATUSES = (QuestionStatus.APPROVED, QuestionStatus.ON_AIR)


class Question(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(max_length=QUESTION_TEXT_HARD_LIMIT)
    original_text = models.TextField(
        max_length=QUESTION_TEXT_HARD_LIMIT, blank=True, help_text=_("The text as received.")
    )
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    author_name = models.CharField(max_length=120, blank=True)
    air_name = models.CharField(
        max_length=120,
        blank=True,
        help_text=_("The name that airs instead of the author's (e.g. initials); blank: theirs."),
    )
    air_text = models.TextField(
        max_length=QUESTION_TEXT_HARD_LIMIT,
        blank=True,
        help_text=_("A shorter on-air wording that airs instead of the text; blank: the text."),
    )
    cued_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the question was cued to air next.")
    )
    source = models.CharField(max_length=40, validators=[validate_source])
    external_id = models.CharField(
        max_length=255,
        blank=True,
        help_text=_(
            "The message id at the source; a re-ingested message never makes a second question."
        ),
    )
    target_guest = models.ForeignKey(
        Guest, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    status = models.CharField(
        max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.PENDING
    )
    starred = models.BooleanField(default=False)
    vote_count = models.PositiveIntegerField(default=0)
    # +1 whenever a batch changes vote_count (the same UPDATE): clients keep, per question, the
    # count with the highest version, since volatile vote frames may arrive out of order.
    vote_version = models.BigIntegerField(default=0)
    language = models.CharField(max_length=8, blank=True, help_text=_("Detected language."))
    is_question = models.BooleanField(
        null=True, blank=True, help_text=_("Whether the text reads as a question.")
    )
    flags = models.JSONField(
        default=list,
        blank=True,
        help_text=_("What the automatic checks raised: [{code, reason}], for the moderator."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        help_text=_("The original question of this one's cluster; votes count for the cluster."),
    )
    hold_position = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("A place held in the ranked queue (1 = first), whatever the votes do."),
    )
    wall_state = models.CharField(
        max_length=8,
        choices=WallState.choices,
        default=WallState.AUTO,
        blank=True,
        help_text=_(
            "The social wall: approved questions show as moderated; a producer can show a "
            "message that is not a question, pin or hide."
        ),
    )
    wall_position = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Order of pinned items on the wall, from 1.")
    )
    report_count = models.PositiveIntegerField(
        default=0, help_text=_("Listeners who reported it as inappropriate.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="one_question_per_source_message",
            ),
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(status="on_air"),
                name="one_question_on_air_per_session",
            ),
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(cued_at__isnull=False),
                name="one_question_cued_per_session",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status", "created_at"]),
            models.Index(fields=["session", "status", "-vote_count"]),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def station_id(self) -> int:
        return self.session.station_id


class Vote(models.Model):
    """One vote per voter per question, held by the database.

    ``voter`` is an opaque keyed hash of the audience member's id, never a raw IP or phone number.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "voter"], name="one_vote_per_voter")
        ]

    def __str__(self) -> str:
        return f"vote on {self.question_id} by {self.voter[:8]}"


class ModerationAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    REOPEN = "reopen", _("Sent back to review")
    EDIT = "edit", _("Edited")
    STAR = "star", _("Starred")
    UNSTAR = "unstar", _("Unstarred")
    AIM = "aim", _("Aimed at a guest")
    HOLD = "hold", _("Place held in the queue")
    REQUEUE = "requeue", _("Put back in the queue")
    ARCHIVE = "archive", _("Archived")
    TAKE = "take", _("Taken on air")
    CLEAR = "clear", _("Cleared from air")
    ANSWER = "answer", _("Marked answered")
    BAN = "ban", _("Author banned")
    UNBAN = "unban", _("Author unbanned")
    REPORTED = "reported", _("Reported by the audience")
    WALL = "wall", _("Wall changed")


class ModerationLogEntry(models.Model):
    """Append-only record of every decision on a question: who, what, when, from → to, why."""

    session = models.ForeignKey(
        LiveSession, on_delete=models.CASCADE, related_name="moderation_log"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="log"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the studio itself decided (e.g. a banned author)."),
    )
    action = models.CharField(max_length=16, choices=ModerationAction.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        verbose_name_plural = "moderation log entries"
        indexes = [models.Index(fields=["session", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.from_status} → {self.to_status})"


class Ban(models.Model):
    """An author banned by a station: their new questions are rejected on arrival."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="bans")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bans")
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["station", "author"], name="one_ban_per_station_author")
        ]

    def __str__(self) -> str:
        return f"{self.author} banned at {self.station}"


class FeedKind(models.TextChoices):
    SMS = "sms", _("SMS (Twilio-compatible webhook)")
    WEBHOOK = "webhook", _("Signed JSON webhook")
    MASTODON = "mastodon", _("Mastodon hashtag")
    BLUESKY = "bluesky", _("Bluesky (Jetstream)")


def new_feed_token() -> str:
    return secrets.token_urlsafe(18)


class IngestFeed(models.Model):
    """One way questions come into a session from outside: a webhook or a followed stream.

    ``token`` names the feed in webhook URLs; ``secret`` signs or authenticates its messages
    (the Twilio auth token, or the HMAC key of the JSON webhook). ``checkpoint`` is where a
    followed stream resumes after a restart (Mastodon's last status id, Jetstream's cursor).
    """

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="feeds")
    kind = models.CharField(max_length=16, choices=FeedKind.choices)
    name = models.CharField(max_length=120, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    secret = models.CharField(max_length=200, blank=True)
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            'Mastodon: {"instance": "https://mastodon.example"}; Bluesky: {"endpoint": '
            '"wss://…/subscribe"}. Hashtags come from the session.'
        ),
    )
    enabled = models.BooleanField(default=True)
    checkpoint = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "kind", "id"]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} for {self.session}"


class AirAction(models.TextChoices):
    CUE = "cue", _("Cued")
    UNCUE = "uncue", _("Cue removed")
    TAKE = "take", _("Taken on air")
    CLEAR = "clear", _("Cleared from air")
    ANSWER = "answer", _("Marked answered")
    LOCK = "lock", _("Air locked")
    UNLOCK = "unlock", _("Air unlocked")
    REFUSE = "refuse", _("Take refused")


class AirLogEntry(models.Model):
    """The as-run log of the air itself: every cue, take, clear, lock and unlock, who and when,
    and every take the studio refused, with its reason."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="air_log")
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="air_log"
    )
    action = models.CharField(max_length=8, choices=AirAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"])]
        verbose_name_plural = "air log entries"

    def __str__(self) -> str:
        return f"{self.session} — {self.action} at {self.created_at:%H:%M:%S}"


class AudienceReport(models.Model):
    """A listener's report of an approved question as inappropriate: one per listener and
    question. ``reporter`` is the keyed hash of the listener's id, as for votes."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reports")
    reporter = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "reporter"], name="one_report_per_listener")
        ]

    def __str__(self) -> str:
        return f"report on {self.question_id}"


class DrawStatus(models.TextChoices):
    OPEN = "open", _("Collecting entries")
    DRAWN = "drawn", _("Drawn")


class Draw(models.Model):
    """A contest draw among the session's participants: who used a keyword or hashtag, in a
    time window, from some sources. The seed is kept so that the draw can be checked again."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="draws")
    title = models.CharField(max_length=120)
    keyword = models.CharField(max_length=80)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    sources = models.JSONField(
        default=list, blank=True, help_text=_("Source buckets taking part; empty: all.")
    )
    winners_count = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=8, choices=DrawStatus.choices, default=DrawStatus.OPEN)
    seed = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "created_at", "id"]

    def __str__(self) -> str:
        return self.title


class DrawEntry(models.Model):
    """One author's entry in a draw (their first matching message); ``winner_rank`` is set for
    the winners, from 1."""

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="entries")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    winner_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    winner_question = models.ForeignKey(
        Question,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The announcement of this winner, which goes on air through take."),
    )

    class Meta:
        ordering = ["draw", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "author"], name="one_entry_per_author")
        ]

    def __str__(self) -> str:
        return f"entry {self.author_id} in draw {self.draw_id}"


class PrivacyAction(models.TextChoices):
    RETENTION = "retention", _("Session's audience data erased (retention)")
    ERASE_AUTHOR = "erase_author", _("Author's data erased (on request)")
    EXPORT_AUTHOR = "export_author", _("Author's data exported (on request)")


class PrivacyLogEntry(models.Model):
    """Append-only record of what the studio erased or exported about its audience: which
    session or author, who asked, when, and how many rows of each kind (counts, never content)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="privacy_log")
    session = models.ForeignKey(
        LiveSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A plain id, not a key: the record outlives the author row and says nothing about them.
    author_id = models.PositiveBigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=PrivacyAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the studio itself ran it (the daily retention run)."),
    )
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["station", "-created_at", "-id"]
        indexes = [models.Index(fields=["station", "-created_at"])]
        verbose_name_plural = "privacy log entries"

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.created_at:%Y-%m-%d %H:%M}"
