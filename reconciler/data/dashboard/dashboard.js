// platformctl dashboard: live updates of a page's live part and the filter box. No dependencies.
// The live part is fetched from the daemon (same origin, CSP connect-src 'self') every few seconds,
// parsed inertly with DOMParser (scripts in it never run) and swapped in; open <details> stay open.
"use strict";

(function () {
  const EVERY_MS = 3000;
  const live = document.getElementById("live");
  const filter = document.getElementById("filter");
  const state = document.getElementById("live-state");
  if (!live) {
    return;
  }
  let etag = null;

  function applyFilter() {
    const words = (filter ? filter.value : "").toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of live.querySelectorAll("[data-filter]")) {
      const text = row.getAttribute("data-filter") || "";
      row.hidden = !words.every((word) => text.includes(word));
    }
    for (const group of live.querySelectorAll(".env")) {
      const tiles = Array.from(group.querySelectorAll("[data-filter]"));
      group.hidden = tiles.length > 0 && tiles.every((tile) => tile.hidden);
    }
  }

  function openDetails() {
    const open = new Set();
    for (const item of live.querySelectorAll("details[open][data-key]")) {
      open.add(item.getAttribute("data-key"));
    }
    return open;
  }

  function setState(text, bad) {
    if (state) {
      state.textContent = text;
      state.classList.toggle("stale", Boolean(bad));
    }
  }

  async function refresh() {
    const url = live.getAttribute("data-live");
    const headers = etag ? { "If-None-Match": etag } : {};
    try {
      const answer = await fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" });
      if (answer.status === 304) {
        setState("live · " + new Date().toLocaleTimeString(), false);
        return;
      }
      if (!answer.ok && answer.status !== 404) {
        setState("update failed (" + answer.status + ")", true);
        return;
      }
      etag = answer.headers.get("ETag");
      const text = await answer.text();
      const parsed = new DOMParser().parseFromString("<main>" + text + "</main>", "text/html");
      const fresh = parsed.querySelector("main");
      const open = openDetails();
      for (const item of fresh.querySelectorAll("details[data-key]")) {
        if (open.has(item.getAttribute("data-key"))) {
          item.setAttribute("open", "");
        }
      }
      live.replaceChildren(...Array.from(fresh.childNodes));
      applyFilter();
      setState("live · " + new Date().toLocaleTimeString(), false);
    } catch (error) {
      setState("daemon unreachable", true);
    }
  }

  if (filter) {
    filter.addEventListener("input", () => {
      applyFilter();
      const url = new URL(window.location.href);
      if (filter.value) {
        url.searchParams.set("q", filter.value);
      } else {
        url.searchParams.delete("q");
      }
      window.history.replaceState(null, "", url.toString());
    });
  }
  applyFilter();
  window.setInterval(refresh, EVERY_MS);
})();
