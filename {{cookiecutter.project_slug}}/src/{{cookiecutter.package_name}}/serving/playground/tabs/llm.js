// Chat tab (llm pillar): POST /v1/chat/completions with streaming; models from GET /v1/models.
"use strict";
(function () {
  const P = window.Playground;
  const el = P.el;
  const history = [];
  let models; let log; let note; let input; let send;

  async function loadModels() {
    try {
      const { body } = await P.api("/v1/models");
      models.replaceChildren(...body.data.map((m) => el("option", { value: m.id, text: m.id })));
      P.status(note, body.data.length + " model(s) served.", "meta");
    } catch (error) { P.status(note, error.message, "error"); }
  }

  function bubble(role, text) {
    const body = el("div", { class: "out", text: text });
    log.append(el("li", { "data-role": role }, el("strong", { text: role === "user" ? "You" : "Assistant" }), body));
    return body;
  }

  async function chat(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (!models.value) await loadModels();
    history.push({ role: "user", content: text });
    bubble("user", text);
    input.value = "";
    const answer = bubble("assistant", "");
    answer.setAttribute("aria-busy", "true");
    send.disabled = true;
    P.status(note, "Streaming ...", "meta");
    let reply = "";
    try {
      const { requestId } = await P.stream("/v1/chat/completions",
        { json: { model: models.value, messages: history, stream: true } }, (data) => {
          if (data === "[DONE]") return;
          const chunk = JSON.parse(data);
          const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
          if (delta && delta.content) { reply += delta.content; answer.textContent = reply; }
        });
      history.push({ role: "assistant", content: reply });
      P.status(note, "Done (request " + requestId + ").", "ok");
      note.append(" ", P.traceButton({ request_id: requestId }));
    } catch (error) {
      history.pop();
      answer.textContent = "";
      P.status(note, error.message, "error");
    } finally {
      answer.removeAttribute("aria-busy");
      send.disabled = false;
    }
  }

  P.register({
    id: "chat", title: "Chat", heading: "Chat (OpenAI-compatible, streaming)",
    onShow() { if (!models.options.length) loadModels(); },
    render(panel) {
      models = el("select", { id: "chat-model" });
      input = el("textarea", { id: "chat-input", rows: "3" });
      send = el("button", { type: "submit", id: "chat-send", text: "Send" });
      panel.append(
        el("form", { class: "row", onsubmit: chat },
          el("div", { class: "field narrow" }, el("label", { for: "chat-model", text: "Model" }), models),
          el("button", { type: "button", class: "secondary", text: "Reload models", onclick: loadModels }),
          el("div", { class: "field" }, el("label", { for: "chat-input", text: "Message" }), input),
          send),
        note = el("p", { id: "chat-status", class: "meta", "aria-live": "polite" }),
        log = el("ol", { id: "chat-log", class: "steps", "aria-label": "Conversation" }));
    },
  });
})();
