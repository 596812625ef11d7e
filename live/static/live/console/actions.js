// Commands sent over the live stream: controls' busy and enabled states, notices, errors and undo.

import { Status } from "../realtime.js";
import { airLocked, openAirEdit } from "./air.js";
import { wireComposer } from "./backstage.js";
import { cards, updateCard } from "./cards.js";
import { dom } from "./dom.js";
import { select } from "./keyboard.js";
import { can, state, ui } from "./state.js";
import { STRINGS, clockFormat, setText, t } from "./text.js";

const INFO_NOTICE_MS = 8_000;
const MAX_HOLD_POSITION = 50;
const COMMAND_TIMEOUT_MS = 10_000; // past this, a command counts as lost: its button is freed
const CONFIRM_MS = 4_000; // a queue card's "Answered" waits this long for its second touch

let stream = null; // the crew stream, handed over by the entry module

export function useStream(liveStream) {
  stream = liveStream;
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

export function syncControls() {
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
    const locked = airLocked();
    if (action === "take") blocked = !sessionLive || locked;
    if (action === "take_next") blocked = !sessionLive || locked || !state.cue;
    if (action === "lock") blocked = locked;
    if (action === "unlock") blocked = !locked;
    if (action === "uncue") blocked = !state.cue;
    if (action === "backstage_read") blocked = !control.dataset.message;
    if (action === "clear") blocked = !state.onAir?.question;
    if (action === "answered" && control === dom.onAirAnswered) blocked = question === null;
    control.disabled = !live || busy || blocked;
  }
}

export async function send(action, data, { undoable = false } = {}) {
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
    else if (["reopen", "requeue", "reword", "rename", "lock", "unlock"].includes(action)) {
      showInfo(t(`done_${action}`));
    } else if (action === "backstage_send") showInfo(t("done_backstage_send"));
    else if (action === "wall") showInfo(t(`done_wall_${data.state}`));
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

let confirmTimer = 0;

function confirmAnswered(id) {
  const before = ui.confirmingAnswered;
  ui.confirmingAnswered = id;
  window.clearTimeout(confirmTimer);
  for (const other of [before, id]) {
    const card = other === null ? null : cards.get(other);
    if (card) updateCard(card, question(other));
  }
  if (id !== null) confirmTimer = window.setTimeout(() => confirmAnswered(null), CONFIRM_MS);
}

wireComposer(send);

// --- notices ------------------------------------------------------------------------------------

let infoTimer = 0;

export function showError(message) {
  dom.noticeError.hidden = false;
  setText(dom.noticeError.querySelector(".notice-text"), message);
}

export function showInfo(message, undoId = null, undoAction = "reopen") {
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

export function onStatus(status) {
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

export function onServerError(frame) {
  if (["not_authenticated", "not_found", "forbidden"].includes(frame?.code) && frame.id == null) {
    return; // the socket is closing: the "denied" status says what to do
  }
  showError(errorMessage(frame));
}

// --- actions ------------------------------------------------------------------------------------

function question(id) {
  return state.questions.get(id);
}

export function openReject(id) {
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

export function onAction(control) {
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
      // On a queue card the question never aired: a second touch confirms.
      if (id !== null && control !== dom.onAirAnswered && ui.confirmingAnswered !== id) {
        confirmAnswered(id);
      } else if (id !== null) {
        confirmAnswered(null);
        send("answered", { question: id }, { undoable: true });
      }
      break;
    case "cue":
      if (id !== null) {
        if (state.cue?.id === id) send("uncue", {});
        else send("cue", { question: id });
      }
      break;
    case "uncue":
    case "take_next":
    case "lock":
    case "unlock":
      send(action, {});
      break;
    case "reword":
    case "rename":
      if (q) openAirEdit(action, q, send);
      break;
    case "backstage_read":
      if (control.dataset.message) {
        send("backstage_read", { message: Number(control.dataset.message) });
      }
      break;
    case "clear":
      send("clear", {});
      break;
    case "wall":
      if (id !== null) send("wall", { question: id, state: control.dataset.wallState });
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
