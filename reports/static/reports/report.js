// The session report: prints on request and, while the session is live, refreshes itself.

// Every 30 seconds (the page's "report-config" data block says how often) the page is fetched
// again, parsed with DOMParser and its figures section swapped in: the server draws every
// figure, so the text from the audience in it arrives already escaped and is never built here.
// The plots are reloaded with a cache-busting query. Once the session has ended the refresh
// stops.

const config = JSON.parse(document.getElementById("report-config").textContent);

document.getElementById("report-print")?.addEventListener("click", () => window.print());

let timer = null;
let busy = false;

function bust(img) {
  const url = new URL(img.getAttribute("src"), window.location.href);
  url.searchParams.set("t", String(Date.now()));
  img.src = url.pathname + url.search;
}

function swap(id, fresh) {
  const current = document.getElementById(id);
  const next = fresh.getElementById(id);
  if (current && next) current.replaceWith(document.adoptNode(next));
  else if (current && !next) current.remove();
  return next;
}

async function refresh() {
  if (busy || document.hidden) return;
  busy = true;
  try {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    });
    // A lost login or a removed session: keep what is shown, try again next time.
    if (!response.ok || response.redirected) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    if (!fresh.getElementById("report-figures")) return;
    swap("report-figures", fresh);
    swap("report-updated", fresh);
    swap("report-status", fresh);
    swap("report-live", fresh);
    for (const img of document.querySelectorAll("#report-figures img[data-plot]")) bust(img);
    const next = JSON.parse(fresh.getElementById("report-config")?.textContent || "{}");
    if (!next.live) stop();
  } catch {
    // Offline for a moment: the next tick tries again.
  } finally {
    busy = false;
  }
}

function stop() {
  if (timer !== null) window.clearInterval(timer);
  timer = null;
}

if (config.live) {
  timer = window.setInterval(refresh, (config.refresh_seconds || 30) * 1000);
  // Back on a hidden tab: catch up at once rather than at the next tick.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && timer !== null) refresh();
  });
}
