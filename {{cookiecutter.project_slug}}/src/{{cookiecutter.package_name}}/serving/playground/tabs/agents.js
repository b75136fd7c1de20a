// Agent tab (agents pillar): start a run, follow its steps (SSE), decide queued tool calls (only
// keys named in the agents setting approver_keys), then the answer and what it cost.
"use strict";
(function () {
  const P = window.Playground;
  const el = P.el;
  let task; let steps; let who; let note; let result; let approvals; let runId = null; let poller = null;
  let mayDecide = false;

  function describeStep(step) {
    const output = JSON.stringify(step.output);
    const tools = step.tool_calls.map((c) => c.tool || c.name).filter(Boolean).join(", ");
    return el("li", { "data-seq": String(step.seq) },
      el("strong", { text: "#" + step.seq + " " + step.role + " \u00b7 " + step.phase }),
      el("div", { class: "meta", text: step.duration_ms.toFixed(0) + " ms \u00b7 " +
        (step.usage.input_tokens + step.usage.output_tokens) + " tokens \u00b7 $" + step.usage.cost_usd.toFixed(6) +
        (tools ? " \u00b7 tools: " + tools : "") }),
      el("div", { text: output.length > 400 ? output.slice(0, 400) + "\u2026" : output }));
  }

  async function decide(approval, approved) {
    try {
      await P.api("/agent/runs/" + runId + "/approvals/" + approval.approval_id, { json: { approved: approved } });
      P.status(note, (approved ? "Approved " : "Denied ") + approval.tool + " #" + approval.approval_id + ".", "ok");
    } catch (error) { P.status(note, error.message, "error"); }
    refreshApprovals();
  }

  async function refreshApprovals() {
    if (!runId) return;
    try {
      const { body } = await P.api("/agent/runs/" + runId + "/approvals?status=all");
      approvals.replaceChildren(...body.approvals.map((a) => el("li", { "data-approval": String(a.approval_id), "data-status": a.status },
        el("span", { text: a.tool + " " + JSON.stringify(a.args) + " \u2014 " + a.status + " " }),
        a.status === "pending" && mayDecide ? [
          el("button", { type: "button", text: "Approve", onclick: () => decide(a, true) }), " ",
          el("button", { type: "button", class: "secondary", text: "Deny", onclick: () => decide(a, false) })] : null)));
      if (!body.approvals.length) approvals.append(el("li", { class: "meta", text: "No tool call waits for a decision." }));
    } catch (error) { P.status(note, error.message, "error"); }
  }

  async function finish() {
    const { body } = await P.api("/agent/runs/" + runId);
    const usage = body.usage;
    result.replaceChildren(
      el("p", {}, el("strong", { text: "Status: " }), el("span", { id: "agent-run-status", text: body.status })),
      el("div", { id: "agent-answer", class: "out", text: body.answer || (body.failure ? body.failure.kind + ": " + body.failure.message : "") }),
      el("p", { id: "agent-cost", class: "meta", text: body.steps + " steps \u00b7 " + (usage.input_tokens + usage.output_tokens) +
        " tokens \u00b7 " + usage.tool_calls + " tool calls \u00b7 cost $" + usage.cost_usd.toFixed(6) + " \u00b7 " + usage.seconds.toFixed(2) + " s" }),
      P.traceButton({ run_id: runId }));
  }

  async function start(event) {
    event.preventDefault();
    steps.replaceChildren(); result.replaceChildren(); approvals.replaceChildren();
    P.status(note, "Starting ...", "meta");
    try {
      const allowed = await P.api("/agent/approver");
      mayDecide = Boolean(allowed.body.may_decide);
      const { body } = await P.api("/agent/runs", { json: { task: task.value } });
      runId = body.run_id;
      P.status(note, "Run " + runId + " started; steps stream in below.", "meta");
      P.status(who, mayDecide ? "This key may approve or deny." : "This key may not decide approvals (agents setting approver_keys).", "meta");
      clearInterval(poller);
      poller = setInterval(refreshApprovals, 1000);
      refreshApprovals();
      await P.stream(body.steps_url, {}, (data) => { if (data !== "[DONE]") steps.append(describeStep(JSON.parse(data))); });
      await finish();
      P.status(note, "Run " + runId + " ended.", "ok");
    } catch (error) { P.status(note, error.message, "error"); }
  }

  P.register({
    id: "agents", title: "Agent runs", heading: "Agent runs",
    render(panel) {
      task = el("textarea", { id: "agent-task", rows: "3" });
      panel.append(
        el("form", { class: "row", onsubmit: start },
          el("div", { class: "field" }, el("label", { for: "agent-task", text: "Task" }), task),
          el("button", { type: "submit", text: "Start run" })),
        note = el("p", { id: "agent-status", class: "meta", "aria-live": "polite" }),
        el("h3", { text: "Steps" }),
        steps = el("ol", { id: "agent-steps", class: "steps", "aria-live": "polite" }),
        el("h3", { text: "Tool calls waiting for approval" }),
        who = el("p", { id: "agent-approver", class: "meta" }),
        approvals = el("ul", { id: "agent-approvals" }),
        el("h3", { text: "Result" }),
        result = el("div", { id: "agent-result" }));
    },
  });
})();
