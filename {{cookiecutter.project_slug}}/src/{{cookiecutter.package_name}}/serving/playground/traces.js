// The trace view: the spans one request or agent run recorded (GET /traces), as a timeline.
"use strict";
(function () {
  const P = window.Playground;
  const el = P.el;
  // Every attribute but the ids the lookup already used.
  const HIDDEN = ["request.id", "agent.run_id"];
  let view;
  let note;
  let recent;

  function attributes(span) {
    const parts = [];
    for (const [key, value] of Object.entries(span.attributes)) {
      if (HIDDEN.includes(key)) continue;
      const shown = typeof value === "number" && !Number.isInteger(value) ? Number(value.toPrecision(6)) : value;
      parts.push(key + "=" + JSON.stringify(shown));
    }
    return parts.join("  ");
  }

  function depthOf(span, byId) {
    let depth = 0;
    let parent = byId[span.parent_id];
    while (parent && depth < 20) { depth += 1; parent = byId[parent.parent_id]; }
    return depth;
  }

  // Positioned through the CSSOM: the page's CSP allows no inline style attribute.
  function bar(left, width) {
    const node = el("div", { class: "bar" });
    node.style.left = left.toFixed(2) + "%";
    node.style.width = width.toFixed(2) + "%";
    return node;
  }

  function hasUsage(span) {
    return span && ("gen_ai.usage.input_tokens" in span.attributes || "llm.cost_usd" in span.attributes);
  }

  // Tokens and cost of a span unless an enclosing span already counts them (llm.* wraps the
  // model library's own span with the same usage).
  function counted(span, byId) {
    if (!hasUsage(span)) return false;
    for (let parent = byId[span.parent_id], i = 0; parent && i < 20; parent = byId[parent.parent_id], i += 1) {
      if (hasUsage(parent)) return false;
    }
    return true;
  }

  function draw(spans) {
    view.replaceChildren();
    if (!spans.length) { P.status(note, "No spans for this id (yet): the store keeps recent spans only.", "meta"); return; }
    const start = Math.min(...spans.map((s) => s.start_ms));
    const end = Math.max(...spans.map((s) => s.start_ms + s.duration_ms));
    const total = Math.max(end - start, 0.001);
    const byId = Object.fromEntries(spans.map((s) => [s.span_id, s]));
    let tokens = 0; let cost = 0;
    for (const span of spans) {
      if (counted(span, byId)) {
        tokens += (span.attributes["gen_ai.usage.input_tokens"] || 0) + (span.attributes["gen_ai.usage.output_tokens"] || 0);
        cost += span.attributes["llm.cost_usd"] || 0;
      }
      const left = ((span.start_ms - start) / total) * 100;
      const width = (span.duration_ms / total) * 100;
      const indent = "\u2003".repeat(depthOf(span, byId));
      const label = indent + span.name + " \u00b7 " + span.duration_ms.toFixed(1) + " ms" +
        (span.status === "error" ? " \u00b7 error" : "");
      view.append(el("li", { "data-span": span.name },
        el("span", { class: "span-name", text: label }),
        el("div", { class: "bar-track", role: "img", "aria-label": span.name + " from " +
          (span.start_ms - start).toFixed(1) + " ms for " + span.duration_ms.toFixed(1) + " ms" },
          bar(left, width)),
        el("div", { class: "attrs", text: attributes(span) })));
    }
    P.status(note, spans.length + " spans over " + total.toFixed(1) + " ms; " + tokens +
      " tokens; cost $" + cost.toFixed(6), "ok");
  }

  async function show(query) {
    const params = new URLSearchParams(query);
    P.status(note, "Loading spans for " + params.toString() + " ...", "meta");
    try {
      const { body } = await P.api("/traces/?" + params.toString());
      draw(body.spans);
    } catch (error) { P.status(note, error.message, "error"); }
  }

  async function list() {
    try {
      const { body } = await P.api("/traces/");
      recent.replaceChildren(...body.traces.map((t) => el("li", {},
        el("button", { type: "button", class: "secondary", text: t.name + " (" + t.spans + " spans, " +
          t.duration_ms.toFixed(1) + " ms)", onclick: () => show(t.run_id ? { run_id: t.run_id } : { request_id: t.request_id || "" }) }))));
      if (!body.traces.length) recent.append(el("li", { class: "meta", text: "No traces recorded yet." }));
    } catch (error) { P.status(note, error.message, "error"); }
  }

  P.register({
    id: "traces", title: "Traces", heading: "Trace of a request",
    render(panel) {

      const runs = document.body.dataset.tabs.split(" ").includes("agents");
      const input = el("input", { id: "trace-id", placeholder: runs ? "x-request-id or run id" : "x-request-id" });
      const kind = el("select", { id: "trace-kind" }, el("option", { value: "request_id", text: "request id" }),
        runs ? el("option", { value: "run_id", text: "agent run id" }) : null);
      panel.append(
        el("p", { class: "meta", text: "The spans this service recorded, with their timings and attributes (only the most recent are kept). Each tab's \u201cShow trace\u201d opens its request here." }),
        el("form", { class: "row", onsubmit: (e) => { e.preventDefault(); show({ [kind.value]: input.value.trim() }); } },
          el("div", { class: "field narrow" }, el("label", { for: "trace-kind", text: "Find by" }), kind),
          el("div", { class: "field" }, el("label", { for: "trace-id", text: "Id" }), input),
          el("button", { type: "submit", text: "Show" }),
          el("button", { type: "button", class: "secondary", text: "Recent traces", onclick: list })),
        note = el("p", { id: "trace-status", class: "meta", "aria-live": "polite" }),
        view = el("ol", { id: "trace-timeline", class: "timeline", "aria-label": "Spans, by start time" }),
        el("h3", { text: "Recent" }),
        recent = el("ul", { id: "trace-recent" }));
    },
  });
  P.showTrace = (query) => {
    const key = Object.keys(query)[0];
    document.getElementById("trace-kind").value = key;
    document.getElementById("trace-id").value = query[key];
    show(query);
  };
})();
