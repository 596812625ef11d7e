// Question cards: one DOM node per question, built once, updated in place, moved between columns.

import { can, state, ui } from "./state.js";
import {
  STRINGS,
  el,
  followersExact,
  followersLabel,
  formatTime,
  setText,
  t,
  votesLabel,
} from "./text.js";

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

export const cards = new Map(); // question id -> { el, kind, q, refs }

function guestName(id) {
  return state.guests.find((g) => g.id === id)?.name ?? "";
}

// Put the cards of `ids` in `list`, in that order, reusing nodes; optionally with a FLIP
// animation: measure where cards were, move the nodes, then slide each from old to new place.
export function placeCards(list, ids, kind, animate) {
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
export function sweepCards() {
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
export function actionButton(action, id, label, className = "") {
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
    marks: el("p", "card-marks"),
    reports: el("span", "mark report-mark"),
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
  // What the crew should know before reading: listeners' reports, and for producers where the
  // item stands on the social wall. A line of its own, only when there is something to say.
  if (can("manage")) {
    refs.wall = el("span", "mark wall-mark");
    refs.marks.append(refs.wall);
  }
  refs.marks.append(refs.reports);
  refs.marks.hidden = true;
  node.append(meta, refs.marks, refs.text, refs.flags);
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

// Producers put the card's question on the social wall: pin it first, hide it, or show it
// again (also a message that is not a question); once they set a state, Reset puts it back as
// moderated.
function wallButtons(id, refs) {
  const group = el("span", "wall-buttons");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", t("wall_label"));
  group.append(el("span", "wall-buttons-label", t("wall_label")));
  for (const [state, label] of [
    ["pinned", t("wall_pin")],
    ["hidden", t("wall_hide")],
    ["shown", t("wall_show")],
  ]) {
    const button = actionButton("wall", id, label, "quiet wall-button");
    button.dataset.wallState = state;
    group.append(button);
  }
  refs.wallButtons = [...group.querySelectorAll("[data-wall-state]")];
  refs.wallReset = actionButton("wall", id, t("wall_reset"), "quiet wall-button wall-reset");
  refs.wallReset.dataset.wallState = "reset";
  refs.wallReset.title = t("wall_reset_title");
  refs.wallReset.hidden = true;
  group.append(refs.wallReset);
  return group;
}

function makeQueueCard(id) {
  const card = cardShell(id, "queue");
  const { refs } = card;
  if (can("on_air")) {
    refs.take = actionButton("take", id, t("take"), "primary take");
    refs.cue = actionButton("cue", id, t("cue"), "cue-button");
    refs.cue.title = `${t("cue")} (q)`;
    refs.answered = actionButton("answered", id, t("answered"), "answered-button");
    refs.actions.append(refs.take, refs.cue, refs.answered);
  }
  if (can("on_air") || can("moderate")) {
    refs.hold = actionButton("hold", id, t("hold_place"));
    refs.actions.append(refs.hold);
  }
  if (can("moderate")) {
    refs.starButton = starButton(id);
    refs.actions.append(refs.starButton);
  }
  if (can("manage")) refs.actions.append(wallButtons(id, refs));
  // Too long for the lower third: said on the card, with the two ways to make it fit.
  refs.fit = el("div", "fit-warning");
  refs.fit.append(el("span", "fit-label", t("too_long")));
  if (can("moderate")) {
    refs.fit.append(
      actionButton("reword", id, t("reword"), "quiet"),
      actionButton("rename", id, t("rename"), "quiet"),
    );
  }
  refs.airsAs = el("p", "airs-as");
  refs.fit.hidden = true;
  refs.airsAs.hidden = true;
  card.el.insertBefore(refs.airsAs, refs.flags);
  card.el.insertBefore(refs.fit, refs.actions);
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

export function sourceLabel(source) {
  const [kind, network] = source.split(":");
  if (network) return network;
  return STRINGS[`source_${kind}`] ?? kind;
}

// Stored reasons are written in English. An English console shows them whole; another shows only
// the quoted findings they carry (a masked word or number, a link), which read the same in any
// language.
const ENGLISH = /^en\b/i.test(document.documentElement.lang || "en");

function flagDetail(reason) {
  if (ENGLISH) return reason;
  const found = [...reason.matchAll(/"([^"]+)"|'([^']+)'/g)].map((m) => m[1] ?? m[2]);
  return found.join(", ");
}

// What the automatic checks raised, for the moderator: a chip per flag, its reason as text.
function drawFlags(list, flags) {
  const key = JSON.stringify(flags ?? []);
  if (list.dataset.drawn === key) return;
  list.dataset.drawn = key;
  list.replaceChildren(
    ...(flags ?? []).map((f) => {
      const item = el("li", `flag flag-${String(f.code).replace(/[^a-z_]/g, "")}`);
      // A known code shows its label in the page's language; an unknown one, its stored reason.
      const key = `flag_${f.code}`;
      let label = key in STRINGS ? t(key) : f.reason || String(f.code);
      const field = `field_${f.field}`;
      if (f.field && f.field !== "text" && field in STRINGS) {
        label = t("flag_about", { field: t(field), label });
      }
      item.append(el("span", "flag-code", label));
      item.title = f.reason ?? "";
      const detail = key in STRINGS ? flagDetail(f.reason ?? "") : "";
      if (detail) item.append(el("span", "flag-reason", detail));
      return item;
    }),
  );
  list.hidden = !(flags && flags.length);
}

function wallMark(q) {
  if (q.wall_state === "pinned") return t("wall_badge_pinned", { n: q.wall_position ?? "" });
  if (q.wall_state === "hidden") return t("wall_badge_hidden");
  if (q.wall_state === "shown") return t("wall_badge_shown");
  return "";
}

function drawMarks(refs, q) {
  const reports = q.report_count ?? 0;
  setText(refs.reports, reports > 0 ? t("reported_count", { n: reports }) : "");
  refs.reports.hidden = reports <= 0;
  const title = reports > 0 ? t("reported_title", { n: reports }) : "";
  if (refs.reports.title !== title) refs.reports.title = title;
  let shown = reports > 0;
  if (refs.wall) {
    const mark = wallMark(q);
    setText(refs.wall, mark);
    refs.wall.hidden = !mark;
    refs.wall.dataset.state = q.wall_state || "";
    shown ||= Boolean(mark);
  }
  refs.marks.hidden = !shown;
  // The state the item is in is said by its mark: its button gives way to Reset, so that the
  // row keeps to one line.
  if (refs.wallReset) refs.wallReset.hidden = !q.wall_state;
  for (const button of refs.wallButtons ?? []) {
    button.hidden = button.dataset.wallState === q.wall_state;
  }
}

export function updateCard(card, q) {
  const { refs } = card;
  setText(refs.text, q.text);
  drawFlags(refs.flags, q.flags);
  drawMarks(refs, q);
  const author = q.author_name || q.author?.name || t("anonymous");
  // An SMS author's handle is their masked number, already shown as the name.
  const bare = q.author?.handle ? q.author.handle.replace(/^@/, "") : "";
  const handle = bare && bare !== author ? ` @${bare}` : "";
  // The author's reach on their network, when known, next to their name.
  const reach = followersLabel(q.author_followers);
  const parts = [author + handle, reach, sourceLabel(q.source), formatTime(q.created_at)];
  setText(refs.byline, parts.filter(Boolean).join(" · "));
  const exact = followersExact(q.author_followers, sourceLabel(q.source));
  if (refs.byline.title !== exact) refs.byline.title = exact;
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
    refs.fit.hidden = q.fits !== false;
    card.el.classList.toggle("too-long", q.fits === false);
    const airs = [q.air_name, q.air_text].filter(Boolean).join(" — ");
    refs.airsAs.hidden = !airs;
    setText(refs.airsAs, airs ? t("airs_as", { text: airs }) : "");
    const cued = state.cue?.id === q.id;
    card.el.classList.toggle("cued", cued);
    if (refs.cue) {
      setText(refs.cue, cued ? t("cued") : t("cue"));
      refs.cue.setAttribute("aria-pressed", String(cued));
    }
    if (refs.answered) {
      const confirming = ui.confirmingAnswered === q.id;
      setText(refs.answered, confirming ? t("confirm_answered") : t("answered"));
      refs.answered.classList.toggle("confirming", confirming);
    }
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
