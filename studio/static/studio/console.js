// The host console: moderation, the ranked queue and what is on air, for one session.
//
// State comes from the crew stream (docs/realtime.md): a snapshot replaces all of it, events
// update it. Changes are drawn in the next animation frame; each question keeps one DOM node,
// reused and updated in place, so a vote moves a card instead of rebuilding the column.
// Text from the audience and the crew (questions, names, titles) reaches the page only through
// textContent.

import { LiveStream, Status, socketUrl } from "./realtime.js";
import { RankedQueue } from "./ranking.js";

const config = readJson("console-config");
const STRINGS = readJson("console-strings");

const LIST_LIMIT = 200; // cards drawn per column; search and the guest filter reach the rest
const RECENT_LIMIT = 5;
const DECAY_REFRESH_MS = 10_000; // scores decay with time: rank again even without events
const INFO_NOTICE_MS = 8_000;
const MAX_HOLD_POSITION = 50;
const COMMAND_TIMEOUT_MS = 10_000; // past this, a command counts as lost: its button is freed
const CLOSED = new Set(["answered", "rejected"]);

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const plurals = new Intl.PluralRules(document.documentElement.lang || undefined);

function readJson(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

function t(key, params = {}) {
  let text = STRINGS[key] ?? key;
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

function votesLabel(n, { number = true } = {}) {
  const key = plurals.select(n) === "one" ? "vote_one" : "vote_other";
  return t(key, { n: number ? n : "" }).trim();
}

// Case- and accent-insensitive search: "reforme" finds "réforme".
function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

function formatTime(iso, format = timeFormat) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? "" : format.format(ms);
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// el("p", "class names", "text") — text is always set as text.
function el(tag, className = "", text = null) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== null) node.textContent = text;
  return node;
}

// --- state --------------------------------------------------------------------------------------

const state = {
  session: null,
  guests: [],
  questions: new Map(), // id -> question (a new object on every change: see ensureCard)
  onAir: { question: null, taken_at: null },
  capabilities: new Set(config.capabilities),
  clockOffset: 0, // server clock minus ours
  queue: new RankedQueue({ prior: 1, halfLifeMinutes: 10 }), // approved questions, in order
};

const ui = {
  status: Status.CONNECTING,
  guest: null, // guest filter: a guest id, or null for all guests
  search: "",
  holdOrder: false,
  shownOrder: [], // the queue's order as last drawn; kept while the order is held
  selected: null,
  selectedIndex: 0,
  busy: new Set(), // "action:question" keys of commands waiting for their answer
  rejecting: new Set(), // ids whose reject reason field is open
  closedAt: new Map(), // id -> when this page saw it answered or rejected
  lastUpdate: null,
  guestsDrawn: null,
};

const can = (capability) => state.capabilities.has(capability);

function prepare(q) {
  q.searchText = fold(`${q.text} ${q.author_name || ""} ${q.author?.handle || ""}`);
  return q;
}

function applySnapshot(data) {
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
  ui.lastUpdate = Date.now();
  invalidate({ all: true });
}

function applyEvent(type, data) {
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
      state.questions.set(q.id, prepare(q));
      state.queue.update(q);
    }
  } else if (type === "votes") {
    // Each changed count moves one question to its new place: no re-sort of the queue.
    for (const [key, count] of Object.entries(data.counts ?? {})) {
      const q = state.questions.get(Number(key));
      if (q && q.votes !== count) {
        const moved = { ...q, votes: count };
        state.questions.set(q.id, moved);
        state.queue.update(moved);
      }
    }
  } else if (type === "on_air") {
    state.onAir = data;
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

// --- drawing ------------------------------------------------------------------------------------

const dom = {
  board: document.getElementById("board"),
  moderation: document.getElementById("moderation"),
  moderationList: document.getElementById("moderation-list"),
  moderationCount: document.getElementById("moderation-count"),
  moderationEmpty: document.getElementById("moderation-empty"),
  moderationMore: document.getElementById("moderation-more"),
  queueList: document.getElementById("queue-list"),
  queueCount: document.getElementById("queue-count"),
  queueEmpty: document.getElementById("queue-empty"),
  queueMore: document.getElementById("queue-more"),
  onAirBox: document.getElementById("on-air-box"),
  onAirText: document.getElementById("on-air-text"),
  onAirAuthor: document.getElementById("on-air-author"),
  onAirGuest: document.getElementById("on-air-guest"),
  onAirSince: document.getElementById("on-air-since"),
  onAirAnswered: document.getElementById("on-air-answered"),
  recentList: document.getElementById("recent-list"),
  recentEmpty: document.getElementById("recent-empty"),
  title: document.getElementById("session-title"),
  sessionStatus: document.getElementById("session-status"),
  connection: document.getElementById("connection"),
  connectionLabel: document.querySelector("#connection .connection-label"),
  lastUpdate: document.getElementById("last-update"),
  denied: document.getElementById("denied"),
  guestFilter: document.getElementById("guest-filter"),
  search: document.getElementById("search"),
  holdOrder: document.getElementById("hold-order"),
  shortcuts: document.getElementById("shortcuts"),
  showShortcuts: document.getElementById("show-shortcuts"),
  noticeError: document.getElementById("notice-error"),
  noticeInfo: document.getElementById("notice-info"),
};

const cards = new Map(); // question id -> { el, kind, q, refs }
let frame = 0;
let redrawAll = false;

function invalidate({ all = false } = {}) {
  if (all) redrawAll = true;
  if (!frame) frame = window.requestAnimationFrame(draw);
}

function draw() {
  frame = 0;
  const all = redrawAll;
  redrawAll = false;
  if (all) for (const card of cards.values()) card.q = null; // guests or labels may have changed
  drawSession();
  drawGuestFilter();
  if (dom.moderation) drawModeration();
  drawQueue();
  drawOnAir();
  drawRecent();
  sweepCards();
  syncControls();
}

function drawSession() {
  const session = state.session;
  if (!session) return;
  setText(dom.title, session.title);
  document.title = `${session.title} — Social Room studio`;
  dom.sessionStatus.dataset.status = session.status;
  setText(dom.sessionStatus, t(`session_${session.status}`));
}

function guestName(id) {
  return state.guests.find((g) => g.id === id)?.name ?? "";
}

function drawGuestFilter() {
  const key = JSON.stringify(state.guests.map((g) => [g.id, g.name]));
  if (ui.guest !== null && !state.guests.some((g) => g.id === ui.guest)) ui.guest = null;
  if (key !== ui.guestsDrawn) {
    ui.guestsDrawn = key;
    const buttons = [filterButton(null, t("all_guests"), "0")];
    state.guests.forEach((g, index) => {
      buttons.push(filterButton(g.id, g.name, index < 9 ? String(index + 1) : ""));
    });
    dom.guestFilter.replaceChildren(...buttons);
    dom.guestFilter.hidden = state.guests.length === 0;
  }
  for (const button of dom.guestFilter.children) {
    const id = button.dataset.guest === "" ? null : Number(button.dataset.guest);
    button.setAttribute("aria-pressed", String(id === ui.guest));
  }
}

function filterButton(id, label, shortcut) {
  const button = el("button", "chip-button");
  button.type = "button";
  button.dataset.guest = id === null ? "" : String(id);
  if (shortcut) button.title = shortcut;
  button.append(el("span", "", label));
  return button;
}

function matchesSearch(q) {
  return !ui.search || q.searchText.includes(ui.search);
}

function drawModeration() {
  const pending = [...state.questions.values()]
    .filter((q) => q.status === "pending")
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
  const shown = pending.filter(matchesSearch);
  const ids = shown.slice(0, LIST_LIMIT).map((q) => q.id);
  placeCards(dom.moderationList, ids, "pending", false);
  drawCount(dom.moderationCount, shown.length, pending.length);
  dom.moderationEmpty.hidden = ids.length > 0;
  drawMore(dom.moderationMore, shown.length - ids.length);
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

function queueOrder() {
  const ranked = state.queue.order();
  if (!ui.holdOrder) return ranked;
  // Held: keep the order the host is reading; newcomers go to the end, leavers just go.
  const present = new Set(ranked);
  const kept = ui.shownOrder.filter((id) => present.has(id));
  const keptSet = new Set(kept);
  return kept.concat(ranked.filter((id) => !keptSet.has(id)));
}

function drawQueue() {
  const order = queueOrder();
  ui.shownOrder = order;
  const place = new Map(order.map((id, index) => [id, index + 1]));
  const shown = order.filter((id) => {
    const q = state.questions.get(id);
    return (ui.guest === null || q.guest === ui.guest) && matchesSearch(q);
  });
  const ids = shown.slice(0, LIST_LIMIT);
  placeCards(dom.queueList, ids, "queue", true);
  for (const id of ids) {
    const card = cards.get(id);
    setText(card.refs.place, t("place", { n: place.get(id) }));
    card.place = place.get(id);
  }
  drawCount(dom.queueCount, shown.length, order.length);
  dom.queueEmpty.hidden = ids.length > 0;
  drawMore(dom.queueMore, shown.length - ids.length);
  // Keep a selection in the queue: if the selected question left, select the one in its place.
  if (ui.selected !== null && !ids.includes(ui.selected)) {
    ui.selected = ids.length ? ids[Math.min(ui.selectedIndex, ids.length - 1)] : null;
  }
  ui.selectedIndex = Math.max(0, ids.indexOf(ui.selected));
  for (const id of ids) {
    const card = cards.get(id);
    const selected = id === ui.selected;
    card.el.classList.toggle("selected", selected);
    if (selected) card.el.setAttribute("aria-current", "true");
    else card.el.removeAttribute("aria-current");
  }
}

function drawCount(node, shown, total) {
  setText(node, shown === total ? String(total) : t("shown_of", { shown, total }));
}

function drawMore(node, hiddenCount) {
  node.hidden = hiddenCount <= 0;
  if (hiddenCount > 0) setText(node, t("more_hidden", { n: hiddenCount }));
}

// Put the cards of `ids` in `list`, in that order, reusing nodes; optionally with a FLIP
// animation: measure where cards were, move the nodes, then slide each from old to new place.
function placeCards(list, ids, kind, animate) {
  const wanted = ids.map((id) => ensureCard(state.questions.get(id), kind).el);
  const current = [...list.children];
  const same = current.length === wanted.length && current.every((node, i) => node === wanted[i]);
  if (same) return;
  const flip = animate && !reducedMotion.matches && list.offsetParent !== null;
  const before = new Map();
  if (flip) for (const node of current) before.set(node, node.getBoundingClientRect().top);
  const filling = current.length === 0;
  const keep = new Set(wanted);
  for (const node of current) if (!keep.has(node)) node.remove();
  let cursor = list.firstElementChild;
  for (const node of wanted) {
    if (node === cursor) {
      cursor = cursor.nextElementSibling;
    } else {
      list.insertBefore(node, cursor);
    }
  }
  if (!flip) return;
  const moved = [];
  for (const node of wanted) {
    const top = before.get(node);
    if (top === undefined) {
      if (filling) continue;
      node.classList.remove("arriving");
      void node.offsetWidth;
      node.classList.add("arriving");
      continue;
    }
    const delta = top - node.getBoundingClientRect().top;
    if (Math.abs(delta) < 1) continue;
    node.style.transition = "none";
    node.style.transform = `translateY(${delta}px)`;
    moved.push(node);
  }
  if (!moved.length) return;
  void list.offsetHeight; // apply the inverted positions before letting them go
  for (const node of moved) {
    node.style.transition = "";
    node.style.transform = "";
  }
}

function ensureCard(q, kind) {
  let card = cards.get(q.id);
  if (card && card.kind !== kind) {
    card.el.remove();
    card = null;
  }
  if (!card) {
    card = kind === "pending" ? makePendingCard(q.id) : makeQueueCard(q.id);
    cards.set(q.id, card);
  }
  if (card.q !== q) {
    updateCard(card, q);
    card.q = q;
  }
  return card;
}

// Forget nodes of questions that left their column (and were removed from the page).
function sweepCards() {
  for (const [id, card] of cards) {
    const q = state.questions.get(id);
    const kind = q?.status === "pending" ? "pending" : q?.status === "approved" ? "queue" : null;
    if (kind !== card.kind) {
      card.el.remove();
      cards.delete(id);
    }
  }
}

// Controls carry no id of their own: they act on the question of the card they sit in (see
// questionOf), so that [data-question-id] finds only cards and list items.
function actionButton(action, id, label, className = "") {
  const button = el("button", `button ${className}`.trim(), label);
  button.type = "button";
  button.dataset.action = action;
  return button;
}

function aimSelect(id) {
  const label = el("label", "aim");
  label.append(el("span", "visually-hidden", t("aim_label")));
  const select = el("select");
  select.dataset.action = "aim";
  label.append(select);
  return { label, select };
}

function drawAimOptions(select, q) {
  // Options are drawn again only when the guests change, so that a vote arriving while the
  // list is open does not close it.
  if (select.dataset.guests !== ui.guestsDrawn) {
    select.dataset.guests = ui.guestsDrawn;
    const options = [new Option(t("no_guest"), "")];
    for (const g of state.guests) options.push(new Option(g.name, String(g.id))); // as text
    select.replaceChildren(...options);
  }
  const value = q.guest == null ? "" : String(q.guest);
  if (select.value !== value) select.value = value;
}

function cardShell(id, kind) {
  const node = el("li", `card ${kind}-card`);
  node.dataset.questionId = String(id);
  const meta = el("div", "card-meta");
  const refs = {
    place: el("span", "place"),
    star: el("span", "marker star-marker", "★"),
    votes: el("span", "votes"),
    held: el("span", "marker held-marker"),
    guest: el("span", "guest-marker"),
    text: el("p", "card-text"),
    flags: el("ul", "flags"),
    byline: el(kind === "pending" ? "span" : "p", "byline"),
    actions: el("div", "card-actions"),
  };
  refs.star.title = t("starred");
  if (kind === "queue") meta.append(refs.place, refs.star, refs.votes, refs.held);
  else meta.append(refs.star, refs.byline); // waiting questions have no place or votes yet
  if (can("moderate")) {
    // Moderators aim questions: the guest list stands in for the guest's name.
    const aim = aimSelect(id);
    refs.aim = aim.select;
    meta.append(aim.label);
  } else {
    meta.append(refs.guest);
  }
  node.append(meta, refs.text, refs.flags);
  if (kind === "queue") node.append(refs.byline);
  node.append(refs.actions);
  return { el: node, kind, q: null, refs };
}

function starButton(id) {
  const button = actionButton("star", id, "☆", "star-button");
  button.setAttribute("aria-label", t("star"));
  button.title = t("star");
  return button;
}

function makeQueueCard(id) {
  const card = cardShell(id, "queue");
  const { refs } = card;
  if (can("on_air")) {
    refs.take = actionButton("take", id, t("take"), "primary take");
    refs.answered = actionButton("answered", id, t("answered"));
    refs.actions.append(refs.take, refs.answered);
  }
  if (can("on_air") || can("moderate")) {
    refs.hold = actionButton("hold", id, t("hold_place"));
    refs.actions.append(refs.hold);
  }
  if (can("moderate")) {
    refs.starButton = starButton(id);
    refs.actions.append(refs.starButton);
  }
  return card;
}

function makePendingCard(id) {
  const card = cardShell(id, "pending");
  const { refs } = card;
  refs.approve = actionButton("approve", id, t("approve"), "success");
  refs.reject = actionButton("reject", id, t("reject"), "danger");
  refs.starButton = starButton(id);
  refs.actions.append(refs.approve, refs.reject, refs.starButton);
  refs.rejectForm = el("div", "reject-form");
  refs.reason = el("input", "reason");
  refs.reason.type = "text";
  refs.reason.maxLength = 500;
  refs.reason.placeholder = t("reject_reason");
  refs.reason.setAttribute("aria-label", t("reject_reason"));
  refs.cancel = el("button", "button quiet", t("cancel"));
  refs.cancel.type = "button";
  refs.cancel.dataset.local = "cancel-reject";
  refs.rejectForm.append(refs.reason, refs.cancel);
  refs.rejectForm.hidden = true;
  card.el.append(refs.rejectForm);
  return card;
}

function sourceLabel(source) {
  const [kind, network] = source.split(":");
  if (network) return network;
  return STRINGS[`source_${kind}`] ?? kind;
}

// What the automatic checks raised, for the moderator: a chip per flag, its reason as text.
function drawFlags(list, flags) {
  const key = JSON.stringify(flags ?? []);
  if (list.dataset.drawn === key) return;
  list.dataset.drawn = key;
  list.replaceChildren(
    ...(flags ?? []).map((f) => {
      const item = el("li", `flag flag-${String(f.code).replace(/[^a-z_]/g, "")}`);
      item.append(el("span", "flag-code", t(`flag_${f.code}`) || f.code));
      item.title = f.reason;
      item.append(el("span", "flag-reason", f.reason));
      return item;
    }),
  );
  list.hidden = !(flags && flags.length);
}

function updateCard(card, q) {
  const { refs } = card;
  setText(refs.text, q.text);
  drawFlags(refs.flags, q.flags);
  const author = q.author_name || q.author?.name || t("anonymous");
  // An SMS author's handle is their masked number, already shown as the name.
  const bare = q.author?.handle ? q.author.handle.replace(/^@/, "") : "";
  const handle = bare && bare !== author ? ` @${bare}` : "";
  const parts = [author + handle, sourceLabel(q.source), formatTime(q.created_at)];
  setText(refs.byline, parts.filter(Boolean).join(" · "));
  refs.star.hidden = !q.starred;
  card.el.classList.toggle("starred", q.starred);
  const guest = q.guest == null ? "" : guestName(q.guest);
  setText(refs.guest, guest ? t("for_guest", { guest }) : "");
  refs.guest.hidden = !guest;
  if (card.kind === "queue") {
    // The count alone is the element's text; the word comes from CSS (data-label).
    setText(refs.votes, String(q.votes));
    refs.votes.dataset.label = votesLabel(q.votes, { number: false });
    refs.votes.title = votesLabel(q.votes);
    refs.held.hidden = !q.hold_position;
    setText(refs.held, q.hold_position ? t("held_at", { n: q.hold_position }) : "");
    card.el.classList.toggle("held", Boolean(q.hold_position));
    if (refs.hold) {
      setText(refs.hold, q.hold_position ? t("release_place") : t("hold_place"));
      refs.hold.setAttribute("aria-pressed", String(Boolean(q.hold_position)));
    }
  }
  if (refs.starButton) {
    const label = q.starred ? t("unstar") : t("star");
    setText(refs.starButton, q.starred ? "★" : "☆");
    refs.starButton.setAttribute("aria-label", label);
    refs.starButton.title = `${label} (s)`;
    refs.starButton.setAttribute("aria-pressed", String(q.starred));
  }
  if (refs.aim) drawAimOptions(refs.aim, q);
  if (refs.rejectForm) {
    const open = ui.rejecting.has(q.id);
    refs.rejectForm.hidden = !open;
    setText(refs.reject, open ? t("confirm_reject") : t("reject"));
  }
}

function drawOnAir() {
  const q = state.onAir?.question ?? null;
  dom.onAirBox.dataset.empty = String(!q);
  document.getElementById("on-air-empty").hidden = Boolean(q);
  setText(dom.onAirText, q ? q.text : "");
  setText(dom.onAirAuthor, q ? [q.author_name || t("anonymous"), sourceLabel(q.source)].join(" · ") : "");
  const guest = q?.guest ? [q.guest.name, q.guest.title].filter(Boolean).join(", ") : "";
  setText(dom.onAirGuest, guest ? t("for_guest", { guest }) : "");
  const since = q && state.onAir.taken_at ? formatTime(state.onAir.taken_at) : "";
  setText(dom.onAirSince, since ? t("on_air_since", { time: since }) : "");
}

function recentItem(q) {
  const item = el("li", "recent-item");
  item.dataset.questionId = String(q.id);
  item.dataset.status = q.status;
  const body = el("div", "recent-body");
  body.append(
    el("span", `chip recent-status ${q.status}`, t(`status_${q.status}`)),
    el("span", "recent-text", q.text),
  );
  item.append(body);
  // Hosts undo "answered" by putting the question back in the queue; moderators can also send
  // any closed question back to review.
  if (q.status === "answered" && (can("on_air") || can("moderate"))) {
    item.append(actionButton("requeue", q.id, t("undo"), "quiet"));
  } else if (can("moderate")) {
    item.append(actionButton("reopen", q.id, t("undo"), "quiet"));
  }
  return item;
}

function drawRecent() {
  const closed = [...state.questions.values()]
    .filter((q) => CLOSED.has(q.status))
    .sort(
      (a, b) =>
        (ui.closedAt.get(b.id) ?? 0) - (ui.closedAt.get(a.id) ?? 0) ||
        Date.parse(b.approved_at ?? b.created_at) - Date.parse(a.approved_at ?? a.created_at) ||
        b.id - a.id,
    )
    .slice(0, RECENT_LIMIT);
  // A handful of items: drawn again when they change rather than kept in step.
  const key = closed.map((q) => `${q.id}:${q.status}:${q.text.length}`).join(",");
  if (dom.recentList.dataset.key !== key) {
    dom.recentList.dataset.key = key;
    dom.recentList.replaceChildren(...closed.map(recentItem));
  }
  dom.recentEmpty.hidden = closed.length > 0;
}

// --- controls: enabled only when live, busy while a command waits for its answer ----------------

// The question a control acts on: its card's, the one on air, or the one the notice is about.
function questionOf(control) {
  let id = "";
  if (control === dom.onAirAnswered) id = String(state.onAir?.question?.id ?? "");
  else if (dom.noticeInfo.contains(control)) id = dom.noticeInfo.dataset.undo ?? "";
  else id = control.closest("[data-question-id]")?.dataset.questionId ?? "";
  return id === "" ? null : Number(id);
}

function busyKey(action, question) {
  return `${action}:${question ?? ""}`;
}

function syncControls() {
  const live = ui.status === Status.LIVE;
  const sessionLive = state.session?.status === "live";
  document.body.classList.toggle("not-live", !live);
  for (const control of document.querySelectorAll("[data-action]")) {
    const { action } = control.dataset;
    const question = questionOf(control);
    const busy = ui.busy.has(busyKey(action, question));
    control.classList.toggle("busy", busy);
    if (busy) control.setAttribute("aria-busy", "true");
    else control.removeAttribute("aria-busy");
    let blocked = false;
    if (action === "take") blocked = !sessionLive;
    if (action === "clear") blocked = !state.onAir?.question;
    if (action === "answered" && control === dom.onAirAnswered) blocked = question === null;
    control.disabled = !live || busy || blocked;
  }
}

async function send(action, data, { undoable = false } = {}) {
  if (ui.status !== Status.LIVE) {
    showError(t("not_live_no_send"));
    return false;
  }
  const key = busyKey(action, data.question);
  if (ui.busy.has(key)) return false;
  ui.busy.add(key);
  syncControls();
  try {
    const ack = await withTimeout(stream.command(action, data), COMMAND_TIMEOUT_MS);
    const id = ack?.question?.id ?? data.question;
    if (undoable && id && action === "answered") showInfo(t("done_answered"), id, "requeue");
    else if (undoable && can("moderate") && id) showInfo(t(`done_${action}`), id);
    else if (action === "reopen" || action === "requeue") showInfo(t(`done_${action}`));
    return true;
  } catch (error) {
    showError(errorMessage(error));
    return false;
  } finally {
    ui.busy.delete(key);
    syncControls();
  }
}

function withTimeout(promise, ms) {
  let timer = 0;
  const timeout = new Promise((_, reject) => {
    timer = window.setTimeout(() => reject({ code: "timeout" }), ms);
  });
  return Promise.race([promise, timeout]).finally(() => window.clearTimeout(timer));
}

function errorMessage(error) {
  const key = `error_${error?.code}`;
  if (key in STRINGS) return t(key);
  return error?.message || t("error_generic");
}

// --- notices ------------------------------------------------------------------------------------

let infoTimer = 0;

function showError(message) {
  dom.noticeError.hidden = false;
  setText(dom.noticeError.querySelector(".notice-text"), message);
}

function showInfo(message, undoId = null, undoAction = "reopen") {
  window.clearTimeout(infoTimer);
  const undo = dom.noticeInfo.querySelector(".notice-undo");
  undo.hidden = undoId === null;
  undo.dataset.action = undoAction;
  dom.noticeInfo.dataset.undo = undoId === null ? "" : String(undoId);
  setText(dom.noticeInfo.querySelector(".notice-text"), message);
  dom.noticeInfo.hidden = false;
  syncControls();
  infoTimer = window.setTimeout(() => {
    dom.noticeInfo.hidden = true;
  }, INFO_NOTICE_MS);
}

for (const notice of [dom.noticeError, dom.noticeInfo]) {
  notice.querySelector(".notice-close").addEventListener("click", () => {
    notice.hidden = true;
  });
}

// --- connection ---------------------------------------------------------------------------------

function onStatus(status) {
  if (ui.status === Status.LIVE && status !== Status.LIVE) {
    // The last moment the console was known to be in step with the server.
    ui.lastUpdate = stream.lastFrameAt || ui.lastUpdate;
  }
  ui.status = status;
  dom.connection.dataset.status = status;
  setText(dom.connectionLabel, t(`status_${status}`));
  dom.denied.hidden = status !== Status.DENIED;
  const showLast = status !== Status.LIVE && ui.lastUpdate !== null;
  dom.lastUpdate.hidden = !showLast;
  if (showLast) {
    setText(dom.lastUpdate, t("last_update", { time: clockFormat.format(ui.lastUpdate) }));
  }
  syncControls();
}

function onServerError(frame) {
  if (["not_authenticated", "not_found", "forbidden"].includes(frame?.code) && frame.id == null) {
    return; // the socket is closing: the "denied" status says what to do
  }
  showError(errorMessage(frame));
}

// --- actions ------------------------------------------------------------------------------------

function question(id) {
  return state.questions.get(id);
}

function openReject(id) {
  ui.rejecting.add(id);
  const card = cards.get(id);
  if (!card) return;
  card.q = null; // draw the form open
  updateCard(card, question(id));
  card.q = question(id);
  card.refs.reason.focus();
}

function closeReject(id) {
  ui.rejecting.delete(id);
  const card = cards.get(id);
  if (!card) return;
  card.refs.reason.value = "";
  updateCard(card, question(id));
}

function confirmReject(id) {
  const card = cards.get(id);
  const reason = card?.refs.reason.value.trim() ?? "";
  send("reject", { question: id, reason }, { undoable: true });
}

function onAction(control) {
  const { action } = control.dataset;
  const id = questionOf(control);
  const q = id === null ? null : question(id);
  switch (action) {
    case "approve":
      send("approve", { question: id }, { undoable: true });
      break;
    case "reject":
      if (ui.rejecting.has(id)) confirmReject(id);
      else openReject(id);
      break;
    case "star":
      if (q) send("star", { question: id, starred: !q.starred });
      break;
    case "take":
      send("take", { question: id });
      break;
    case "answered":
      if (id !== null) send("answered", { question: id }, { undoable: true });
      break;
    case "clear":
      send("clear", {});
      break;
    case "hold":
      if (q?.hold_position) {
        send("hold", { question: id, position: null });
      } else if (q) {
        const place = cards.get(id)?.place ?? 1;
        send("hold", { question: id, position: Math.min(place, MAX_HOLD_POSITION) });
      }
      break;
    case "reopen":
    case "requeue":
      if (id !== null) {
        dom.noticeInfo.hidden = true;
        send(action, { question: id });
      }
      break;
    default:
      break;
  }
}

document.addEventListener("click", (ev) => {
  const control = ev.target.closest("button[data-action]");
  if (control) {
    if (!control.disabled) onAction(control);
    return;
  }
  const cancel = ev.target.closest("[data-local='cancel-reject']");
  if (cancel) {
    closeReject(questionOf(cancel));
    return;
  }
  const card = ev.target.closest(".queue-card");
  if (card && !ev.target.closest("button, select, input, label")) {
    select(Number(card.dataset.questionId));
  }
});

dom.board.addEventListener("change", (ev) => {
  const target = ev.target;
  if (target.matches("select[data-action='aim']")) {
    const id = questionOf(target);
    const guest = target.value === "" ? null : Number(target.value);
    send("aim", { question: id, guest }).then((ok) => {
      // On failure, show the guest the question is really aimed at.
      const q = question(id);
      if (!ok && q) target.value = q.guest == null ? "" : String(q.guest);
    });
  }
});

dom.board.addEventListener("keydown", (ev) => {
  if (!ev.target.matches("input.reason")) return;
  const id = questionOf(ev.target);
  if (ev.key === "Enter") {
    ev.preventDefault();
    if (ui.status === Status.LIVE) confirmReject(id);
    else showError(t("not_live_no_send"));
  } else if (ev.key === "Escape") {
    ev.preventDefault();
    closeReject(id);
  }
});

dom.guestFilter.addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-guest]");
  if (!button) return;
  setGuestFilter(button.dataset.guest === "" ? null : Number(button.dataset.guest));
});

function setGuestFilter(id) {
  ui.guest = id;
  invalidate();
}

dom.search.addEventListener("input", () => {
  ui.search = fold(dom.search.value.trim());
  invalidate();
});

dom.holdOrder.addEventListener("change", () => setHoldOrder(dom.holdOrder.checked));

function setHoldOrder(on) {
  ui.holdOrder = on;
  dom.holdOrder.checked = on;
  document.body.classList.toggle("order-held", on);
  invalidate();
}

dom.showShortcuts.addEventListener("click", () => dom.shortcuts.showModal());

function select(id) {
  ui.selected = id;
  invalidate();
}

function visibleQueueIds() {
  return [...dom.queueList.children].map((node) => Number(node.dataset.questionId));
}

function moveSelection(step) {
  const ids = visibleQueueIds();
  if (!ids.length) return;
  const index = ids.indexOf(ui.selected);
  const next = index === -1 ? 0 : Math.max(0, Math.min(ids.length - 1, index + step));
  ui.selected = ids[next];
  ui.selectedIndex = next;
  draw();
  cards.get(ui.selected)?.el.scrollIntoView({ block: "nearest" });
}

function clickIfPresent(control) {
  if (control && !control.disabled) onAction(control);
  else if (control && ui.status !== Status.LIVE) showError(t("not_live_no_send"));
}

function firstPending() {
  const first = dom.moderationList?.firstElementChild;
  return first ? Number(first.dataset.questionId) : null;
}

// Desktop shortcuts; never while typing in a field.
document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
  const target = ev.target;
  if (target.closest("input, textarea, select, [contenteditable='true']")) {
    if (target === dom.search && ev.key === "Escape") {
      dom.search.value = "";
      ui.search = "";
      dom.search.blur();
      invalidate();
    }
    return;
  }
  if (dom.shortcuts.open) return;
  const selected = ui.selected === null ? null : cards.get(ui.selected);
  switch (ev.key) {
    case "j":
    case "ArrowDown":
      moveSelection(1);
      break;
    case "k":
    case "ArrowUp":
      moveSelection(-1);
      break;
    case "t":
      clickIfPresent(selected?.refs.take);
      break;
    case "s":
      clickIfPresent(selected?.refs.starButton);
      break;
    case "c":
      clickIfPresent(document.querySelector("#on-air-clear"));
      break;
    case "a":
      clickIfPresent(dom.onAirAnswered);
      break;
    case "h":
      setHoldOrder(!ui.holdOrder);
      break;
    case "/":
      dom.search.focus();
      break;
    case "?":
      dom.shortcuts.showModal();
      break;
    case "A": {
      const id = firstPending();
      if (id !== null) clickIfPresent(cards.get(id)?.refs.approve);
      break;
    }
    case "R": {
      const id = firstPending();
      if (id !== null && can("moderate")) openReject(id);
      break;
    }
    case "Escape":
      dom.noticeError.hidden = true;
      dom.noticeInfo.hidden = true;
      break;
    default:
      if (/^[0-9]$/.test(ev.key)) {
        const n = Number(ev.key);
        if (n === 0) setGuestFilter(null);
        else if (state.guests[n - 1]) setGuestFilter(state.guests[n - 1].id);
        break;
      }
      return;
  }
  ev.preventDefault();
});

// --- start --------------------------------------------------------------------------------------

const stream = new LiveStream(socketUrl(config.socket), {
  snapshot: applySnapshot,
  event: applyEvent,
  status: onStatus,
  error: onServerError,
});

window.setInterval(() => {
  if (!ui.holdOrder) invalidate();
}, DECAY_REFRESH_MS);

stream.start();
