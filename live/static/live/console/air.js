// Air control: the lock and its banner, the cued question's lower-third preview, "Take next",
// the on-air timer and the on-air wording / aired name editor.

import { dom } from "./dom.js";
import { sourceLabel } from "./cards.js";
import { state } from "./state.js";
import { formatElapsed, setText, t } from "./text.js";

const TICK_MS = 1_000;

export const airLocked = () => Boolean(state.session?.air_locked);

export function drawAir() {
  const locked = airLocked();
  dom.airLocked.hidden = !locked;
  document.body.classList.toggle("air-is-locked", locked);
  if (dom.airLock) dom.airLock.hidden = locked;
  drawCue();
  drawTimer();
}

function drawCue() {
  if (!dom.cueBox) return;
  const q = state.cue;
  dom.cueBox.dataset.empty = String(!q);
  dom.cueEmpty.hidden = Boolean(q);
  setText(dom.cueName, q ? q.author_name || t("anonymous") : "");
  setText(dom.cueText, q ? q.text : "");
  const guest = q?.guest ? [q.guest.name, q.guest.title].filter(Boolean).join(", ") : "";
  const parts = q ? [sourceLabel(q.source || ""), guest ? t("for_guest", { guest }) : ""] : [];
  setText(dom.cueSummary, parts.filter(Boolean).join(" · "));
  dom.cueSummary.hidden = !q;
}

// How long the question has been on air: counted from the server's taken_at, ticking.
export function drawTimer() {
  const takenAt = state.onAir?.question ? Date.parse(state.onAir.taken_at ?? "") : Number.NaN;
  if (Number.isNaN(takenAt)) {
    setText(dom.onAirSince, "");
    return;
  }
  const elapsed = Date.now() + state.clockOffset - takenAt;
  setText(dom.onAirSince, t("on_air_for", { time: formatElapsed(elapsed) }));
}

window.setInterval(drawTimer, TICK_MS);

// --- on-air wording and aired name --------------------------------------------------------------

let editing = null; // { action, id, send }

export function openAirEdit(action, q, send) {
  editing = { action, id: q.id, send };
  const isName = action === "rename";
  setText(dom.airEditTitle, t(action));
  setText(dom.airEditHint, t(`${action}_hint`));
  setText(dom.airEditOriginal, t("original", { text: isName ? q.author_name || "" : q.text }));
  dom.airEditInput.rows = isName ? 1 : 4;
  dom.airEditInput.maxLength = isName ? 120 : 2000;
  dom.airEditInput.value = isName ? q.air_name || q.author_name || "" : q.air_text || q.text;
  dom.airEdit.showModal();
  dom.airEditInput.focus();
}

dom.airEditForm?.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!editing) return;
  const { action, id, send } = editing;
  const value = dom.airEditInput.value.trim();
  const data = action === "rename" ? { question: id, name: value } : { question: id, text: value };
  if (await send(action, data)) {
    editing = null;
    dom.airEdit.close();
  }
});

dom.airEditCancel?.addEventListener("click", () => {
  editing = null;
  dom.airEdit.close();
});

dom.airEditInput?.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey) {
    ev.preventDefault();
    dom.airEditForm.requestSubmit();
  }
});
