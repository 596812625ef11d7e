// The look parameters shared by the graphics pages (the overlay's lower third and the social
// wall): colours, font, sizes and lengths read from the page's URL. Anything invalid is ignored
// (null), numbers are clamped. The parameters themselves are listed in overlay.js and
// docs/graphics.md.

const HEX_COLOUR = /^#?([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const RGB_COLOUR = /^rgba?\([\d\s.,%/+-]+\)$/i;
const NAMED_COLOUR = /^[a-z]{3,32}$/i;
const FONT_NAME = /^[\p{L}\p{N} -]{1,64}$/u;
const LENGTH = /^(\d{1,4}(?:\.\d+)?)(px|%)?$/;

function supports(property, value) {
  return typeof CSS !== "undefined" && CSS.supports(property, value);
}

export function parseColour(raw) {
  if (raw == null) return null;
  const value = raw.trim();
  if (!value || value.length > 64) return null;
  const hex = HEX_COLOUR.exec(value);
  let colour = null;
  if (hex) colour = `#${hex[1]}`;
  else if (RGB_COLOUR.test(value) || NAMED_COLOUR.test(value)) colour = value;
  return colour && supports("color", colour) ? colour : null;
}

export function parseFont(raw) {
  if (raw == null) return null;
  const name = raw.trim().replace(/\s+/g, " ");
  return FONT_NAME.test(name) ? name : null;
}

export function clamp(n, min, max) {
  return Math.min(max, Math.max(min, n));
}

export function parseNumber(raw, min, max) {
  if (raw == null || !/^\d{1,6}(\.\d+)?$/.test(raw.trim())) return null;
  return clamp(Number(raw), min, max);
}

// "80", "80px" or "4%": a CSS length, clamped to its unit's range; null when unreadable.
export function parseLength(raw, { px: [pxMin, pxMax], pc: [pcMin, pcMax] }) {
  if (raw == null) return null;
  const match = LENGTH.exec(raw.trim());
  if (!match) return null;
  const n = Number(match[1]);
  return match[2] === "%" ? `${clamp(n, pcMin, pcMax)}%` : `${clamp(n, pxMin, pxMax)}px`;
}

export function oneOf(raw, allowed, fallback) {
  const value = (raw || "").trim().toLowerCase();
  return allowed.includes(value) ? value : fallback;
}

// The stylesheet's default stack, behind a chosen font that is missing a glyph or not installed.
export const FONT_FALLBACK =
  'system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';

// What every graphics page reads the same way: bg, fg, accent, font, margin, duration, badge.
export function readLook(search, { duration = 400 } = {}) {
  const params = new URLSearchParams(search);
  const get = (name) => params.get(name);
  return {
    bg: parseColour(get("bg")),
    fg: parseColour(get("fg")),
    accent: parseColour(get("accent")),
    font: parseFont(get("font")),
    margin: parseLength(get("margin"), { px: [0, 300], pc: [0, 20] }),
    duration: parseNumber(get("duration"), 0, 3000) ?? duration,
    badge: !["0", "false", "no", "off"].includes((get("badge") || "").trim().toLowerCase()),
  };
}
