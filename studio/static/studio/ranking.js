// The host's ranked queue, as questions/ranking.py computes it (keep the two in step):
//   score = (votes + prior) * 0.5 ^ (minutes since approval / halfLife)   (halfLife 0: no decay)
// Starred first, then score (highest first), then the earlier approval, then the smaller id.
// A question with a held place (hold_position n) is then put at place n.

export function score(votes, approvedAt, now, { prior = 1, halfLifeMinutes = 10 } = {}) {
  const base = votes + prior;
  if (!halfLifeMinutes || !approvedAt) return base;
  const minutes = Math.max(0, (now - approvedAt) / 60000);
  return base * 0.5 ** (minutes / halfLifeMinutes);
}

// questions: [{id, votes, approved_at (ISO string or null), starred, hold_position}]
// Returns the ids in queue order.
export function rank(questions, now, weights) {
  const keyed = questions.map((q) => {
    const approved = q.approved_at ? Date.parse(q.approved_at) : null;
    return {
      q,
      starred: q.starred ? 0 : 1,
      score: Math.round(score(q.votes, approved, now, weights) * 1e9) / 1e9,
      approved: approved === null ? Infinity : approved,
    };
  });
  const cmp = (a, b) =>
    a.starred - b.starred ||
    b.score - a.score ||
    a.approved - b.approved ||
    a.q.id - b.q.id;
  const free = keyed.filter((k) => !k.q.hold_position).sort(cmp);
  const order = free.map((k) => k.q.id);
  const held = keyed
    .filter((k) => k.q.hold_position)
    .sort((a, b) => a.q.hold_position - b.q.hold_position || cmp(a, b));
  for (const k of held) {
    order.splice(Math.min(k.q.hold_position - 1, order.length), 0, k.q.id);
  }
  return order;
}
