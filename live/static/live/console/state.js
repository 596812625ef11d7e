// The session state and the console's own view settings, and what snapshots and events do to them.

import { Status } from "../realtime.js";
import { RankedQueue } from "../ranking.js";
import { invalidate } from "./board.js";
import { showInfo } from "./actions.js";
import { config, fold, t } from "./text.js";

export const CLOSED = new Set(["answered", "rejected"]);

export const state = {
  session: null,
  guests: [],
  questions: new Map(), // id -> question (a new object on every change: see ensureCard)
  onAir: { question: null, taken_at: null },
  cue: null, // the cued question, as the lower third would show it, or null
  backstage: new Map(), // message id -> backstage message, with its read receipt
  capabilities: new Set(config.capabilities),
  clockOffset: 0, // server clock minus ours
  queue: new RankedQueue({ prior: 1, halfLifeMinutes: 10 }), // approved questions, in order
};

export const ui = {
  status: Status.CONNECTING,
  guest: null, // guest filter: a guest id, or null for all guests
  search: "",
  holdOrder: false,
  shownOrder: [], // the queue's order as last drawn; kept while the order is held
  selected: null,
  selectedIndex: 0,
  busy: new Set(), // "action:question" keys of commands waiting for their answer
  rejecting: new Set(), // ids whose reject reason field is open
  confirmingAnswered: null, // the queue card whose "Answered" waits for a second touch
  closedAt: new Map(), // id -> when this page saw it answered or rejected
  lastUpdate: null,
  guestsDrawn: null,
};

export const can = (capability) => state.capabilities.has(capability);

function prepare(q) {
  q.searchText = fold(`${q.text} ${q.author_name || ""} ${q.author?.handle || ""}`);
  return q;
}

export function applySnapshot(data) {
  const capabilities = new Set(data.me?.capabilities ?? state.capabilities);
  const sameRole =
    capabilities.size === state.capabilities.size &&
    [...capabilities].every((c) => state.capabilities.has(c));
  if (!sameRole) {
    // The page was drawn for another role: draw it again for this one.
    showInfo(t("role_changed"));
    window.setTimeout(() => window.location.reload(), 1500);
  }
  state.session = data.session;
  state.guests = data.guests ?? [];
  state.onAir = data.on_air ?? { question: null, taken_at: null };
  state.questions = new Map((data.questions ?? []).map((q) => [q.id, prepare(q)]));
  const serverNow = Date.parse(data.server_time);
  state.clockOffset = Number.isNaN(serverNow) ? 0 : serverNow - Date.now();
  rebuildQueue();
  for (const id of ui.closedAt.keys()) {
    if (!CLOSED.has(state.questions.get(id)?.status)) ui.closedAt.delete(id);
  }
  for (const id of ui.rejecting) {
    if (state.questions.get(id)?.status !== "pending") ui.rejecting.delete(id);
  }
  state.backstage = new Map((data.backstage ?? []).map((m) => [m.id, m]));
  state.cue = "cue" in data ? data.cue?.question ?? null : cueFromQuestions();
  ui.lastUpdate = Date.now();
  invalidate({ all: true });
}

// Without a cue in the snapshot: the question marked cued, as the crew sees it.
function cueFromQuestions() {
  for (const q of state.questions.values()) {
    if (q.cued_at && q.status === "approved") {
      return {
        id: q.id,
        text: q.air_text || q.text,
        author_name: q.air_name || q.author_name,
        source: q.source,
        guest: null,
      };
    }
  }
  return null;
}

export function applyEvent(type, data) {
  ui.lastUpdate = Date.now();
  if (type === "question") {
    const before = state.questions.get(data.id);
    const q = data.question;
    if (!q) {
      state.questions.delete(data.id);
      state.queue.remove(data.id);
    } else {
      if (CLOSED.has(q.status) && before?.status !== q.status) ui.closedAt.set(q.id, Date.now());
      if (!CLOSED.has(q.status)) ui.closedAt.delete(q.id);
      if (q.status !== "pending") ui.rejecting.delete(q.id);
      if ((before?.votes_version ?? -1) > (q.votes_version ?? -1)) {
        // A votes frame newer than this event's count already came: keep its count.
        q.votes = before.votes;
        q.votes_version = before.votes_version;
      }
      state.questions.set(q.id, prepare(q));
      state.queue.update(q);
    }
  } else if (type === "votes") {
    // Volatile frames (no seq) may cross each other and the question events: per question,
    // the count with the highest version wins. Each changed count moves one question to its
    // new place: no re-sort of the queue.
    const versions = data.versions ?? {};
    for (const [key, count] of Object.entries(data.counts ?? {})) {
      const q = state.questions.get(Number(key));
      const version = versions[key] ?? 0;
      if (!q || version <= (q.votes_version ?? -1)) continue;
      const moved = { ...q, votes: count, votes_version: version };
      state.questions.set(q.id, moved);
      if (q.votes !== count) state.queue.update(moved);
    }
  } else if (type === "wall") {
    // A producer's wall change: the items' wall state only, the rest of each question stays.
    for (const item of data.items ?? []) {
      const q = state.questions.get(item.id);
      if (q) {
        const moved = { ...q, wall_state: item.wall_state, wall_position: item.wall_position };
        state.questions.set(q.id, moved);
        state.queue.update(moved);
      }
    }
  } else if (type === "on_air") {
    // One event for a whole air change: what is on air, the questions it moved, the cue.
    state.onAir = { question: data.question ?? null, taken_at: data.taken_at ?? null };
    for (const item of data.questions ?? []) applyEvent("question", item);
    if ("cue" in data) {
      state.cue = data.cue?.question ?? null;
      invalidate({ all: true });
      return;
    }
  } else if (type === "cue") {
    state.cue = data.question ?? null;
    invalidate({ all: true }); // the cued card and the one before it are marked
    return;
  } else if (type === "backstage") {
    const m = data.message;
    if (m) state.backstage.set(m.id, m);
  } else if (type === "session") {
    const weightsBefore = queueWeights();
    state.session = data.session;
    const weightsNow = queueWeights();
    if (
      weightsNow.prior !== weightsBefore.prior ||
      weightsNow.halfLifeMinutes !== weightsBefore.halfLifeMinutes
    ) {
      rebuildQueue();
    }
  } else if (type === "guests") {
    state.guests = data.guests ?? [];
    invalidate({ all: true }); // names on every card may have changed
    return;
  } else {
    return;
  }
  invalidate();
}

function queueWeights() {
  return {
    prior: state.session?.rank_prior ?? 1,
    halfLifeMinutes: state.session?.rank_half_life_minutes ?? 10,
  };
}

// The whole queue sorted again: on a snapshot and when the ranking settings change.
function rebuildQueue() {
  state.queue = new RankedQueue(queueWeights(), Date.now() + state.clockOffset);
  for (const q of state.questions.values()) {
    if (q.status === "approved") state.queue.update(q);
  }
}

export function queueOrder() {
  const ranked = state.queue.order();
  if (!ui.holdOrder) return ranked;
  // Held: keep the order the host is reading; newcomers go to the end, leavers just go.
  const present = new Set(ranked);
  const kept = ui.shownOrder.filter((id) => present.has(id));
  const keptSet = new Set(kept);
  return kept.concat(ranked.filter((id) => !keptSet.has(id)));
}
