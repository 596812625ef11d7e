// The host console's entry (moderation, the ranked queue, on air): wires the stream to console/.

// State comes from the crew stream (docs/realtime.md): a snapshot replaces all of it, events
// update it. Changes are drawn in the next animation frame; each question keeps one DOM node,
// reused and updated in place, so a vote moves a card instead of rebuilding the column.
// Text from the audience and the crew (questions, names, titles) reaches the page only through
// textContent.

import { LiveStream, socketUrl } from "./realtime.js";
import { onServerError, onStatus, useStream } from "./console/actions.js";
import { invalidate } from "./console/board.js";
import "./console/keyboard.js";
import { applyEvent, applySnapshot, ui } from "./console/state.js";
import { config } from "./console/text.js";
import { startTrending } from "./console/trending.js";

const DECAY_REFRESH_MS = 10_000; // scores decay with time: rank again even without events

const stream = new LiveStream(socketUrl(config.socket), {
  snapshot: applySnapshot,
  event: applyEvent,
  status: onStatus,
  error: onServerError,
});
useStream(stream);

window.setInterval(() => {
  if (!ui.holdOrder) invalidate();
}, DECAY_REFRESH_MS);

stream.start();
startTrending();
