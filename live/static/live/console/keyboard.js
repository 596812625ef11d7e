// The toolbar's filters, the queue selection and the keyboard shortcuts with their "?" help.

import { Status } from "../realtime.js";
import { onAction, openReject, showError } from "./actions.js";
import { draw, invalidate } from "./board.js";
import { cards } from "./cards.js";
import { dom } from "./dom.js";
import { can, state, ui } from "./state.js";
import { fold, t } from "./text.js";

dom.guestFilter.addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-guest]");
  if (!button) return;
  setGuestFilter(button.dataset.guest === "" ? null : Number(button.dataset.guest));
});

function setGuestFilter(id) {
  ui.guest = id;
  invalidate();
}

dom.search.addEventListener("input", () => {
  ui.search = fold(dom.search.value.trim());
  invalidate();
});

dom.holdOrder.addEventListener("change", () => setHoldOrder(dom.holdOrder.checked));

function setHoldOrder(on) {
  ui.holdOrder = on;
  dom.holdOrder.checked = on;
  document.body.classList.toggle("order-held", on);
  invalidate();
}

dom.showShortcuts.addEventListener("click", () => dom.shortcuts.showModal());

export function select(id) {
  ui.selected = id;
  invalidate();
}

function visibleQueueIds() {
  return [...dom.queueList.children].map((node) => Number(node.dataset.questionId));
}

function moveSelection(step) {
  const ids = visibleQueueIds();
  if (!ids.length) return;
  const index = ids.indexOf(ui.selected);
  const next = index === -1 ? 0 : Math.max(0, Math.min(ids.length - 1, index + step));
  ui.selected = ids[next];
  ui.selectedIndex = next;
  draw();
  cards.get(ui.selected)?.el.scrollIntoView({ block: "nearest" });
}

function clickIfPresent(control) {
  if (control && !control.disabled) onAction(control);
  else if (control && ui.status !== Status.LIVE) showError(t("not_live_no_send"));
}

function firstPending() {
  const first = dom.moderationList?.firstElementChild;
  return first ? Number(first.dataset.questionId) : null;
}

// Desktop shortcuts; never while typing in a field.
document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
  const target = ev.target;
  if (target.closest("input, textarea, select, [contenteditable='true']")) {
    if (target === dom.search && ev.key === "Escape") {
      dom.search.value = "";
      ui.search = "";
      dom.search.blur();
      invalidate();
    }
    return;
  }
  if (dom.shortcuts.open) return;
  const selected = ui.selected === null ? null : cards.get(ui.selected);
  switch (ev.key) {
    case "j":
    case "ArrowDown":
      moveSelection(1);
      break;
    case "k":
    case "ArrowUp":
      moveSelection(-1);
      break;
    case "t":
      clickIfPresent(selected?.refs.take);
      break;
    case "s":
      clickIfPresent(selected?.refs.starButton);
      break;
    case "c":
      clickIfPresent(document.querySelector("#on-air-clear"));
      break;
    case "a":
      clickIfPresent(dom.onAirAnswered);
      break;
    case "q":
      clickIfPresent(selected?.refs.cue);
      break;
    case "n":
      clickIfPresent(dom.takeNext);
      break;
    case "L":
      clickIfPresent(dom.airLock);
      break;
    case "U":
      clickIfPresent(dom.airUnlock);
      break;
    case "r":
      if (dom.backstageBanner && !dom.backstageBanner.hidden) clickIfPresent(dom.backstageRead);
      break;
    case "b":
      if (!dom.backstageInput) return;
      dom.backstageInput.focus();
      break;
    case "h":
      setHoldOrder(!ui.holdOrder);
      break;
    case "/":
      dom.search.focus();
      break;
    case "?":
      dom.shortcuts.showModal();
      break;
    case "A": {
      const id = firstPending();
      if (id !== null) clickIfPresent(cards.get(id)?.refs.approve);
      break;
    }
    case "R": {
      const id = firstPending();
      if (id !== null && can("moderate")) openReject(id);
      break;
    }
    case "Escape":
      dom.noticeError.hidden = true;
      dom.noticeInfo.hidden = true;
      break;
    default:
      if (/^[0-9]$/.test(ev.key)) {
        const n = Number(ev.key);
        if (n === 0) setGuestFilter(null);
        else if (state.guests[n - 1]) setGuestFilter(state.guests[n - 1].id);
        break;
      }
      return;
  }
  ev.preventDefault();
});
