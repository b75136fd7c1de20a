// Ask and Search tabs (rag pillar): POST /ask (answer with citations), POST /search (scored hits).
"use strict";
(function () {
  const P = window.Playground;
  const el = P.el;

  function citation(item) {
    const where = item.source + (item.section ? " \u00a7 " + item.section : "");
    return el("details", { "data-chunk": item.chunk_id },
      el("summary", { text: "[" + item.ref + "] " + (item.title || item.source) }),
      el("p", { class: "meta", text: "Source: " + where + " \u00b7 chunk " + item.chunk_id }),
      el("div", { class: "out", text: item.text || "(chunk text not returned)" }));
  }

  P.register({
    id: "ask", title: "Ask", heading: "Ask the documents (answers cite their chunks)",
    render(panel) {
      const question = el("input", { id: "ask-question", type: "text" });
      const answer = el("div", { id: "ask-answer", class: "out", "aria-live": "polite" });
      const cites = el("div", { id: "ask-citations" });
      const note = el("p", { id: "ask-status", class: "meta", "aria-live": "polite" });
      async function ask(event) {
        event.preventDefault();
        P.status(note, "Asking ...", "meta");
        answer.textContent = ""; cites.replaceChildren();
        try {
          const { body, requestId } = await P.api("/ask", { json: { question: question.value } });
          answer.textContent = body.answer;
          cites.replaceChildren(el("h3", { text: "Citations (" + body.citations.length + ")" }),
            ...body.citations.map(citation));
          P.status(note, body.mode + (body.abstained ? " (abstained: " + body.reason + ")" : "") +
            " \u00b7 request " + requestId, "ok");
          note.append(" ", P.traceButton({ request_id: requestId }));
        } catch (error) { P.status(note, error.message, "error"); }
      }
      panel.append(
        el("form", { class: "row", onsubmit: ask },
          el("div", { class: "field" }, el("label", { for: "ask-question", text: "Question" }), question),
          el("button", { type: "submit", text: "Ask" })),
        note, answer, cites);
    },
  });

  P.register({
    id: "search", title: "Search", heading: "Search the index (scores, filters, mode)",
    render(panel) {
      const query = el("input", { id: "search-query", type: "text" });
      const k = el("input", { id: "search-k", type: "number", min: "1", max: "50", value: "5" });
      const mode = el("select", { id: "search-mode" },
        ...["hybrid", "vector", "text"].map((m) => el("option", { value: m, text: m })));
      const source = el("input", { id: "search-source", type: "text", placeholder: "any" });
      const kind = el("input", { id: "search-kind", type: "text", placeholder: "any" });
      const rows = el("tbody", { id: "search-hits" });
      const note = el("p", { id: "search-status", class: "meta", "aria-live": "polite" });
      async function search(event) {
        event.preventDefault();
        const filters = {};
        if (source.value.trim()) filters.source = source.value.trim();
        if (kind.value.trim()) filters.kind = kind.value.trim();
        const json = { query: query.value, k: Number(k.value) || 5, mode: mode.value };
        if (Object.keys(filters).length) json.filters = filters;
        P.status(note, "Searching ...", "meta");
        rows.replaceChildren();
        try {
          const { body, requestId } = await P.api("/search", { json: json });
          rows.replaceChildren(...body.hits.map((hit, i) => el("tr", {},
            el("td", { text: String(i + 1) }), el("td", { text: hit.score.toFixed(4) }),
            el("td", {}, el("strong", { text: hit.title }), el("div", { class: "meta", text: hit.source + " \u00a7 " + hit.section })),
            el("td", { text: hit.text.length > 240 ? hit.text.slice(0, 240) + "\u2026" : hit.text }))));
          P.status(note, body.hits.length + " hit(s), mode " + mode.value + " \u00b7 request " + requestId, "ok");
          note.append(" ", P.traceButton({ request_id: requestId }));
        } catch (error) { P.status(note, error.message, "error"); }
      }
      panel.append(
        el("form", { class: "row", onsubmit: search },
          el("div", { class: "field" }, el("label", { for: "search-query", text: "Query" }), query),
          el("div", { class: "field narrow" }, el("label", { for: "search-k", text: "k" }), k),
          el("div", { class: "field narrow" }, el("label", { for: "search-mode", text: "Mode" }), mode),
          el("div", { class: "field narrow" }, el("label", { for: "search-source", text: "Source filter" }), source),
          el("div", { class: "field narrow" }, el("label", { for: "search-kind", text: "Kind filter" }), kind),
          el("button", { type: "submit", text: "Search" })),
        note,
        el("div", { class: "table-wrap" }, el("table", {},
          el("caption", { class: "meta", text: "Hits, best first" }),
          el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "#" }), el("th", { scope: "col", text: "Score" }),
            el("th", { scope: "col", text: "Chunk" }), el("th", { scope: "col", text: "Text" }))),
          rows)));
    },
  });
})();
