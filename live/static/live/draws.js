// The producers' draws page: define a draw, watch its entries, draw, announce a winner.
// Everything from the audience reaches the DOM through textContent only.

const config = JSON.parse(document.getElementById("draws-config").textContent);
const strings = JSON.parse(document.getElementById("draws-strings").textContent);
const list = document.getElementById("draws");
const form = document.getElementById("draw-form");
const formMessage = document.getElementById("draw-form-message");
const updated = document.getElementById("draws-updated");
const timeFormat = new Intl.DateTimeFormat(config.language, { dateStyle: "short", timeStyle: "short", hourCycle: "h23" });
const clockFormat = new Intl.DateTimeFormat(config.language, { timeStyle: "medium", hourCycle: "h23" });

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

async function api(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    ...options,
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : String(response.status);
    throw new Error(message);
  }
  return body;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function when(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "";
}

function drawUrl(id, tail = "") {
  return config.draw_url.replace(/0\/$/, `${id}/`) + tail;
}

// Which draw cards the producer opened, so a refresh keeps them open.
const open = new Set();
const messages = new Map();

function entryRow(draw, entry, withActions = true) {
  const row = el("li", entry.winner_rank ? "entry winner" : "entry");
  const head = el("div", "entry-head");
  if (entry.winner_rank) head.append(el("span", "chip rank", fill(strings.rank, { rank: entry.winner_rank })));
  head.append(el("strong", "entry-name", entry.name || entry.author_ref));
  head.append(el("span", "chip source", strings[`source_${entry.source}`] || entry.source));
  head.append(el("span", "muted entry-time", when(entry.entered_at)));
  row.append(head);
  row.append(el("p", "entry-text", entry.text));
  if (entry.winner_rank && withActions) {
    if (entry.announcement) {
      const status = strings[`status_${entry.announcement.status}`] || entry.announcement.status;
      row.append(el("p", "announced", fill(strings.announced, { id: entry.announcement.question, status })));
    } else {
      const button = el("button", "button success announce", strings.announce);
      button.type = "button";
      button.addEventListener("click", () => act(draw, "announce/", { entry: entry.id }, button));
      row.append(button);
    }
  }
  return row;
}

async function act(draw, tail, body, button) {
  button.disabled = true;
  try {
    await api(drawUrl(draw.id, tail), { method: "POST", body: JSON.stringify(body) });
    messages.delete(draw.id);
  } catch (error) {
    messages.set(draw.id, fill(strings.error, { message: error.message }));
  }
  await refresh();
}

function drawCard(draw) {
  const card = el("article", `draw-card status-${draw.status}`);
  card.dataset.draw = draw.id;
  const head = el("header", "draw-head");
  head.append(el("h3", "draw-title", draw.title));
  head.append(el("span", `chip draw-status`, strings[`status_${draw.status}`]));
  card.append(head);
  const facts = el("p", "draw-facts");
  facts.append(el("span", "keyword", `${strings.keyword}: ${draw.keyword}`));
  facts.append(el("span", null, fill(strings.window, { start: when(draw.starts_at), end: when(draw.ends_at) })));
  const sources = draw.sources.length
    ? draw.sources.map((s) => strings[`source_${s}`] || s).join(", ")
    : strings.all_sources;
  facts.append(el("span", null, sources));
  facts.append(el("span", null, `${strings.winners}: ${draw.winners_count}`));
  card.append(facts);

  const actions = el("div", "draw-actions");
  if (draw.status === "open") {
    const button = el("button", "button primary big draw-button", strings.draw);
    button.type = "button";
    button.addEventListener("click", () => {
      if (window.confirm(strings.confirm_draw)) act(draw, "draw/", {}, button);
    });
    actions.append(button);
  }
  const exportLink = el("a", "button quiet", strings.export);
  exportLink.href = drawUrl(draw.id, "entrants.csv");
  actions.append(exportLink);
  card.append(actions);
  if (messages.has(draw.id)) card.append(el("p", "form-error draw-message", messages.get(draw.id)));

  if (draw.seed) {
    const seed = el("p", "draw-seed");
    seed.append(el("span", null, `${strings.seed}: `));
    seed.append(el("code", "seed", draw.seed));
    card.append(seed);
    card.append(el("p", "muted", fill(strings.drawn_by, { name: draw.drawn_by || "", time: when(draw.drawn_at) })));
    card.append(el("p", draw.verified ? "verified" : "form-error", draw.verified ? strings.verified : strings.not_verified));
  }
  const entries = draw.entries || [];
  if (draw.winners && draw.winners.length) {
    card.append(el("h4", null, strings.winners));
    const winners = el("ol", "entries winners");
    for (const entry of draw.winners) winners.append(entryRow(draw, entry));
    card.append(winners);
  }
  const details = el("details", "draw-entries");
  details.open = open.has(draw.id) || draw.status === "open";
  details.addEventListener("toggle", () => (details.open ? open.add(draw.id) : open.delete(draw.id)));
  details.append(el("summary", null, `${strings.entries} (${entries.length})`));
  if (!entries.length) details.append(el("p", "empty", strings.no_entries));
  const ul = el("ul", "entries");
  for (const entry of entries) ul.append(entryRow(draw, entry, false));
  details.append(ul);
  card.append(details);
  return card;
}

async function refresh() {
  try {
    const { results } = await api(config.list_url);
    const draws = await Promise.all(results.slice().reverse().map((d) => api(drawUrl(d.id))));
    list.replaceChildren(...draws.map(drawCard));
    if (!draws.length) list.append(el("p", "empty", strings.no_draws));
    updated.textContent = fill(strings.updated, { time: clockFormat.format(new Date()) });
  } catch (error) {
    updated.textContent = fill(strings.error, { message: error.message });
  }
}

// The window's default, from now to an hour later, on this browser's clock: the fields are in
// the producer's local time, whatever the server's time zone.
function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
const opening = new Date();
form.elements.starts_at.value = localInput(opening);
form.elements.ends_at.value = localInput(new Date(opening.getTime() + 3600 * 1000));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const local = (name) => {
    const value = data.get(name);
    return value ? new Date(value).toISOString() : null;
  };
  const body = {
    title: data.get("title"),
    keyword: data.get("keyword"),
    starts_at: local("starts_at"),
    ends_at: local("ends_at"),
    winners_count: Number(data.get("winners_count")),
    sources: data.getAll("sources"),
  };
  formMessage.className = "form-message";
  try {
    await api(config.list_url, { method: "POST", body: JSON.stringify(body) });
    formMessage.textContent = strings.created;
    form.elements.title.value = "";
    await refresh();
  } catch (error) {
    formMessage.className = "form-message form-error";
    formMessage.textContent = fill(strings.error, { message: error.message });
  }
});

refresh();
setInterval(refresh, config.refresh_seconds * 1000);
