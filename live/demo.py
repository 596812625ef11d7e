"""The demo studio that ``make run`` seeds: a station, two crew logins and a live session."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from questions import services as q
from questions.identity import opaque_id
from questions.models import ModerationLogEntry, Question, Vote
from questions.services import AuthorInfo
from studio import services as studio_services
from studio.models import Guest, LiveSession, Membership, Role, SessionStatus, Station

DEMO_SLUG = "demo-live"

# (text, author name, source, guest index or None, target status, starred, votes)
DEMO_QUESTIONS: list[tuple[str, str, str, int | None, str, bool, int]] = [
    (
        "Quel a été le déclic pour écrire ce nouvel album ?",
        "Camille",
        "web",
        0,
        "approved",
        True,
        14,
    ),
    (
        "What song from the new album are you proudest of, and why?",
        "Jordan",
        "web",
        0,
        "approved",
        False,
        11,
    ),
    (
        "Madame la ministre, quand les trains régionaux seront-ils enfin à l'heure ?",
        "Luc",
        "sms",
        1,
        "approved",
        False,
        22,
    ),
    (
        "Comment gérez-vous le trac avant de monter sur scène ?",
        "Inès",
        "social:mastodon",
        0,
        "approved",
        False,
        9,
    ),
    ("Will the tour come to Montréal this year?", "Priya", "web", 0, "approved", False, 7),
    (
        "Quelles mesures concrètes pour le logement des étudiants ?",
        "Hugo",
        "web",
        1,
        "approved",
        True,
        18,
    ),
    (
        "Do you still write songs on the piano first?",
        "Sam",
        "social:bluesky",
        0,
        "approved",
        False,
        5,
    ),
    ("Pourquoi avoir quitté votre ancien label ?", "Nadia", "web", 0, "approved", False, 3),
    (
        "How will the new budget affect public broadcasting?",
        "Morgan",
        "web",
        1,
        "approved",
        False,
        12,
    ),
    (
        "Un conseil pour les jeunes musiciens qui se lancent ?",
        "Théo",
        "sms",
        0,
        "approved",
        False,
        8,
    ),
    ("Is there a collaboration you still dream about?", "Alex", "web", 0, "approved", False, 4),
    (
        "Quelle est la place de la culture dans votre budget 2027 ?",
        "Chloé",
        "web",
        1,
        "approved",
        False,
        6,
    ),
    (
        "Can you say hi to my daughter Lina? She's your biggest fan!",
        "Marc",
        "web",
        0,
        "answered",
        False,
        2,
    ),
    ("Qu'écoutez-vous en ce moment ?", "Jade", "social:mastodon", 0, "answered", False, 10),
    ("What made you choose to record in Lisbon?", "Elena", "web", 0, "pending", False, 0),
    ("Allez-vous revenir sur la réforme des retraites ?", "Paul", "sms", 1, "pending", False, 0),
    (
        "Pourquoi les places de concert sont-elles si chères ?",
        "Manon",
        "web",
        0,
        "pending",
        False,
        0,
    ),
    ("When is the vinyl edition coming out?", "Chris", "social:bluesky", 0, "pending", False, 0),
    (
        "Que pensez-vous de l'intelligence artificielle dans la musique ?",
        "Yasmine",
        "web",
        0,
        "pending",
        False,
        0,
    ),
    ("How do you balance family life with touring?", "Dana", "web", 0, "pending", False, 0),
    (
        "Madame la ministre, pourquoi fermer la maternité de notre ville ?",
        "Sophie",
        "sms",
        1,
        "pending",
        False,
        0,
    ),
    ("What's the story behind the album cover?", "Riley", "web", 0, "pending", False, 0),
    ("Est-ce que vous chantez sous la douche ?", "Kevin", "web", 0, "pending", False, 0),
    ("Vous êtes nuls, rendez l'argent !!!", "anonyme", "web", None, "rejected", False, 0),
    (
        "BUY CHEAP FOLLOWERS NOW at my site",
        "promo_bot",
        "social:mastodon",
        None,
        "rejected",
        False,
        0,
    ),
    ("Who are your biggest influences?", "Taylor", "web", 0, "approved", False, 1),
    ("Quand sortira le prochain single ?", "Lucas", "web", 0, "approved", False, 0),
    (
        "What is the ministry doing about rural internet access?",
        "Owen",
        "web",
        1,
        "approved",
        False,
        3,
    ),
    ("Pouvez-vous nous jouer un extrait en acoustique ?", "Léa", "web", 0, "approved", False, 15),
    (
        "Old question from the warm-up, kept for the record",
        "Producer",
        "manual",
        None,
        "archived",
        False,
        0,
    ),
]


@dataclass(frozen=True)
class DemoLogins:
    producer: str
    host: str
    password: str
    session: LiveSession


def demo_password() -> str:
    """DEMO_PASSWORD when set, else one generated once and kept in the data folder."""
    if settings.DEMO_PASSWORD:
        return settings.DEMO_PASSWORD
    path = settings.DATA_DIR / "demo_password"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(9))
    return path.read_text().strip()


@transaction.atomic
def seed_demo(*, password: str | None = None) -> DemoLogins:
    """Create the demo once; running it again only resets the two logins' passwords."""
    password = password or demo_password()
    User = get_user_model()
    station, _ = Station.objects.get_or_create(slug="radio-demo", defaults={"name": "Radio Démo"})
    users = {}
    for username, role in (("producer", Role.PRODUCER), ("host", Role.HOST)):
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = role == Role.PRODUCER
        user.is_superuser = role == Role.PRODUCER
        user.save()
        Membership.objects.update_or_create(station=station, user=user, defaults={"role": role})
        users[role] = user
    producer = users[Role.PRODUCER]

    session = LiveSession.objects.filter(slug=DEMO_SLUG).first()
    if session is None:
        session = studio_services.session_create(
            actor=producer,
            station=station,
            title="Social Room — live with Aya Lune & the Minister of Culture",
            slug=DEMO_SLUG,
            hashtags=["SocialRoom", "RadioDemo"],
            language="fr",
        )
        session = q.session_set_status(actor=producer, session=session, status=SessionStatus.LIVE)
        guests = [
            studio_services.guest_create(
                actor=producer,
                session=session,
                name="Aya Lune",
                title="Singer-songwriter",
                bio="Her fourth album came out this week.",
                handles=["@ayalune"],
            ),
            studio_services.guest_create(
                actor=producer,
                session=session,
                name="Claire Morel",
                title="Ministre de la Culture",
                handles=["@clairemorel"],
            ),
        ]
        _seed_questions(session, guests, producer)
        _spread_over_the_last_half_hour(session)
    return DemoLogins(producer="producer", host="host", password=password, session=session)


# The seeded questions arrive over this long before the demo starts, so that its report has a
# history: arrivals per minute, decisions a little after each arrival, votes coming in.
DEMO_HISTORY = timedelta(minutes=30)


def _arrival(share: float) -> timedelta:
    """When the question at this share of the seeded list arrived, after the history's start:
    the conversation picks up as the show goes on, the last 40 % in its last ten minutes."""
    early, late = DEMO_HISTORY - timedelta(minutes=12), timedelta(minutes=9)
    if share < 0.6:
        return early * (share / 0.6)
    return DEMO_HISTORY - timedelta(minutes=10) + late * ((share - 0.6) / 0.4)


def _spread_over_the_last_half_hour(session: LiveSession) -> None:
    """Place the seeded history in time: the services stamp everything "now"."""
    now = timezone.now()
    start = now - DEMO_HISTORY
    questions = list(session.questions.order_by("id"))
    for n, question in enumerate(questions):
        arrived = start + _arrival(n / max(len(questions), 1))
        decided = arrived + timedelta(seconds=25 + (n * 37) % 150)
        fields: dict[str, object] = {"created_at": arrived}
        if question.approved_at is not None:
            fields["approved_at"] = decided
        if question.answered_at is not None:
            fields["answered_at"] = decided + timedelta(minutes=2)
        Question.objects.filter(pk=question.pk).update(**fields)
        log = ModerationLogEntry.objects.filter(question=question)
        log.filter(action="submit").update(created_at=arrived)
        log.exclude(action="submit").update(created_at=decided)
        room = max((now - decided).total_seconds() - 1, 1)
        for k, vote_pk in enumerate(
            Vote.objects.filter(question=question).order_by("id").values_list("pk", flat=True)
        ):
            at = decided + timedelta(seconds=(k * 47 + n * 11) % room)
            Vote.objects.filter(pk=vote_pk).update(created_at=at)


# Followers of the demo's social authors, as their network's profile would tell them.
DEMO_FOLLOWERS = {"Inès": 12_345, "Sam": 860, "Jade": 48_200, "Chris": 1_250_000, "promo_bot": 3}


def _seed_questions(session: LiveSession, guests: list[Guest], producer) -> None:
    for n, (text, name, source, guest_ix, target, starred, votes) in enumerate(DEMO_QUESTIONS):
        if source == "manual":
            author = None
        else:
            platform = source.split(":")[-1]
            author = AuthorInfo(
                platform=platform,
                external_id=opaque_id(f"demo-{n}", purpose="demo"),
                display_name=name,
                handle=f"@{name.lower()}" if source.startswith("social:") else "",
                followers=DEMO_FOLLOWERS.get(name) if source.startswith("social:") else None,
            )
        result = q.question_submit(
            session=session,
            text=text,
            source=source,
            author=author,
            author_name=name,
            external_id=f"demo-{n}",
            target_guest=guests[guest_ix] if guest_ix is not None else None,
            actor=producer,
        )
        question = result.question
        if target in ("approved", "answered"):
            question = q.question_approve(actor=producer, question=question)
        elif target == "rejected":
            question = q.question_reject(
                actor=producer, question=question, reason="Abusive or spam."
            )
        elif target == "archived":
            question = q.question_archive(actor=producer, question=question)
        if starred:
            q.question_star(actor=producer, question=question)
        # Votes are open on approved questions only, so they come before "answered".
        for v in range(votes):
            q.vote_cast(question=question, voter=opaque_id(f"demo-voter-{v}", purpose="voter"))
        if target == "answered":
            q.question_mark_answered(actor=producer, question=question)
