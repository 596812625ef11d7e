"""The console ranks in the browser exactly as the server ranks for feeds and snapshots."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from questions.ranking import Rankable, Weights, rank

RANK_IN_BROWSER = """
async ([questions, now, weights]) => {
  const { rank } = await import("/static/live/ranking.js");
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


UPDATE_IN_BROWSER = """
async ([questions, steps, now, weights]) => {
  const { RankedQueue } = await import("/static/live/ranking.js");
  const queue = new RankedQueue(weights, now);
  for (const q of questions) queue.update(q);
  const orders = [];
  for (const step of steps) {
    for (const q of step) queue.update(q);
    orders.push(queue.order());
  }
  return orders;
}
"""


def _as_json(q: Rankable, status: str = "approved") -> dict:
    return {
        "id": q.id,
        "votes": q.votes,
        "approved_at": q.approved_at.isoformat() if q.approved_at else None,
        "starred": q.starred,
        "hold_position": q.hold_position,
        "status": status,
    }


def test_the_console_keeps_the_queue_in_order_one_change_at_a_time(new_page):
    """Votes, stars, holds and questions leaving or joining the queue, applied incrementally
    in the browser, give the order the server computes from scratch after each step."""
    page = new_page("/login/")
    rng = random.Random(5)
    now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    weights = Weights(1.0, 10)
    current = {q.id: q for q in _questions(rng, now, 80)}
    approved = set(current)
    start = [_as_json(q) for q in current.values()]
    steps, expected = [], []
    for _ in range(40):
        step = []
        for _ in range(rng.choice([1, 3, 8])):
            q = current[rng.choice(list(current))]
            change = rng.random()
            if change < 0.6:
                q = replace(q, votes=q.votes + rng.choice([1, 1, 2, -1 if q.votes else 1]))
            elif change < 0.75:
                q = replace(q, starred=not q.starred)
            elif change < 0.85:
                q = replace(q, hold_position=rng.choice([None, None, 1, 3]))
            current[q.id] = q
            if change >= 0.85 and rng.random() < 0.5:
                approved ^= {q.id}
            step.append(_as_json(q, "approved" if q.id in approved else "answered"))
        steps.append(step)
        expected.append(rank([current[i] for i in approved], now, weights))
    js_weights = {"prior": weights.prior, "halfLifeMinutes": weights.half_life_minutes}
    orders = page.evaluate(UPDATE_IN_BROWSER, [start, steps, now.timestamp() * 1000, js_weights])
    assert orders == expected
