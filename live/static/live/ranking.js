// The host's ranked queue, as questions/ranking.py computes it (keep the two in step):
//   score = (votes + prior) * 0.5 ^ (minutes since approval / halfLife)   (halfLife 0: no decay)
// Starred first, then score (highest first), then the earlier approval, then the smaller id.
// A question with a held place (hold_position n) is then put at place n.
//
// Every score decays by the same factor over time, so the order changes only when a vote, a star,
// a hold or an approval does. Questions are compared by a key that does not depend on the time:
//   key = log2(votes + prior) + minutes from a fixed epoch to the approval / halfLife
// RankedQueue uses it to keep the queue in order incrementally: a vote moves one question to its
// new place by binary search instead of re-sorting the queue.

const EPOCH_MS = Date.UTC(2024, 0, 1);
const KEY_SCALE = 1e6; // keys rounded to 6 decimals, as on the server

export function rankKey(votes, approvedMs, nowMs, { prior = 1, halfLifeMinutes = 10 } = {}) {
  const base = votes + prior;
  if (!halfLifeMinutes) return base;
  if (base <= 0) return -Infinity;
  const minutes = ((approvedMs ?? nowMs) - EPOCH_MS) / 60000;
  return Math.round((Math.log2(base) + minutes / halfLifeMinutes) * KEY_SCALE) / KEY_SCALE;
}

function entry(q, nowMs, weights) {
  const approved = q.approved_at ? Date.parse(q.approved_at) : null;
  return {
    id: q.id,
    held: q.hold_position || 0,
    starred: q.starred ? 0 : 1,
    key: rankKey(q.votes, approved, nowMs, weights),
    approved: approved === null ? Infinity : approved,
  };
}

function compare(a, b) {
  return a.starred - b.starred || b.key - a.key || a.approved - b.approved || a.id - b.id;
}

// The index of the first entry that does not rank before item.
function lowerBound(list, item) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(list[mid], item) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(list, item) {
  list.splice(lowerBound(list, item), 0, item);
}

function removeSorted(list, item) {
  const at = lowerBound(list, item);
  if (list[at]?.id === item.id) list.splice(at, 1);
}

// The approved questions in queue order, updated one question at a time.
export class RankedQueue {
  constructor(weights, nowMs = Date.now()) {
    this.weights = weights;
    this.nowMs = nowMs; // only for a question without an approval time
    this.entries = new Map(); // id -> entry
    this.free = []; // entries without a held place, sorted
    this.cached = null;
  }

  // Add, move or (when it is no longer approved) remove one question.
  update(q) {
    const old = this.entries.get(q.id);
    if (old) {
      if (!old.held) removeSorted(this.free, old);
      this.entries.delete(q.id);
    }
    if (q.status === undefined || q.status === "approved") {
      const fresh = entry(q, this.nowMs, this.weights);
      this.entries.set(q.id, fresh);
      if (!fresh.held) insertSorted(this.free, fresh);
    }
    this.cached = null;
  }

  remove(id) {
    const old = this.entries.get(id);
    if (!old) return;
    if (!old.held) removeSorted(this.free, old);
    this.entries.delete(id);
    this.cached = null;
  }

  // The ids in queue order (held questions at their places).
  order() {
    if (this.cached) return this.cached;
    const order = this.free.map((e) => e.id);
    const held = [...this.entries.values()]
      .filter((e) => e.held)
      .sort((a, b) => a.held - b.held || compare(a, b));
    for (const e of held) order.splice(Math.min(e.held - 1, order.length), 0, e.id);
    this.cached = order;
    return order;
  }
}

// questions: [{id, votes, approved_at (ISO string or null), starred, hold_position}]
// Returns the ids in queue order (all at once: the reference RankedQueue agrees with).
export function rank(questions, now, weights) {
  const queue = new RankedQueue(weights, now);
  const free = [];
  for (const q of questions) {
    const e = entry(q, now, weights);
    queue.entries.set(q.id, e);
    if (!e.held) free.push(e);
  }
  queue.free = free.sort(compare);
  return queue.order();
}
