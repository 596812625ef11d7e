// The broadcast overlay: a lower third with the on-air question, for OBS, vMix and CasparCG
// browser inputs (1920x1080, transparent). It follows the session's overlay stream
// (/ws/overlay/<slug>/?key=…, see docs/realtime.md) and shows what is on air; with
// ?output=preview it shows the question cued to air next instead (a PVW output, same look).
//
// Rules it keeps:
//   - the text never changes while visible: a new question waits for the old one to animate out,
//     and every field is filled while the lower third is hidden;
//   - a lost connection changes nothing on screen (graphics must not flash off on a network
//     blip); <body data-status> says how the stream is (connecting, live, reconnecting, stale,
//     denied) for monitoring, and the operator decides what to do;
//   - untrusted text reaches the page through textContent only;
//   - a question is never cut: a long one shrinks step by step down to a readable floor
//     (FIT_FLOOR px); the server refuses to take what does not fit at the floor in MAX_LINES
//     lines of the default look (questions/fit.py), and past the floor the box grows rather
//     than hide a word.
//
// URL parameters (anything invalid is ignored, numbers are clamped):
//   bg        panel background: #rgb, #rgba, #rrggbb, #rrggbbaa (the "#" may be left out, or sent
//             as %23), rgb()/rgba(), or a CSS colour name          default rgba(14, 18, 32, 0.9)
//   fg        text colour, same forms                              default #ffffff
//   accent    accent bar and source badge colour, same forms       default #f2b705
//   font      a font family installed on the machine (letters, digits, spaces, hyphens)
//   size      question font size in px, 16 to 120                  default 46
//   position  bottom | top                                         default bottom
//   align     left | center | right                                default left
//   margin    safe margin, px (0 to 300) or % (0 to 20)           default 5% (action safe)
//   width     lower third width, px (320 to 1920) or % (20 to 100), never wider than the safe area
//                                                                  default 1560px
//   duration  animation length in ms, 0 to 3000                    default 400
//   badge     0 hides the source badge (web, sms, social)          default 1
//   output    program (what is on air) | preview (what is cued)   default program
// Example: /overlay/<slug>/?key=…&bg=%23101820e6&accent=orange&size=52&align=center&margin=80px

import {
  FONT_FALLBACK,
  oneOf,
  parseColour,
  parseFont,
  parseLength,
  parseNumber,
  readLook,
} from "./look.js";
import { LiveStream, socketUrl } from "./realtime.js";

export { parseColour, parseFont, parseLength, parseNumber };

const DEFAULT_SIZE = 46;
const DEFAULT_DURATION = 400;
// Font sizes tried, as fractions of `size`, down to the readable floor; the same floor and
// line count as the take's check (questions/fit.py FLOOR_PX, MAX_LINES).
const FIT_STEPS = [1, 0.9, 0.8, 0.72];
export const FIT_FLOOR = 30;
export const MAX_LINES = 4;
// Lines a question takes, when it can, before the floor allows the last one.
const COMFORTABLE_LINES = 3;
const BADGE_SOURCES = new Set(["web", "sms", "social"]);

// --- URL parameters --------------------------------------------------------------------------

export function readOptions(search) {
  const params = new URLSearchParams(search);
  const get = (name) => params.get(name);
  return {
    ...readLook(search, { duration: DEFAULT_DURATION }),
    size: parseNumber(get("size"), 16, 120) ?? DEFAULT_SIZE,
    position: oneOf(get("position"), ["bottom", "top"], "bottom"),
    align: oneOf(get("align"), ["left", "center", "right"], "left"),
    width: parseLength(get("width"), { px: [320, 1920], pc: [20, 100] }),
    output: oneOf(get("output"), ["program", "preview"], "program"),
  };
}

function applyOptions(options, root, safeArea) {
  const style = root.style;
  if (options.bg) style.setProperty("--lt-bg", options.bg);
  if (options.fg) style.setProperty("--lt-fg", options.fg);
  if (options.accent) style.setProperty("--lt-accent", options.accent);
  if (options.font) {
    style.setProperty("--lt-font", `"${options.font}", ${FONT_FALLBACK}`);
  }
  style.setProperty("--lt-size", `${options.size}px`);
  if (options.margin) style.setProperty("--lt-margin", options.margin);
  if (options.width) style.setProperty("--lt-width", options.width);
  safeArea.dataset.position = options.position;
  safeArea.dataset.align = options.align;
}

// --- the lower third -------------------------------------------------------------------------

// What the lower third shows for an on-air question, with a key that changes whenever any
// visible field does.
function itemFor(question, options) {
  if (!question) return null;
  const guest = question.guest && question.guest.name ? `→ ${question.guest.name}` : "";
  const source = String(question.source || "").split(":")[0];
  const item = {
    text: String(question.text || ""),
    author: String(question.author_name || "").trim(),
    guest,
    source: options.badge && BADGE_SOURCES.has(source) ? source : "",
  };
  item.key = JSON.stringify([question.id, item.text, item.author, item.guest, item.source]);
  return item;
}

function sameItem(a, b) {
  return (a ? a.key : null) === (b ? b.key : null);
}

// The font sizes the lower third tries, largest first, ending at the floor (or at `size` when
// the chosen size is below the floor).
export function fitSizes(size) {
  const floor = Math.min(size, FIT_FLOOR);
  const sizes = FIT_STEPS.map((step) => Math.round(size * step)).filter((px) => px > floor);
  return [...new Set(sizes), floor];
}

const wait = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

class LowerThird {
  constructor(doc, options) {
    this.el = doc.getElementById("lower-third");
    this.textEl = doc.getElementById("lt-text");
    this.authorEl = doc.getElementById("lt-author");
    this.guestEl = doc.getElementById("lt-guest");
    this.sourceEl = doc.getElementById("lt-source");
    this.metaEl = this.authorEl.parentElement;
    this.options = options;
    this.current = null; // what is filled in (shown, or on its way in or out)
    this.desired = null; // what should be on screen
    this.running = false;
  }

  show(question) {
    this.desired = itemFor(question, this.options);
    this.run();
  }

  // One change at a time: out, then fill, then in. A newer wish made during an animation is
  // picked up when that animation ends, so the fields never change while they can be seen.
  async run() {
    if (this.running) return;
    this.running = true;
    try {
      while (!sameItem(this.current, this.desired)) {
        if (this.current) {
          await this.leave();
          this.current = null;
        } else {
          const next = this.desired;
          this.fill(next);
          this.current = next;
          await this.enter();
        }
      }
    } finally {
      this.running = false;
    }
  }

  fill(item) {
    this.textEl.textContent = item.text;
    this.authorEl.textContent = item.author;
    this.guestEl.textContent = item.guest;
    this.sourceEl.textContent = item.source;
    this.metaEl.hidden = !(item.author || item.guest || item.source);
    this.fit();
  }

  clear() {
    for (const el of [this.textEl, this.authorEl, this.guestEl, this.sourceEl]) {
      el.textContent = "";
    }
  }

  // The largest font size at which the text takes at most three lines, else at most MAX_LINES,
  // never below the readable floor (nor above the chosen size). Nothing is ever cut: a text
  // that needs more lines at the floor makes the box taller. Measured while hidden
  // (transparent, laid out as when shown), so the lower third is never seen half updated.
  fit() {
    const el = this.textEl;
    const sizes = fitSizes(this.options.size);
    const lines = (px) => {
      el.style.setProperty("--lt-fit-size", `${px}px`);
      const lineHeight = parseFloat(getComputedStyle(el).lineHeight);
      return lineHeight > 0 ? Math.round(el.getBoundingClientRect().height / lineHeight) : 1;
    };
    for (const most of [COMFORTABLE_LINES, MAX_LINES]) {
      for (const px of sizes) {
        if (lines(px) <= most) return;
      }
    }
  }

  offset() {
    return this.options.position === "top" ? -48 : 48;
  }

  async animate(state, keyframes) {
    this.el.dataset.state = state;
    const duration = this.options.duration;
    if (!duration || typeof this.el.animate !== "function") return;
    const animation = this.el.animate(keyframes, {
      duration,
      easing: "cubic-bezier(0.2, 0.7, 0.2, 1)",
      fill: "forwards",
    });
    // A timer backs the promise up: the next step must come even if the animation never ends.
    await Promise.race([animation.finished.catch(() => {}), wait(duration + 250)]);
    return animation;
  }

  async enter() {
    this.el.setAttribute("aria-hidden", "false");
    const animation = await this.animate("entering", [
      { opacity: 0, transform: `translateY(${this.offset()}px)` },
      { opacity: 1, transform: "translateY(0)" },
    ]);
    this.el.dataset.state = "shown";
    animation?.cancel();
  }

  async leave() {
    const animation = await this.animate("leaving", [
      { opacity: 1, transform: "translateY(0)" },
      { opacity: 0, transform: `translateY(${this.offset()}px)` },
    ]);
    this.el.dataset.state = "hidden";
    this.el.setAttribute("aria-hidden", "true");
    animation?.cancel();
    this.clear();
  }
}

// --- start -----------------------------------------------------------------------------------

function start() {
  const body = document.body;
  const { slug, key } = body.dataset;
  const options = readOptions(window.location.search);
  applyOptions(options, document.documentElement, document.getElementById("safe-area"));
  const lowerThird = new LowerThird(document, options);
  // The page's own output (set by the server from ?output=) wins over the parsed parameter.
  const preview = (body.dataset.output || options.output) === "preview";

  const path = `/ws/overlay/${encodeURIComponent(slug)}/?key=${encodeURIComponent(key)}`;
  new LiveStream(socketUrl(path), {
    snapshot(data) {
      const shape = preview ? data.cue : data.on_air;
      lowerThird.show(shape ? shape.question : null);
    },
    event(type, data) {
      if (preview) {
        // The cue changes alone, or with a take (the cued question taken: nothing cued).
        if (type === "cue") lowerThird.show(data.question);
        else if (type === "on_air" && data.cue) lowerThird.show(data.cue.question);
      } else if (type === "on_air") {
        lowerThird.show(data.question);
      }
    },
    status(status) {
      // Whatever the status, what is on air stays on air: the operator decides.
      body.dataset.status = status;
    },
    error(frame) {
      console.warn(`Overlay stream: ${frame.code}: ${frame.message}`);
    },
  }).start();
}

start();
