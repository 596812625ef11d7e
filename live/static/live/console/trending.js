// The trending panel: the words and hashtags rising in the conversation, from the session's
// trending API, polled while the panel is open and the page visible. Terms are the audience's
// words: they reach the page as text only.

import { config, el, formatTime, setText, t } from "./text.js";

const POLL_MS = 20_000;
const TIMEOUT_MS = 10_000;
const OPEN_KEY = "sr-console-trending-open";

const panel = document.getElementById("trending");
const toggle = document.getElementById("trending-toggle");
const list = document.getElementById("trending-terms");
const empty = document.getElementById("trending-empty");
const error = document.getElementById("trending-error");
const asOf = document.getElementById("trending-as-of");
const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);

let timer = null;
let inFlight = null;

function isOpen() {
  return !panel.hidden;
}

function readOpen() {
  try {
    return window.localStorage.getItem(OPEN_KEY) !== "0";
  } catch {
    return true; // storage refused (private mode): open, as by default
  }
}

function saveOpen(open) {
  try {
    window.localStorage.setItem(OPEN_KEY, open ? "1" : "0");
  } catch {
    // The choice is not remembered; the panel works the same.
  }
}

function setOpen(open) {
  panel.hidden = !open;
  toggle.setAttribute("aria-expanded", String(open));
  schedule();
}

// Poll only while someone can see the panel; opening it or coming back to the page reads now.
function schedule() {
  window.clearTimeout(timer);
  timer = null;
  if (!isOpen() || document.visibilityState !== "visible") return;
  refresh();
}

async function refresh() {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const timeout = window.setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(config.trending_url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    if (!data || !Array.isArray(data.terms)) throw new Error("not a list of terms");
    draw(data);
  } catch {
    if (inFlight !== controller) return; // a newer read took over
    showError();
  } finally {
    window.clearTimeout(timeout);
    if (inFlight === controller) {
      inFlight = null;
      window.clearTimeout(timer);
      if (isOpen() && document.visibilityState === "visible") {
        timer = window.setTimeout(refresh, POLL_MS);
      }
    }
  }
}

function draw(data) {
  const minutes = Number(data.window_minutes) || 0;
  const terms = data.terms.filter((term) => term && typeof term.term === "string");
  list.replaceChildren(
    ...terms.map((term) => {
      const item = el("li", "trending-term");
      item.append(el("span", "trending-word", term.term));
      item.append(el("span", "trending-count", numbers.format(Number(term.count) || 0)));
      item.title = t("trending_term", {
        count: numbers.format(Number(term.count) || 0),
        previous: numbers.format(Number(term.previous) || 0),
        minutes,
      });
      return item;
    }),
  );
  panel.dataset.state = terms.length ? "terms" : "empty";
  list.hidden = !terms.length;
  empty.hidden = Boolean(terms.length);
  error.hidden = true;
  const time = formatTime(data.as_of);
  setText(asOf, time ? t("trending_as_of", { minutes, time }) : "");
  markOverflow();
}

// More terms than the line holds: the line fades out at its end, saying it scrolls.
function markOverflow() {
  list.classList.toggle("overflowing", list.scrollWidth > list.clientWidth + 1);
}

// The last terms read stay, marked as old, under the error.
function showError() {
  panel.dataset.state = "error";
  error.hidden = false;
  empty.hidden = true;
  list.hidden = !list.children.length;
}

export function startTrending() {
  if (!panel || !toggle || !config.trending_url) return;
  setText(empty, t("trending_empty"));
  setText(error, t("trending_error"));
  toggle.addEventListener("click", () => {
    const open = !isOpen();
    saveOpen(open);
    setOpen(open);
  });
  document.addEventListener("visibilitychange", schedule);
  window.addEventListener("resize", markOverflow);
  setOpen(readOpen());
}
