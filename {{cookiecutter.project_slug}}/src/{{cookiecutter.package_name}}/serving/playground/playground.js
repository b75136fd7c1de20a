// The playground's core: the API key (kept in this tab's memory only), the tabs, and helpers the
// tab files use. Every request goes to this page's own origin.
"use strict";
(function () {
  let apiKey = "";
  const tabs = [];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function headers(extra) {
    const sent = Object.assign({ "content-type": "application/json" }, extra || {});
    if (apiKey) sent.authorization = "Bearer " + apiKey;
    return sent;
  }

  function describe(status, body) {
    const reason = body && (body.error && (body.error.message || body.error)) || body && body.detail;
    const text = typeof reason === "string" ? reason : JSON.stringify(reason || body || "");
    if (status === 401) return "401: enter an API key above (" + text + ")";
    if (status === 403) return "403: " + text;
    return status + ": " + text;
  }

  // JSON request to this origin; resolves to {status, body, requestId}; throws Error(reason) on 4xx/5xx.
  async function api(path, options) {
    const init = Object.assign({ method: "GET" }, options || {});
    init.headers = headers(init.headers);
    if (init.json !== undefined) { init.body = JSON.stringify(init.json); init.method = init.method === "GET" ? "POST" : init.method; }
    delete init.json;
    const response = await fetch(path, init);
    const requestId = response.headers.get("x-request-id");
    let body = null;
    const text = await response.text();
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = text; }
    if (!response.ok) {
      const error = new Error(describe(response.status, body));
      error.status = response.status; error.requestId = requestId;
      throw error;
    }
    return { status: response.status, body: body, requestId: requestId };
  }

  // Server-sent events over fetch (EventSource cannot send the key): onData(string) per `data:` line.
  async function stream(path, options, onData) {
    const init = Object.assign({ method: "GET" }, options || {});
    init.headers = headers(init.headers);
    if (init.json !== undefined) { init.body = JSON.stringify(init.json); init.method = "POST"; }
    delete init.json;
    const response = await fetch(path, init);
    const requestId = response.headers.get("x-request-id");
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (_) { body = null; }
      const error = new Error(describe(response.status, body));
      error.status = response.status; error.requestId = requestId;
      throw error;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, cut).replace(/\r$/, "");
        buffer = buffer.slice(cut + 1);
        if (line.startsWith("data:")) onData(line.slice(5).trim());
      }
    }
    return { requestId: requestId };
  }

  function select(id, focus) {
    for (const tab of tabs) {
      const chosen = tab.id === id;
      tab.button.setAttribute("aria-selected", String(chosen));
      tab.button.tabIndex = chosen ? 0 : -1;
      tab.panel.hidden = !chosen;
      if (chosen && focus) tab.button.focus();
      if (chosen && tab.onShow) tab.onShow();
    }
  }

  // Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
  function onTabKey(event) {
    const index = tabs.findIndex((tab) => tab.button === event.target);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = (moves[event.key] + tabs.length) % tabs.length;
    select(tabs[next].id, true);
  }

  // A button that opens the trace view for a request id or an agent run id.
  function traceButton(query) {
    return el("button", { type: "button", class: "secondary", text: "Show trace",
      onclick: () => { select("traces", true); window.Playground.showTrace(query); } });
  }

  function status(node, message, kind) {
    node.textContent = message;
    node.className = kind || "meta";
  }

  function register(tab) { tabs.push(tab); }

  function build() {
    const keyInput = document.getElementById("api-key");
    keyInput.addEventListener("input", () => { apiKey = keyInput.value.trim(); });
    document.getElementById("key-form").addEventListener("submit", (event) => event.preventDefault());
    const list = document.getElementById("tablist");
    const panels = document.getElementById("panels");
    for (const tab of tabs) {
      tab.button = el("button", { type: "button", role: "tab", id: "tab-" + tab.id,
        "aria-controls": "panel-" + tab.id, text: tab.title, onclick: () => select(tab.id, false),
        onkeydown: onTabKey });
      tab.panel = el("section", { role: "tabpanel", id: "panel-" + tab.id,
        "aria-labelledby": "tab-" + tab.id, tabindex: "0" });
      tab.panel.append(el("h2", { text: tab.heading || tab.title }));
      tab.render(tab.panel);
      list.append(tab.button);
      panels.append(tab.panel);
    }
    const wanted = location.hash.slice(1);
    select(tabs.some((tab) => tab.id === wanted) ? wanted : tabs[0].id, false);
  }

  window.Playground = { el: el, api: api, stream: stream, register: register, status: status,
    traceButton: traceButton, select: select, showTrace: () => {} };
  document.addEventListener("DOMContentLoaded", build);
})();
