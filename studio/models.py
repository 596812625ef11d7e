from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.post_templates import post_template_problem


def new_overlay_key() -> str:
    return secrets.token_urlsafe(24)


def default_retention_days() -> int:
    """The station-wide default of a new session's retention (AUDIENCE_DATA_RETENTION_DAYS)."""
    return int(settings.AUDIENCE_DATA_RETENTION_DAYS)


class Station(models.Model):
    """The organisation (a radio or TV station) whose crew runs sessions."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    blocked_words = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Words the profanity check flags for this station, on top of its lists."),
    )
    allowed_words = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Words the profanity check never flags for this station (e.g. a band name)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PRODUCER = "producer", _("Producer")
    MODERATOR = "moderator", _("Moderator")
    HOST = "host", _("Host")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    """A crew member of a station, with one role."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station", "user"], name="one_membership_per_station")
        ]
        ordering = ["station", "user"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.station}"


class SessionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")


class ModerationMode(models.TextChoices):
    PRE = "pre", _("Pre-moderated: questions wait for approval")
    POST = "post", _("Post-moderated: questions are approved on arrival")


class FlaggedPolicy(models.TextChoices):
    HOLD = "hold", _("Hold flagged questions for review")
    REJECT = "reject", _("Reject flagged questions, with the reasons logged")


class LiveSession(models.Model):
    """One live guest session of a station: its audience questions, guests and on-air state."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    hashtags = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(
        max_length=8, choices=SessionStatus.choices, default=SessionStatus.DRAFT
    )
    submissions_open = models.BooleanField(
        default=True, help_text=_("Whether the audience may send questions while live.")
    )
    moderation_mode = models.CharField(
        max_length=8, choices=ModerationMode.choices, default=ModerationMode.PRE
    )
    flagged_policy = models.CharField(
        max_length=8,
        choices=FlaggedPolicy.choices,
        default=FlaggedPolicy.HOLD,
        help_text=_(
            "What happens to a question the automatic checks flag. Clean questions follow the "
            "moderation mode (pre: wait for review; post: approved on arrival)."
        ),
    )
    max_question_length = models.PositiveIntegerField(
        default=280, validators=[MinValueValidator(20), MaxValueValidator(2000)]
    )
    overlay_key = models.CharField(max_length=64, default=new_overlay_key, unique=True)
    air_locked = models.BooleanField(
        default=False,
        help_text=_(
            "The air is locked: nothing is on air and nothing can be taken until unlocked."
        ),
    )
    control_key = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("The key of control surfaces (a Stream Deck); blank: they are turned off."),
    )
    report_threshold = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Audience reports after which an approved question goes back to review."),
    )
    post_back_enabled = models.BooleanField(
        default=False,
        help_text=_("Post what airs to the station's accounts (off until a producer turns it on)."),
    )
    post_template = models.CharField(
        max_length=500,
        blank=True,
        default="On air: {question} — asked by {name}, answered by {guest}",
        help_text=_("What is posted when a question airs: {question}, {name}, {guest}, {session}."),
    )
    rank_prior = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)],
        help_text=_("Ranking: what a question with no votes is worth, so new ones can compete."),
    )
    rank_half_life_minutes = models.PositiveIntegerField(
        default=10,
        validators=[MaxValueValidator(1440)],
        help_text=_(
            "Ranking: minutes after approval at which a question's score has halved; 0 turns "
            "time decay off."
        ),
    )
    retention_days = models.PositiveIntegerField(
        default=default_retention_days,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Days after the session ends that its audience's names and non-aired questions are "
            "kept; then they are erased (docs/privacy.md)."
        ),
    )
    audience_data_erased_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the retention run erased the audience's data; empty: not yet."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["station", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def accepts_questions(self) -> bool:
        return self.status == SessionStatus.LIVE and self.submissions_open

    def clean(self) -> None:
        problem = post_template_problem(self.post_template)
        if problem is not None:
            raise ValidationError({"post_template": problem})


class Guest(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=200, blank=True, help_text=_("Role or title on air."))
    photo_url = models.URLField(blank=True)
    bio = models.TextField(max_length=1000, blank=True)
    handles = models.JSONField(
        default=list, blank=True, help_text=_('Social handles, e.g. ["@guest"].')
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["session", "order", "id"]

    def __str__(self) -> str:
        return self.name


class AsRunOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    CLEARED = "cleared", _("Cleared")
    REPLACED = "replaced", _("Replaced by the next take")


class AsRunEntry(models.Model):
    """What was on air, from when to when, and who took it and ended it."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="as_run")
    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="as_run"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField()
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AsRunOutcome.choices, blank=True)

    class Meta:
        ordering = ["session", "taken_at"]
        verbose_name_plural = "as-run entries"
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_as_run_entry_per_session",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} — question {self.question_id} at {self.taken_at:%H:%M:%S}"

    @property
    def duration_seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.taken_at).total_seconds()


class EventStream(models.Model):
    """The head of one of a session's event streams: its last sequence number.

    A session has three streams: ``crew`` (everything), ``public`` (what the audience may see)
    and ``overlay`` (on-air state only). The row is locked while an event is appended, so the
    sequence rises by one per event whichever server process writes it.
    """

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="streams")
    stream = models.CharField(max_length=16)
    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "stream"], name="one_head_per_stream")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.stream} at {self.last_seq}"


class EventLogEntry(models.Model):
    """One event of a stream, kept a few minutes so that reconnecting clients can replay."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="+")
    stream = models.CharField(max_length=16)
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=32)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "stream", "seq"], name="one_event_per_stream_seq"
            )
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.stream} #{self.seq} {self.type}"
