// Drawing the columns, the guest filter, the session header and the on-air box, once a frame.

import { actionButton, cards, placeCards, sourceLabel, sweepCards } from "./cards.js";
import { syncControls } from "./actions.js";
import { drawAir, drawTimer } from "./air.js";
import { drawBackstage } from "./backstage.js";
import { dom } from "./dom.js";
import { CLOSED, can, queueOrder, state, ui } from "./state.js";
import { el, formatTime, setText, t } from "./text.js";

const LIST_LIMIT = 200; // cards drawn per column; search and the guest filter reach the rest
const RECENT_LIMIT = 5;

let frame = 0;
let redrawAll = false;

export function invalidate({ all = false } = {}) {
  if (all) redrawAll = true;
  if (!frame) frame = window.requestAnimationFrame(draw);
}

export function draw() {
  frame = 0;
  const all = redrawAll;
  redrawAll = false;
  if (all) for (const card of cards.values()) card.q = null; // guests or labels may have changed
  drawSession();
  drawGuestFilter();
  if (dom.moderation) drawModeration();
  drawQueue();
  drawOnAir();
  drawAir();
  drawBackstage();
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

function drawOnAir() {
  const q = state.onAir?.question ?? null;
  dom.onAirBox.dataset.empty = String(!q);
  document.getElementById("on-air-empty").hidden = Boolean(q);
  setText(dom.onAirText, q ? q.text : "");
  setText(dom.onAirAuthor, q ? [q.author_name || t("anonymous"), sourceLabel(q.source)].join(" · ") : "");
  const guest = q?.guest ? [q.guest.name, q.guest.title].filter(Boolean).join(", ") : "";
  setText(dom.onAirGuest, guest ? t("for_guest", { guest }) : "");
  // The elapsed time since the take, ticking; the clock time it was taken on hover.
  const since = q && state.onAir.taken_at ? formatTime(state.onAir.taken_at) : "";
  dom.onAirSince.title = since ? t("on_air_since", { time: since }) : "";
  drawTimer();
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
