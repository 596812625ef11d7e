// The social wall: approved messages of the session as cards, pinned first, then the newest;
// the one on air highlighted. For a studio screen or a full-screen broadcast graphic, at any
// size. It follows the wall socket (/ws/wall/<slug>/?key=…, see docs/realtime.md).
//
// Rules it keeps:
//   - no flicker and never a half state: a new wall is worked out whole, then applied to the
//     page in one synchronous step; cards that stay are the same DOM nodes (moved, never
//     rebuilt), only new cards animate in, and a card's text is filled before it is attached;
//   - a lost connection changes nothing on screen; <body data-status> says how the stream is;
//   - untrusted text reaches the page through textContent only.
//
// URL parameters: those of the overlay's lower third (look.js: bg, fg, accent, font, margin,
// duration, badge), plus
//   size    card text size in px, 14 to 120                          default 30
//   card    card background colour, same forms as bg                 default translucent white
//   rotate  seconds between two steps of the rotation, 0 to 600 (0: no rotation)   default 8

import { FONT_FALLBACK, parseColour, parseNumber, readLook } from "./look.js";
import { LiveStream, socketUrl } from "./realtime.js";

const strings = JSON.parse(document.getElementById("wall-strings").textContent);

export function readWallOptions(search) {
  const params = new URLSearchParams(search);
  return {
    ...readLook(search),
    size: parseNumber(params.get("size"), 14, 120) ?? 30,
    card: parseColour(params.get("card")),
    rotate: parseNumber(params.get("rotate"), 0, 600) ?? 8,
  };
}

function applyOptions(options, root) {
  const style = root.style;
  if (options.bg) style.setProperty("--wall-bg", options.bg);
  if (options.fg) style.setProperty("--wall-fg", options.fg);
  if (options.accent) style.setProperty("--wall-accent", options.accent);
  if (options.card) style.setProperty("--wall-card", options.card);
  if (options.font) style.setProperty("--wall-font", `"${options.font}", ${FONT_FALLBACK}`);
  if (options.margin) style.setProperty("--wall-margin", options.margin);
  style.setProperty("--wall-size", `${options.size}px`);
  style.setProperty("--wall-duration", `${options.duration}ms`);
}

function timeOf(iso, lang) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString(lang || undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

// Everything a card shows, with a key that changes whenever any of it does.
function cardContent(item, options, lang) {
  const name = String(item.author_name || "").trim();
  const handle = String(item.handle || "").trim();
  const content = {
    text: String(item.text || ""),
    author: name || handle,
    handle: name && handle && handle !== name ? `@${handle.replace(/^@/, "")}` : "",
    source: options.badge ? strings[`source_${item.source}`] || "" : "",
    time: timeOf(item.created_at, lang),
    onAir: Boolean(item.on_air),
    pinned: item.pinned != null,
  };
  content.key = JSON.stringify(content);
  return content;
}

function span(className, text) {
  const el = document.createElement("span");
  el.className = className;
  el.textContent = text;
  if (!text) el.hidden = true;
  return el;
}

// Fills a card's children, detached or not: called on a new card before it is attached, and on
// a card that stays only when what it shows changed.
function fillCard(card, content) {
  const text = document.createElement("p");
  text.className = "wall-text";
  text.textContent = content.text;
  const meta = document.createElement("p");
  meta.className = "wall-meta";
  meta.append(
    span("wall-badge", content.onAir ? strings.on_air : ""),
    span("wall-author", content.author),
    span("wall-handle", content.handle),
    span("wall-source", content.source),
    span("wall-time", content.time),
  );
  card.replaceChildren(text, meta);
  card.toggleAttribute("data-on-air", content.onAir);
  card.toggleAttribute("data-pinned", content.pinned);
  card.dataset.key = content.key;
}

export class Wall {
  constructor(doc, options) {
    this.list = doc.getElementById("wall-cards");
    this.empty = doc.getElementById("wall-empty");
    this.options = options;
    this.lang = doc.documentElement.lang;
    this.cards = new Map(); // item id -> its card element
    this.items = [];
    this.offset = 0;
    this.empty.textContent = strings.empty;
  }

  show(wall) {
    this.items = Array.isArray(wall && wall.items) ? wall.items : [];
    this.render();
  }

  // Pinned items stay put; the others turn, one step per tick, so that every item of the wall
  // comes on screen in turn even when they do not all fit.
  ordered() {
    const pinned = this.items.filter((item) => item.pinned != null);
    const rest = this.items.filter((item) => item.pinned == null);
    if (!rest.length) return pinned;
    const start = this.offset % rest.length;
    return [...pinned, ...rest.slice(start), ...rest.slice(0, start)];
  }

  tick() {
    if (!this.overflowing()) {
      this.offset = 0;
      return;
    }
    this.offset += 1;
    this.render();
  }

  overflowing() {
    return this.list.querySelector(".wall-card[data-clipped]") !== null;
  }

  // A card that does not fit whole is not shown at all (never half a card): it waits for the
  // rotation. Measured in the same task as the change, before the page is painted.
  clip() {
    // Offsets from the wall's box, which a card's entering animation (a transform) leaves alone.
    const bottom = this.list.parentElement.clientHeight + 1;
    for (const card of this.list.children) {
      card.toggleAttribute("data-clipped", card.offsetTop + card.offsetHeight > bottom);
    }
  }

  render() {
    // Work out the whole new wall first, off the page: new cards are built and filled detached.
    const wanted = this.ordered();
    const next = [];
    const fresh = new Set();
    for (const item of wanted) {
      const content = cardContent(item, this.options, this.lang);
      let card = this.cards.get(item.id);
      if (!card) {
        card = document.createElement("li");
        card.className = "wall-card";
        card.dataset.id = String(item.id);
        fillCard(card, content);
        fresh.add(card);
      } else if (card.dataset.key !== content.key) {
        fillCard(card, content);
      }
      next.push([item.id, card]);
    }
    // Then apply it in one step: cards that stay are moved, not rebuilt.
    const keep = new Set(next.map(([, card]) => card));
    for (const card of this.cards.values()) {
      if (!keep.has(card)) card.remove();
    }
    let before = this.list.firstElementChild;
    for (const [, card] of next) {
      if (card === before) {
        before = before.nextElementSibling;
      } else {
        this.list.insertBefore(card, before);
      }
      if (fresh.has(card) && this.options.duration > 0) {
        card.classList.add("is-entering");
        card.addEventListener("animationend", () => card.classList.remove("is-entering"), {
          once: true,
        });
      }
    }
    this.cards = new Map(next);
    this.clip();
    this.empty.hidden = next.length > 0;
    document.body.dataset.count = String(next.length);
  }
}

function start() {
  const body = document.body;
  const { slug, key } = body.dataset;
  const options = readWallOptions(window.location.search);
  applyOptions(options, document.documentElement);
  const wall = new Wall(document, options);
  if (options.rotate > 0) window.setInterval(() => wall.tick(), options.rotate * 1000);
  window.addEventListener("resize", () => wall.clip());
  document.fonts?.ready.then(() => wall.clip());

  let refresh = null;
  const path = `/ws/wall/${encodeURIComponent(slug)}/?key=${encodeURIComponent(key)}`;
  const stream = new LiveStream(socketUrl(path), {
    snapshot(data) {
      wall.show(data.wall);
    },
    event(type, data) {
      if (type === "wall" || type === "question" || type === "on_air") {
        // A producer's change, an approval, a rejection, a take: ask for the wall, once per
        // burst of events.
        window.clearTimeout(refresh);
        refresh = window.setTimeout(() => {
          stream
            .command("wall")
            .then((answer) => wall.show(answer))
            .catch(() => stream.resync());
        }, 150);
      }
    },
    status(status) {
      body.dataset.status = status;
    },
    error(frame) {
      console.warn(`Wall stream: ${frame.code}: ${frame.message}`);
    },
  }).start();
}

start();
