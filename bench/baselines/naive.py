"""The peer: a naive Channels design, as a first version of live Q&A is often written.

One consumer does everything. A vote is written in its own transaction (the vote row, then the
question's count with an F() update), acknowledged, and then the whole ranked queue of the
session is built, serialised and sent through the channel layer to every subscribed socket of
the session. A take changes the question's status and sends the whole queue again, with what is
on air. There is no sequence number, no replay log and no coalescing: a client that reconnects
asks for the whole queue.

Frames are shaped like the studio's, so that the same clients measure both:

- ``hello`` with ``{"seq": null}`` subscribes and answers with the whole queue; with a number
  (a client that already has the queue) it subscribes and answers ``{"type": "subscribed"}``;
- ``vote`` ``{"question": id}`` (voter from the ``sr_voter`` cookie) -> ``ack`` with ``votes``,
  or ``error`` with a ``code``; a socket that never says hello can vote without subscribing;
- ``take`` ``{"question": id}`` -> ``ack``;
- the queue: ``{"type": "queue", "on_air": {"question": {...} | null}, "questions": [...]}``.

There is no login check: it would only make the peer slower.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from questions.models import Question, QuestionStatus, Vote
from questions.selectors import ranked_queue
from questions.shapes import public_question
from questions.voters import COOKIE, voter_from_token
from studio.models import LiveSession


def write_vote(question_id: int, voter: str) -> int:
    """The vote and the question's count in one transaction; returns the count after it."""
    with transaction.atomic():
        Vote.objects.create(question_id=question_id, voter=voter)
        Question.objects.filter(pk=question_id).update(vote_count=F("vote_count") + 1)
        return Question.objects.values_list("vote_count", flat=True).get(pk=question_id)


def take_on_air(session_id: int, question_id: int) -> bool:
    with transaction.atomic():
        Question.objects.filter(session_id=session_id, status=QuestionStatus.ON_AIR).update(
            status=QuestionStatus.ANSWERED, answered_at=timezone.now()
        )
        return bool(
            Question.objects.filter(
                session_id=session_id, pk=question_id, status=QuestionStatus.APPROVED
            ).update(status=QuestionStatus.ON_AIR)
        )


def queue_text(session_id: int) -> str:
    """The whole ranked queue of the session and what is on air, as one JSON text."""
    session = LiveSession.objects.get(pk=session_id)
    on_air = Question.objects.filter(session=session, status=QuestionStatus.ON_AIR).first()
    return json.dumps(
        {
            "type": "queue",
            "on_air": {
                "question": (
                    {"id": on_air.pk, "text": on_air.text, "author_name": on_air.author_name}
                    if on_air
                    else None
                )
            },
            "questions": [public_question(q) for q in ranked_queue(session)],
        }
    )


class NaiveConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.session_id = await database_sync_to_async(
            LiveSession.objects.filter(slug=slug).values_list("pk", flat=True).first
        )()
        if self.session_id is None:
            await self.close(code=4404)
            return
        self.group = f"naive.{self.session_id}"
        self.subscribed = False
        self.voter = voter_from_token(self.scope.get("cookies", {}).get(COOKIE, ""))
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "subscribed", False):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = json.loads(text_data or "{}")
        type_, id_, data = message.get("type"), message.get("id"), message.get("data") or {}
        if type_ == "hello":
            await self.hello(data.get("seq"))
        elif type_ == "vote":
            await self.vote(id_, data.get("question"))
        elif type_ == "take":
            await self.take(id_, data.get("question"))
        else:
            await self.reply("error", {"id": id_, "code": "unknown_type"})

    async def hello(self, seq: int | None) -> None:
        if not self.subscribed:
            await self.channel_layer.group_add(self.group, self.channel_name)
            self.subscribed = True
        if seq is None:
            await self.send(text_data=await database_sync_to_async(queue_text)(self.session_id))
        else:
            await self.reply("subscribed", {})

    async def vote(self, id_: Any, question_id: int) -> None:
        if self.voter is None:
            await self.reply("error", {"id": id_, "code": "no_voter"})
            return
        try:
            count = await database_sync_to_async(write_vote)(question_id, self.voter)
        except IntegrityError:
            await self.reply("error", {"id": id_, "code": "already_voted"})
            return
        await self.reply(
            "ack",
            {"id": id_, "action": "vote", "question": question_id, "votes": count, "voted": True},
        )
        await self.broadcast_queue()

    async def take(self, id_: Any, question_id: int) -> None:
        if not await database_sync_to_async(take_on_air)(self.session_id, question_id):
            await self.reply("error", {"id": id_, "code": "invalid_transition"})
            return
        await self.reply("ack", {"id": id_, "action": "take", "question": question_id})
        await self.broadcast_queue()

    async def broadcast_queue(self) -> None:
        text = await database_sync_to_async(queue_text)(self.session_id)
        await self.channel_layer.group_send(self.group, {"type": "queue.message", "text": text})

    async def queue_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])

    async def reply(self, type_: str, data: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"seq": None, "type": type_, "data": data}))
