// Words handed over by the page, date and number formats, and small DOM helpers that set text only.

export const config = readJson("console-config");
export const STRINGS = readJson("console-strings");

// Times, counts and plurals in the page's language, whatever the browser's own; times on the
// studio's 24-hour clock.
const language = document.documentElement.lang || undefined;
const timeFormat = new Intl.DateTimeFormat(language, {
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
export const clockFormat = new Intl.DateTimeFormat(language, {
  hourCycle: "h23",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const plurals = new Intl.PluralRules(language);
// Follower counts, short: "12.3K" in English, "12,3 k" in French.
const compact = new Intl.NumberFormat(language, {
  notation: "compact",
  maximumFractionDigits: 1,
});
const whole = new Intl.NumberFormat(language);

function readJson(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

export function t(key, params = {}) {
  let text = STRINGS[key] ?? key;
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

export function votesLabel(n, { number = true } = {}) {
  const key = plurals.select(n) === "one" ? "vote_one" : "vote_other";
  return t(key, { n: number ? n : "" }).trim();
}

// "12.3K followers" / "12,3 k abonnés"; "" when the count is not known.
export function followersLabel(n) {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return "";
  const key = plurals.select(n) === "one" ? "followers_one" : "followers_other";
  return t(key, { n: compact.format(n) });
}

// The exact count, for the label's tooltip: "12,345 followers on bluesky".
export function followersExact(n, network) {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return "";
  return t("followers_exact", { n: whole.format(n), network });
}

// Case- and accent-insensitive search: "reforme" finds "réforme".
export function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

export function formatTime(iso, format = timeFormat) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? "" : format.format(ms);
}

// Elapsed time as m:ss, or h:mm:ss past the hour.
export function formatElapsed(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  if (hours) return `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
  return `${String(minutes).padStart(2, "0")}:${seconds}`;
}

export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// el("p", "class names", "text") — text is always set as text.
export function el(tag, className = "", text = null) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== null) node.textContent = text;
  return node;
}
