"use strict";
// The Twilio tab of a DAG run or task instance: the timeline, refreshed while the page is visible.
(function () {
  const ids = document.body.dataset;
  const base = "/twilio/ui/api/runs/" + encodeURIComponent(ids.dagId) + "/" + encodeURIComponent(ids.runId);
  const query = new URLSearchParams();
  if (ids.taskId) query.set("task_id", ids.taskId);
  if (ids.mapIndex) query.set("map_index", ids.mapIndex);
  const tbody = document.querySelector("#timeline tbody");
  const more = document.getElementById("more");
  let shown = 1000;
  let refresh = 5;

  function groups(event) {
    const box = document.createElement("span");
    box.className = "groups";
    for (const [name, value] of Object.entries(event.match_groups || {})) {
      const code = document.createElement("code");
      code.textContent = name + "=" + (Array.isArray(value) ? value.join(", ") : value);
      box.appendChild(code);
    }
    return box;
  }

  function describe(event) {
    const details = document.createElement("div");
    switch (event.kind) {
      case "message":
        details.appendChild(TwilioView.span(event.body || "(body not in the log)", "body"));
        if (event.segments) details.appendChild(TwilioView.span(" · " + event.segments + " segment(s)", "muted"));
        return { what: "Text sent", who: "to " + event.to, details, status: event.status, error: event };
      case "reply":
        details.appendChild(TwilioView.span(event.body, "body"));
        details.appendChild(document.createElement("br"));
        details.appendChild(groups(event));
        return { what: "Reply", who: "from " + event.from, details, status: event.matched ? "matched" : "not matched" };
      case "call":
        details.textContent = [
          event.answered_by ? "answered by " + event.answered_by : "",
          event.duration ? event.duration + " s" : "",
          event.acknowledged === true ? "acknowledged" : event.acknowledged === false ? "not acknowledged" : "",
        ].filter(Boolean).join(" · ");
        return { what: "Call", who: "to " + event.to, details, status: event.status, error: event };
      case "keypress":
        details.textContent = "pressed " + (event.digits || "nothing") + (event.expected ? " (needed " + event.expected + ")" : "");
        return { what: "Keypress", who: event.sid || "", details, status: event.matched ? "matched" : "not matched" };
      case "hitl_answer":
        details.textContent = (event.chosen || []).join(", ");
        return { what: "Approval answered by " + (event.via || "phone"), who: event.user && (event.user.name || event.user.id) || "", details, status: "recorded" };
      default:
        return { what: event.kind, who: "", details, status: "" };
    }
  }

  function render(data) {
    tbody.replaceChildren();
    for (const event of data.events) {
      const shownEvent = describe(event);
      const row = document.createElement("tr");
      row.dataset.kind = event.kind;
      TwilioView.cell(row, TwilioView.time(event.time), "time");
      TwilioView.cell(row, event.task_id || "");
      TwilioView.cell(row, shownEvent.what, "kind");
      TwilioView.cell(row, shownEvent.who);
      TwilioView.cell(row, shownEvent.details);
      const status = TwilioView.cell(row, shownEvent.status, "status " + String(shownEvent.status || "").replace(/\s+/g, "-"));
      const error = shownEvent.error;
      if (error && error.error_code) status.appendChild(TwilioView.span(" " + error.error_code + " " + (error.error_name || ""), "error"));
      tbody.appendChild(row);
    }
    const numbers = data.numbers === "full" ? "numbers in full" : "numbers masked";
    document.getElementById("summary").textContent =
      data.total + " event(s), oldest first · " + numbers + " · refreshed " + new Date().toLocaleTimeString();
    const errors = document.getElementById("errors");
    errors.hidden = !data.list_errors.length;
    errors.textContent = data.list_errors.length ? "Live statuses unavailable: " + data.list_errors.join("; ") : "";
    more.hidden = data.next_offset == null;
    refresh = data.refresh_seconds || refresh;
  }

  async function load() {
    const params = new URLSearchParams(query);
    params.set("limit", String(Math.min(shown, 1000)));
    try {
      render(await TwilioView.getJson(base + "?" + params));
    } catch (error) {
      document.getElementById("summary").textContent = "Could not load: " + error.message;
    }
  }

  async function loop() {
    if (!document.hidden) await load();
    window.setTimeout(loop, refresh * 1000);
  }

  more.querySelector("button").addEventListener("click", () => { shown += 1000; load(); });
  loop();
})();
