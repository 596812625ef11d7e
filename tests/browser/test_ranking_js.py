"""The console ranks in the browser exactly as the server ranks for feeds and snapshots."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from questions.ranking import Rankable, Weights, rank

RANK_IN_BROWSER = """
async ([questions, now, weights]) => {
  const { rank } = await import("/static/studio/ranking.js");
  return rank(questions, now, weights);
}
"""


def _questions(rng: random.Random, now: datetime, count: int) -> list[Rankable]:
    items = []
    for pk in range(1, count + 1):
        approved = now - timedelta(seconds=rng.choice([0, 30, 60, 600, 3600, 7200]))
        items.append(
            Rankable(
                id=pk,
                votes=rng.choice([0, 0, 1, 2, 3, 5, 8, 40]),
                approved_at=approved if rng.random() > 0.05 else None,
                starred=rng.random() < 0.15,
                hold_position=rng.choice([None] * 12 + [1, 2, 5, 40]),
            )
        )
    return items


def test_the_console_and_the_server_put_the_queue_in_the_same_order(new_page):
    page = new_page("/login/")
    rng = random.Random(20261122)
    now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    for weights in (Weights(1.0, 10), Weights(0.0, 0), Weights(3.5, 2)):
        questions = _questions(rng, now, 60)
        expected = rank(questions, now, weights)
        as_json = [
            {
                "id": q.id,
                "votes": q.votes,
                "approved_at": q.approved_at.isoformat() if q.approved_at else None,
                "starred": q.starred,
                "hold_position": q.hold_position,
            }
            for q in questions
        ]
        js_weights = {"prior": weights.prior, "halfLifeMinutes": weights.half_life_minutes}
        in_browser = page.evaluate(RANK_IN_BROWSER, [as_json, now.timestamp() * 1000, js_weights])
        assert in_browser == expected, weights
