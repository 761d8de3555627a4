// servedir --live: reload this page when a file it loaded changes; swap a changed
// stylesheet in place (scroll and form state survive). Served from /.servedir/live.js.
(() => {
  "use strict";
  const me = document.currentScript;
  // The request head bounds the report (8 KiB by default): paths past this are not sent,
  // so not watched. The page's own file and stylesheets go first.
  const MAX_QUERY = 6000;
  // When servedir served this script (its clock, ms): a file saved after it and before
  // the stream opens is reported at once.
  const SINCE = "SERVEDIR_SINCE";
  const norm = (p) => { try { return decodeURIComponent(p); } catch (e) { return p; } };

  function loaded() {
    const seen = new Set();
    const add = (href) => {
      try {
        const u = new URL(href, location.href);
        if (u.origin !== location.origin || u.pathname.startsWith("/.servedir/")) return;
        seen.add(u.pathname);
      } catch (e) { /* not a URL */ }
    };
    if (me && me.dataset.page) add(me.dataset.page);
    add(location.href);
    for (const l of document.querySelectorAll('link[rel~="stylesheet"]')) add(l.href);
    for (const e of performance.getEntriesByType("resource")) add(e.name);
    return [...seen];
  }

  function streamUrl() {
    let query = "?t=" + SINCE;
    for (const path of loaded()) {
      const part = "&p=" + encodeURIComponent(path);
      if (query.length + part.length > MAX_QUERY) break;
      query += part;
    }
    return "/.servedir/live" + query;
  }

  // Swaps each changed stylesheet for a fresh copy; false when one is not a <link>
  // of this page (an @import, say): then only a reload shows the change.
  function swap(paths) {
    const links = [...document.querySelectorAll('link[rel~="stylesheet"]')];
    return paths.map(norm).every((path) => {
      const mine = links.filter((l) => {
        const u = new URL(l.href, location.href);
        return u.origin === location.origin && norm(u.pathname) === path;
      });
      for (const link of mine) {
        const fresh = link.cloneNode();
        const u = new URL(link.href, location.href);
        u.searchParams.set("servedir-live", Date.now());
        fresh.href = u.href;
        // The old sheet stays until the new one applies: no flash of unstyled page.
        fresh.onload = fresh.onerror = () => link.remove();
        link.after(fresh);
      }
      return mine.length > 0;
    });
  }

  let opened = false;
  function connect() {
    const events = new EventSource(streamUrl());
    // EventSource reconnects by itself; a reconnection means servedir restarted (or the
    // network dropped), and what changed meanwhile is unknown: reload once.
    events.onopen = () => {
      if (opened) location.reload();
      opened = true;
    };
    events.addEventListener("reload", () => location.reload());
    events.addEventListener("css", (e) => {
      if (!swap(e.data.split(" ").filter(Boolean))) location.reload();
    });
  }
  // After load, so that every resource the page fetched is in the report.
  if (document.readyState === "complete") connect();
  else addEventListener("load", connect);
})();
