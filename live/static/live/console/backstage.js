// Backstage messages: the producer's composer with read receipts, the host's banner until "Read".
// Message text reaches the page through textContent only.

import { dom } from "./dom.js";
import { config, el, formatTime, setText, t } from "./text.js";
import { state } from "./state.js";

const SENT_SHOWN = 5;
const MAX_LENGTH = config.backstage_max_length ?? 140;

function byTime(a, b) {
  return Date.parse(a.sent_at) - Date.parse(b.sent_at) || a.id - b.id;
}

// The message the host's banner shows: the oldest unread one someone else sent.
export function bannerMessage() {
  if (!dom.backstageBanner) return null;
  const unread = [...state.backstage.values()]
    .filter((m) => !m.read_at && m.sender !== config.username)
    .sort(byTime);
  return { first: unread[0] ?? null, more: Math.max(0, unread.length - 1) };
}

export function drawBackstage() {
  drawBanner();
  drawSent();
}

function drawBanner() {
  const shown = bannerMessage();
  if (!shown) return;
  const { first, more } = shown;
  dom.backstageBanner.hidden = !first;
  document.body.classList.toggle("backstage-unread", Boolean(first));
  dom.backstageRead.dataset.message = first ? String(first.id) : "";
  if (!first) return;
  setText(dom.backstageText, first.text);
  const meta = [t("backstage_from", { sender: first.sender, time: formatTime(first.sent_at) })];
  if (more) meta.push(t("backstage_more", { n: more }));
  setText(dom.backstageMeta, meta.join(" · "));
}

function drawSent() {
  if (!dom.backstageSent) return;
  const recent = [...state.backstage.values()].sort(byTime).slice(-SENT_SHOWN).reverse();
  const key = JSON.stringify(recent.map((m) => [m.id, m.read_at]));
  if (dom.backstageSent.dataset.key === key) return;
  dom.backstageSent.dataset.key = key;
  dom.backstageSent.replaceChildren(
    ...recent.map((m) => {
      const item = el("li", m.read_at ? "is-read" : "is-unread");
      item.dataset.messageId = String(m.id);
      item.append(el("p", "backstage-sent-text", m.text));
      const sent = t("backstage_sent_at", { time: formatTime(m.sent_at) });
      const receipt = m.read_at
        ? t("backstage_read_at", { time: formatTime(m.read_at), reader: m.read_by ?? "" })
        : t("backstage_unread");
      const meta = el("p", "backstage-receipt small");
      meta.append(el("span", "", `${m.sender} · ${sent} · `), el("strong", "", receipt));
      item.append(meta);
      return item;
    }),
  );
}

function drawCount() {
  if (!dom.backstageInput) return;
  const left = MAX_LENGTH - dom.backstageInput.value.length;
  setText(dom.backstageCount, t("backstage_left", { n: left }));
  dom.backstageCount.classList.toggle("warn", left < 20);
}

export function wireComposer(send) {
  if (!dom.backstageForm) return;
  drawCount();
  dom.backstageInput.addEventListener("input", drawCount);
  dom.backstageForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = dom.backstageInput.value;
    if (await send("backstage_send", { text })) {
      if (dom.backstageInput.value === text) dom.backstageInput.value = "";
      drawCount();
    }
  });
}
