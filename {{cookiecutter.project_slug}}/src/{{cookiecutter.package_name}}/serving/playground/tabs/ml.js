// Predict tab (ml pillar): a form built from /predict's request schema (the model's frozen data
// contract, read from the service's OpenAPI document /docs.json), answered by POST /predict.
"use strict";
(function () {
  const P = window.Playground;
  const el = P.el;
  let form; let fields; let out; let note;

  function resolve(doc, schema) {
    let found = schema || {};
    for (let i = 0; found.$ref && i < 10; i += 1) {
      found = found.$ref.replace(/^#\//, "").split("/").reduce((node, part) => node[part], doc);
    }
    return found;
  }

  function typeOf(doc, schema) {
    const options = (schema.anyOf || schema.oneOf || [schema]).map((s) => resolve(doc, s));
    const chosen = options.find((s) => s.type !== "null") || {};
    return { type: chosen.type || "string", values: chosen.enum || null };
  }

  function input(name, spec, doc) {
    const id = "predict-" + name.replace(/[^A-Za-z0-9_-]/g, "_");
    const { type, values } = typeOf(doc, spec);
    let control;
    if (values) {
      control = el("select", { id: id, name: name }, el("option", { value: "", text: "(empty)" }),
        ...values.map((v) => el("option", { value: String(v), text: String(v) })));
    } else if (type === "boolean") {
      control = el("select", { id: id, name: name }, el("option", { value: "", text: "(empty)" }),
        el("option", { value: "true", text: "true" }), el("option", { value: "false", text: "false" }));
    } else {
      control = el("input", { id: id, name: name, type: type === "number" || type === "integer" ? "number" : "text",
        step: type === "integer" ? "1" : type === "number" ? "any" : null });
    }
    control.dataset.kind = values ? "enum" : type;
    return el("div", { class: "field narrow" }, el("label", { for: id, text: name + " (" + (values ? "one of" : type) + ")" }), control);
  }

  function record() {
    const found = {};
    for (const control of fields.querySelectorAll("input, select")) {
      const raw = control.value.trim();
      if (raw === "") continue;
      const kind = control.dataset.kind;
      found[control.name] = kind === "number" || kind === "integer" ? Number(raw) : kind === "boolean" ? raw === "true" : raw;
    }
    return found;
  }

  async function loadSchema() {
    P.status(note, "Reading the model's input schema ...", "meta");
    try {
      const { body: doc } = await P.api("/docs.json");
      const request = resolve(doc, doc.paths["/predict"].post.requestBody.content["application/json"].schema);
      const item = resolve(doc, resolve(doc, request.properties.records).items);
      const properties = item.properties || {};
      fields.replaceChildren(...Object.entries(properties).map(([name, spec]) => input(name, spec, doc)));
      P.status(note, Object.keys(properties).length + " input column(s) from the frozen schema.", "meta");
    } catch (error) { P.status(note, error.message, "error"); }
  }

  async function predict(event) {
    event.preventDefault();
    P.status(note, "Predicting ...", "meta");
    out.replaceChildren();
    try {
      const { body, requestId } = await P.api("/predict", { json: { records: [record()] } });
      const answer = body[0];
      out.append(el("dl", { id: "predict-answer" },
        el("dt", { text: "Probability" }), el("dd", { "data-field": "probability", text: answer.probability.toFixed(4) }),
        el("dt", { text: "Label" }), el("dd", { "data-field": "label", text: String(answer.label) }),
        el("dt", { text: "Model version" }), el("dd", { "data-field": "model_version", text: answer.model_version })));
      P.status(note, "Scored (request " + requestId + ").", "ok");
      note.append(" ", P.traceButton({ request_id: requestId }));
    } catch (error) { P.status(note, error.message, "error"); }
  }

  P.register({
    id: "predict", title: "Predict", heading: "Predict with the production model",
    onShow() { if (!fields.children.length) loadSchema(); },
    render(panel) {
      fields = el("div", { class: "row", id: "predict-fields" });
      panel.append(
        form = el("form", { onsubmit: predict }, fields,
          el("div", { class: "row" }, el("button", { type: "submit", text: "Predict" }),
            el("button", { type: "button", class: "secondary", text: "Reload schema", onclick: loadSchema }))),
        note = el("p", { id: "predict-status", class: "meta", "aria-live": "polite" }),
        out = el("div", { class: "out", "aria-live": "polite" }));
    },
  });
})();
