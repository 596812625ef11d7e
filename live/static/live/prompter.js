// The guest prompter: the question on air in large type, who asked it and from where, and the
// question cued next, small. It follows the overlay stream (/ws/overlay/<slug>/?key=…, see
// docs/realtime.md): the snapshot's and events' `on_air` for the question on air, `cue` for the
// next one. Nothing to press. Untrusted text reaches the page through textContent only.
//
// The connection shows as a small dot (and a word when not live): on a lost connection the text
// stays, dimmed, so the guest never reads stale text without a sign.

import { LiveStream, Status, socketUrl } from "./realtime.js";

// Font sizes tried for the question on air, largest first, in px at a 1920-wide screen (scaled
// with the screen's width). READABLE is the smallest size read comfortably from two metres;
// below it a question is only ever shown when it would otherwise be cut.
const LARGEST = 120;
const READABLE = 56;
const SMALLEST = 28;
const STEP = 4;

const S = JSON.parse(document.getElementById("prompter-strings").textContent);
const $ = (id) => document.getElementById(id);

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in values ? String(values[name]) : whole,
  );
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// "Asked by Léa, by text message", "For Dr Martin": who asked it, from where, for whom.
export function metaFor(question) {
  const name = String(question.author_name || "").trim();
  const source = S[`source_${String(question.source || "").split(":")[0]}`] || "";
  let asked = "";
  if (name && source) asked = format(S.asked_by_from, { name, source });
  else if (name) asked = format(S.asked_by, { name });
  else if (source) asked = format(S.asked_from, { source });
  const guest = question.guest && question.guest.name ? String(question.guest.name) : "";
  return [asked, guest ? format(S.for_guest, { guest }) : ""].filter(Boolean).join(" · ");
}

// The largest size at which the text fits its box without being cut: from LARGEST down to
// READABLE, then, only for a text that does not fit at READABLE, on down to SMALLEST; past
// that the box grows and the page scrolls rather than hide a word.
function fit(textEl, boxEl) {
  const scale = Math.max(0.25, window.innerWidth / 1920);
  const fits = () =>
    textEl.scrollHeight <= boxEl.clientHeight + 1 && textEl.scrollWidth <= boxEl.clientWidth + 1;
  for (let px = LARGEST; px >= SMALLEST; px -= STEP) {
    textEl.style.setProperty("--fit-size", `${Math.round(px * scale)}px`);
    if (fits()) break;
  }
  textEl.dataset.size = textEl.style.getPropertyValue("--fit-size");
}

const nowText = $("now-text");
const nowBox = $("now-box");
const nowMeta = $("now-meta");
const nextText = $("next-text");
let current = null;

function showOnAir(question) {
  current = question || null;
  if (!question) {
    setText(nowText, S.nothing_on_air);
    nowText.dataset.empty = "true";
    nowText.dataset.id = "";
    setText(nowMeta, "");
  } else {
    setText(nowText, String(question.text || ""));
    nowText.dataset.empty = "false";
    nowText.dataset.id = String(question.id);
    setText(nowMeta, metaFor(question));
  }
  fit(nowText, nowBox);
}

function showNext(question) {
  if (!question) {
    setText(nextText, S.nothing_cued);
    nextText.dataset.empty = "true";
    nextText.dataset.id = "";
  } else {
    setText(nextText, String(question.text || ""));
    nextText.dataset.empty = "false";
    nextText.dataset.id = String(question.id);
  }
}

function showStatus(status) {
  document.body.dataset.status = status;
  setText($("connection-label"), S[`status_${status}`] || status);
}

function start() {
  const { slug, key } = document.body.dataset;
  const path = `/ws/overlay/${encodeURIComponent(slug)}/?key=${encodeURIComponent(key)}`;
  new LiveStream(socketUrl(path), {
    snapshot(data) {
      showOnAir(data.on_air ? data.on_air.question : null);
      showNext(data.cue ? data.cue.question : null);
    },
    event(type, data) {
      if (type === "on_air") {
        showOnAir(data.question);
        if (data.cue) showNext(data.cue.question);
      } else if (type === "cue") {
        showNext(data.question);
      }
    },
    status: showStatus,
    error(frame) {
      console.warn(`Prompter stream: ${frame.code}: ${frame.message}`);
    },
  }).start();
  showStatus(Status.CONNECTING);
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (window.innerWidth === width) return;
    width = window.innerWidth;
    showOnAir(current);
  });
  showOnAir(null);
}

start();
