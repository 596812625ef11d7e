// The audience page: ask a question, vote for others, and see what is on air, live.
// It follows the session's public stream (/ws/audience/<slug>/, see docs/realtime.md) and talks
// to the public API (docs/api.md). Untrusted text reaches the page through textContent only.

import { LiveStream, Status, socketUrl } from "./realtime.js";

let stream = null; // the live socket, once started

const config = JSON.parse(document.getElementById("audience-config").textContent);
const S = JSON.parse(document.getElementById("audience-strings").textContent);
const slug = config.slug;
const API = `/api/public/sessions/${encodeURIComponent(slug)}`;
const NAME_KEY = "socialroom.audience.name";

const $ = (id) => document.getElementById(id);

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in values ? String(values[name]) : whole,
  );
}

function element(tag, className) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  return el;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// --- state ------------------------------------------------------------------------------------

const state = {
  session: {
    slug,
    title: $("session-title").textContent,
    status: config.status,
    accepts_questions: config.accepts_questions,
    max_question_length: config.max_question_length,
  },
  guests: new Map(), // id -> {id, name, title}
  questions: new Map(), // id -> public question
  voted: new Set(), // ids this browser voted for
  pending: new Map(), // id -> +1 or -1 while a vote request is in flight
  onAir: null,
  sort: "top",
};

function publicQuestion(q) {
  return {
    id: q.id,
    text: String(q.text ?? ""),
    author_name: String(q.author_name ?? ""),
    guest: q.guest ?? null,
    status: q.status,
    votes: Number(q.votes) || 0,
    votes_version: Number(q.votes_version) || 0,
    created_at: q.created_at,
    createdMs: Date.parse(q.created_at) || 0,
  };
}

function displayedVotes(q) {
  return Math.max(0, q.votes + (state.pending.get(q.id) || 0));
}

function displayedVoted(id) {
  const pending = state.pending.get(id);
  if (pending) return pending > 0;
  return state.voted.has(id);
}

function votingOpen(q) {
  return state.session.status === "live" && (q.status === "approved" || q.status === "on_air");
}

// --- header, guests, connection ---------------------------------------------------------------

function renderSession() {
  const session = state.session;
  setText($("session-title"), session.title);
  const closed = !session.accepts_questions;
  $("ask-fields").disabled = closed || submitting;
  $("ask-closed").hidden = !closed;
  setText($("ask-closed"), session.status === "ended" ? S.closed_ended : S.closed_paused);
  const textarea = $("ask-text");
  textarea.maxLength = session.max_question_length;
  updateCounter();
}

function renderGuests() {
  const list = $("guests");
  const items = [];
  for (const guest of state.guests.values()) {
    const li = element("li");
    const name = element("span", "guest-name");
    name.textContent = guest.name;
    li.append(name);
    if (guest.title) {
      const title = element("span", "guest-title");
      title.textContent = guest.title;
      li.append(" ", title);
    }
    items.push(li);
  }
  list.replaceChildren(...items);
  list.hidden = items.length === 0;

  const select = $("ask-guest");
  const chosen = select.value;
  const options = [select.options[0]];
  for (const guest of state.guests.values()) {
    const option = element("option");
    option.value = String(guest.id);
    option.textContent = guest.name;
    options.push(option);
  }
  select.replaceChildren(...options);
  select.value = state.guests.has(Number(chosen)) ? chosen : "";
  $("ask-guest-field").hidden = state.guests.size === 0;
}

function renderConnection(status) {
  const box = $("connection");
  box.dataset.status = status;
  setText($("connection-label"), S[`status_${status}`] || status);
}

// --- on air -----------------------------------------------------------------------------------

function guestLine(guestId) {
  const guest = guestId != null ? state.guests.get(guestId) : null;
  return guest ? format(S.for_guest, { guest: guest.name }) : "";
}

function renderOnAir() {
  const card = $("on-air");
  const question = state.onAir && state.onAir.question;
  if (!question) {
    card.hidden = true;
    setText($("on-air-text"), "");
    setText($("on-air-meta"), "");
    return;
  }
  setText($("on-air-text"), String(question.text ?? ""));
  const parts = [];
  if (question.author_name) parts.push(String(question.author_name));
  if (question.guest && question.guest.name) {
    parts.push(format(S.for_guest, { guest: question.guest.name }));
  }
  setText($("on-air-meta"), parts.join(" · "));
  card.hidden = false;
}

// --- the question lists -----------------------------------------------------------------------

const nodes = new Map(); // question id -> <li>

function questionNode(id) {
  let li = nodes.get(id);
  if (li) return li;
  li = element("li", "question");
  li.dataset.questionId = String(id);
  const body = element("div", "q-body");
  const text = element("p", "q-text");
  const meta = element("p", "q-meta");
  const tag = element("span", "q-tag");
  tag.textContent = S.on_air;
  meta.append(tag, element("span", "q-author"), element("span", "q-guest"));
  body.append(text, meta);
  const button = element("button", "vote");
  button.type = "button";
  const icon = element("span", "vote-icon");
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "▲";
  const label = element("span", "visually-hidden");
  label.textContent = S.vote;
  button.append(icon, label, element("span", "votes"));
  body.append(reportControls());
  li.append(body, button);
  nodes.set(id, li);
  return li;
}

function updateNode(li, q) {
  li.dataset.status = q.status;
  setText(li.querySelector(".q-text"), q.text);
  const author = li.querySelector(".q-author");
  setText(author, q.author_name);
  author.hidden = !q.author_name;
  const guest = li.querySelector(".q-guest");
  setText(guest, guestLine(q.guest));
  guest.hidden = !guest.textContent;
  li.querySelector(".q-tag").hidden = q.status !== "on_air";
  const onAir = q.status === "on_air";
  li.querySelector(".q-meta").hidden = !q.author_name && !guest.textContent && !onAir;
  const button = li.querySelector(".vote");
  const voted = displayedVoted(q.id);
  button.setAttribute("aria-pressed", voted ? "true" : "false");
  button.disabled = !votingOpen(q) || state.pending.has(q.id);
  updateReport(li, q);
  setText(li.querySelector(".votes"), String(displayedVotes(q)));
}

function byVotes(a, b) {
  return displayedVotes(b) - displayedVotes(a) || a.createdMs - b.createdMs || a.id - b.id;
}

function byNewest(a, b) {
  return b.createdMs - a.createdMs || b.id - a.id;
}

// Put exactly these nodes in this order in the list, moving only what must move.
function place(list, items) {
  let cursor = list.firstChild;
  for (const li of items) {
    if (li === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(li, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

let renderQueued = false;

function renderQuestions() {
  if (renderQueued) return;
  renderQueued = true;
  window.requestAnimationFrame(() => {
    renderQueued = false;
    drawQuestions();
  });
}

function drawQuestions() {
  const open = [];
  const answered = [];
  for (const q of state.questions.values()) {
    (q.status === "answered" ? answered : open).push(q);
  }
  open.sort(state.sort === "new" ? byNewest : byVotes);
  answered.sort(state.sort === "new" ? byNewest : byVotes);
  for (const [id, li] of nodes) {
    if (!state.questions.has(id)) {
      li.remove();
      nodes.delete(id);
    }
  }
  const toNodes = (qs) =>
    qs.map((q) => {
      const li = questionNode(q.id);
      updateNode(li, q);
      return li;
    });
  // Moving a node takes the focus away from the button inside it: give it back.
  const focused = document.activeElement;
  place($("question-list"), toNodes(open));
  place($("answered-list"), toNodes(answered));
  if (focused && focused !== document.activeElement && focused.isConnected) {
    focused.focus({ preventScroll: true });
  }
  $("questions-empty").hidden = open.length > 0 || answered.length > 0;
  $("answered-section").hidden = answered.length === 0;
}

function setSort(sort) {
  state.sort = sort;
  $("sort-top").setAttribute("aria-pressed", sort === "top" ? "true" : "false");
  $("sort-new").setAttribute("aria-pressed", sort === "new" ? "true" : "false");
  drawQuestions();
}

// --- API ----------------------------------------------------------------------------------------

async function readBody(response) {
  try {
    return await response.json();
  } catch (err) {
    return null;
  }
}

// The user-facing message for an API error: ours for the codes we know, the server's otherwise.
function errorMessage(response, body, { voting = false } = {}) {
  const error = (body && body.error) || {};
  const details = error.details || {};
  switch (error.code) {
    case "throttled": {
      const seconds = Math.ceil(
        Number(details.retry_after_seconds) || Number(response.headers.get("Retry-After")) || 0,
      );
      return seconds > 0 ? format(S.error_throttled, { seconds }) : S.error_throttled_soon;
    }
    case "too_long":
      return format(S.error_too_long, {
        max: details.max_length || state.session.max_question_length,
      });
    case "session_closed":
      return voting ? S.voting_closed : S.error_session_closed;
    case "not_votable":
      return S.error_vote_closed;
    case "busy":
      return S.error_busy;
    default:
      if (error.code === "invalid" && details.text === "empty") return S.error_empty;
      return error.message || S.error_generic;
  }
}

// --- voting -----------------------------------------------------------------------------------

// Over the live socket when it is up (acknowledged once stored, like HTTP), else over HTTP. Both
// answer in the HTTP shape here: { response: { ok, headers }, body }.
const SOCKET_FALLBACK = new Set(["disconnected", "no_voter", "unavailable", "rate_limited"]);

async function sendVote(id, add) {
  if (stream && stream.status === Status.LIVE) {
    try {
      const ack = await stream.command(add ? "vote" : "unvote", { question: id });
      return {
        response: { ok: true, headers: new Headers() },
        body: { question: ack.question, vote_count: ack.votes, voted: ack.voted },
      };
    } catch (error) {
      if (!SOCKET_FALLBACK.has(error.code)) {
        return { response: { ok: false, headers: new Headers() }, body: { error } };
      }
    }
  }
  const response = await fetch(`${API}/questions/${id}/vote/`, {
    method: add ? "POST" : "DELETE",
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  return { response, body: await readBody(response) };
}

async function toggleVote(id) {
  const q = state.questions.get(id);
  if (!q || !votingOpen(q) || state.pending.has(id)) return;
  const wasVoted = state.voted.has(id);
  state.pending.set(id, wasVoted ? -1 : 1); // shown at once; undone if the server says no
  setText($("vote-result"), "");
  drawQuestions();
  try {
    const { response, body } = await sendVote(id, !wasVoted);
    const current = state.questions.get(id);
    if (response.ok && body) {
      if (current) current.votes = Number(body.vote_count) || 0;
      if (body.voted) state.voted.add(id);
      else state.voted.delete(id);
    } else {
      const code = body && body.error && body.error.code;
      // These two say what is already true: follow the server, no need to complain.
      if (code === "already_voted") state.voted.add(id);
      else if (code === "not_voted") state.voted.delete(id);
      else setText($("vote-result"), errorMessage(response, body, { voting: true }));
    }
  } catch (err) {
    setText($("vote-result"), S.error_network);
  } finally {
    state.pending.delete(id);
    drawQuestions();
  }
}

function onListClick(event) {
  if (onReportClick(event)) return;
  const button = event.target.closest("button.vote");
  if (!button || button.disabled) return;
  const li = button.closest(".question");
  toggleVote(Number(li.dataset.questionId));
}

// --- asking -----------------------------------------------------------------------------------

let submitting = false;
// The Idempotency-Key of the question being sent: kept while the same question is retried, so
// that a retry after a lost answer cannot post it twice.
let attempt = null;

function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  // randomUUID needs a secure context; getRandomValues does not.
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
  return [...parts, hex.slice(20)].join("-");
}

function updateCounter() {
  const left = state.session.max_question_length - $("ask-text").value.length;
  const counter = $("ask-counter");
  setText(counter, format(S.chars_left, { count: Math.max(0, left) }));
  counter.classList.toggle("counter-low", left <= 20);
}

function showResult(message, kind) {
  const result = $("ask-result");
  result.dataset.kind = kind;
  setText(result, message);
}

async function submitQuestion(event) {
  event.preventDefault();
  if (submitting || !state.session.accepts_questions) return;
  const textarea = $("ask-text");
  const text = textarea.value;
  if (!text.trim()) {
    showResult(S.error_empty, "error");
    textarea.focus();
    return;
  }
  if (text.length > state.session.max_question_length) {
    showResult(format(S.error_too_long, { max: state.session.max_question_length }), "error");
    return;
  }
  const guest = $("ask-guest").value;
  const payload = { text, name: $("ask-name").value.trim(), guest: guest ? Number(guest) : null };
  const fingerprint = JSON.stringify(payload);
  if (!attempt || attempt.fingerprint !== fingerprint) attempt = { fingerprint, key: newKey() };

  submitting = true;
  $("ask-fields").disabled = true;
  showResult(S.sending, "pending");
  try {
    const response = await fetch(`${API}/questions/`, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Idempotency-Key": attempt.key,
      },
      body: fingerprint,
    });
    const body = await readBody(response);
    if ((response.status === 201 || response.status === 200) && body) {
      attempt = null;
      textarea.value = "";
      updateCounter();
      try {
        window.localStorage.setItem(NAME_KEY, payload.name);
      } catch (err) {
        // Private browsing: the name is just not remembered.
      }
      if (body.status === "approved" || body.status === "on_air") {
        if (!state.questions.has(body.id)) {
          state.questions.set(
            body.id,
            publicQuestion({
              ...body,
              guest: body.target_guest ? body.target_guest.id : null,
              votes: body.vote_count,
            }),
          );
          drawQuestions();
        }
        showResult(S.sent_approved, "success");
      } else {
        showResult(S.sent_pending, "success");
      }
      refreshMine();
    } else {
      showResult(errorMessage(response, body), "error");
    }
  } catch (err) {
    showResult(S.error_network, "error");
  } finally {
    submitting = false;
    $("ask-fields").disabled = !state.session.accepts_questions;
  }
}

// --- the asker's own questions ---------------------------------------------------------------
//
// GET /api/public/sessions/<slug>/mine/ lists this browser's questions (its voter cookie) with
// their state: waiting, approved, on_air, answered, not_selected. Read again when the stream says
// one of them changed or something went on air, and every MINE_REFRESH_MS.

const MINE_REFRESH_MS = 15000;
const mine = new Map(); // id -> {id, text, state}
let mineTimer = null;
let mineInFlight = false;

function refreshMineSoon() {
  window.clearTimeout(mineTimer);
  mineTimer = window.setTimeout(refreshMine, 300);
}

async function refreshMine() {
  if (mineInFlight) return;
  mineInFlight = true;
  try {
    const response = await fetch(`${API}/mine/`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const body = response.ok ? await readBody(response) : null;
    if (Array.isArray(body)) setMine(body);
  } catch (err) {
    // Offline for a moment: the next refresh tries again.
  } finally {
    mineInFlight = false;
  }
}

function setMine(list) {
  const before = new Map([...mine].map(([id, q]) => [id, q.state]));
  mine.clear();
  for (const q of list) {
    mine.set(q.id, { id: q.id, text: String(q.text ?? ""), state: String(q.state || "waiting") });
  }
  for (const q of mine.values()) {
    // Announced once when it goes on air, and on opening the page while it is on air.
    if (q.state === "on_air" && before.get(q.id) !== "on_air") {
      announceOnAir(q);
    }
  }
  renderMine();
  renderQuestions();
}

// The on-air event names the question: one of ours is marked on air at once, before the list
// is read again (which also says what became of the one before).
function mineOnAir(onAirId) {
  let changed = false;
  for (const q of mine.values()) {
    if (q.id === onAirId && q.state !== "on_air") {
      q.state = "on_air";
      announceOnAir(q);
      changed = true;
    }
  }
  if (changed) renderMine();
}

function announceOnAir(q) {
  const box = $("mine-announce");
  const text = $("mine-announce-text");
  box.dataset.questionId = String(q.id);
  // Emptied, shown, then filled: screen readers announce a live region's new text.
  text.textContent = "";
  box.hidden = false;
  window.setTimeout(() => setText(text, S.mine_on_air_announce), 50);
}

function hideAnnouncement() {
  $("mine-announce").hidden = true;
}

function renderMine() {
  const section = $("mine");
  const list = $("mine-list");
  section.hidden = mine.size === 0;
  const onAir = [...mine.values()].find((q) => q.state === "on_air");
  if (!onAir) hideAnnouncement();
  const items = [...mine.values()];
  while (list.children.length > items.length) list.lastElementChild.remove();
  items.forEach((q, i) => {
    let li = list.children[i];
    if (!li) {
      li = element("li", "mine-item");
      const text = element("p", "mine-text");
      const badge = element("span", "mine-state");
      li.append(text, badge);
      list.append(li);
    }
    li.dataset.state = q.state;
    li.dataset.questionId = String(q.id);
    setText(li.querySelector(".mine-text"), q.text);
    setText(li.querySelector(".mine-state"), S[`mine_${q.state}`] || S.mine_waiting);
  });
}

// --- reporting a question ---------------------------------------------------------------------

const reported = new Set(); // ids this page reported

function reportControls() {
  const box = element("div", "report");
  const ask = element("button", "report-button");
  ask.type = "button";
  ask.textContent = S.report;
  const confirm = element("span", "report-confirm");
  confirm.hidden = true;
  const question = element("span", "report-question");
  question.textContent = S.report_confirm;
  const yes = element("button", "report-yes");
  yes.type = "button";
  yes.textContent = S.report_yes;
  const no = element("button", "report-no");
  no.type = "button";
  no.textContent = S.cancel;
  confirm.append(question, yes, no);
  const done = element("span", "report-done");
  done.textContent = S.reported;
  done.hidden = true;
  box.append(ask, confirm, done);
  return box;
}

function updateReport(li, q) {
  const box = li.querySelector(".report");
  // Only approved questions, and not the listener's own.
  const can = q.status === "approved" && !mine.has(q.id);
  box.hidden = !can && !reported.has(q.id);
  const isReported = reported.has(q.id);
  li.querySelector(".report-done").hidden = !isReported;
  if (isReported) {
    li.querySelector(".report-button").hidden = true;
    li.querySelector(".report-confirm").hidden = true;
  } else if (li.querySelector(".report-confirm").hidden) {
    li.querySelector(".report-button").hidden = false;
  }
}

function onReportClick(event) {
  const target = event.target.closest(".report button");
  if (!target) return false;
  const li = target.closest(".question");
  const id = Number(li.dataset.questionId);
  const ask = li.querySelector(".report-button");
  const confirm = li.querySelector(".report-confirm");
  if (target.classList.contains("report-button")) {
    ask.hidden = true;
    confirm.hidden = false;
    li.querySelector(".report-no").focus();
  } else if (target.classList.contains("report-no")) {
    confirm.hidden = true;
    ask.hidden = false;
    ask.focus();
  } else if (target.classList.contains("report-yes")) {
    sendReport(id, li);
  }
  return true;
}

async function sendReport(id, li) {
  const yes = li.querySelector(".report-yes");
  yes.disabled = true;
  const result = $("report-result");
  try {
    const response = await fetch(`${API}/questions/${id}/report/`, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const body = await readBody(response);
    if (response.ok) {
      reported.add(id);
      result.dataset.kind = "success";
      setText(result, S.report_thanks);
    } else {
      result.dataset.kind = "error";
      const code = body && body.error ? body.error.code : "";
      setText(
        result,
        code === "not_reportable" || code === "not_found"
          ? S.report_not_reportable
          : errorMessage(response, body),
      );
      li.querySelector(".report-confirm").hidden = true;
    }
  } catch (err) {
    result.dataset.kind = "error";
    setText(result, S.error_network);
  } finally {
    yes.disabled = false;
    const q = state.questions.get(id);
    if (q) updateReport(li, q);
  }
}

// --- the live stream --------------------------------------------------------------------------

function setGuests(guests) {
  state.guests = new Map((guests || []).map((g) => [g.id, g]));
  renderGuests();
}

function applySnapshot(data) {
  state.session = { ...state.session, ...data.session };
  state.questions = new Map((data.questions || []).map((q) => [q.id, publicQuestion(q)]));
  state.voted = new Set(data.voted || []);
  state.onAir = data.on_air || null;
  setGuests(data.guests);
  renderSession();
  renderOnAir();
  drawQuestions();
  refreshMine();
}

// A question event's count, unless a votes frame with a newer one already came.
function newerVotes(q) {
  const before = state.questions.get(q.id);
  if (before && before.votes_version > q.votes_version) {
    q.votes = before.votes;
    q.votes_version = before.votes_version;
  }
  return q;
}

function applyEvent(type, data) {
  switch (type) {
    case "question":
      if (data.question) state.questions.set(data.id, newerVotes(publicQuestion(data.question)));
      else state.questions.delete(data.id);
      renderQuestions();
      if (mine.has(data.id)) refreshMineSoon();
      break;
    case "votes": {
      // Volatile frames (no seq) may cross each other and the question events: per question,
      // the count with the highest version wins.
      const versions = data.versions || {};
      for (const [id, count] of Object.entries(data.counts || {})) {
        const q = state.questions.get(Number(id));
        const version = Number(versions[id]) || 0;
        if (q && version > q.votes_version) {
          q.votes = Number(count) || 0;
          q.votes_version = version;
        }
      }
      renderQuestions();
      break;
    }
    case "on_air":
      // One event for a whole air change: what is on air and the questions it moved.
      for (const item of data.questions || []) {
        if (item.question) state.questions.set(item.id, publicQuestion(item.question));
        else state.questions.delete(item.id);
      }
      if ((data.questions || []).length) renderQuestions();
      state.onAir = { question: data.question || null, taken_at: data.taken_at || null };
      renderOnAir();
      mineOnAir(data.question ? data.question.id : null);
      refreshMineSoon();
      break;
    case "session":
      state.session = { ...state.session, ...data.session };
      renderSession();
      renderQuestions();
      break;
    case "guests":
      setGuests(data.guests);
      renderQuestions();
      break;
    default:
      break;
  }
}

function start() {
  try {
    $("ask-name").value = window.localStorage.getItem(NAME_KEY) || "";
  } catch (err) {
    // No storage: nothing to fill in.
  }
  $("ask-form").addEventListener("submit", submitQuestion);
  $("ask-text").addEventListener("input", updateCounter);
  $("question-list").addEventListener("click", onListClick);
  $("answered-list").addEventListener("click", onListClick);
  $("sort-top").addEventListener("click", () => setSort("top"));
  $("sort-new").addEventListener("click", () => setSort("new"));
  renderSession();
  window.setInterval(refreshMine, MINE_REFRESH_MS);

  stream = new LiveStream(socketUrl(`/ws/audience/${encodeURIComponent(slug)}/`), {
    snapshot: applySnapshot,
    event: applyEvent,
    status: renderConnection,
    error(frame) {
      console.warn(`Audience stream: ${frame.code}: ${frame.message}`);
    },
  });
  stream.start();
}

start();
