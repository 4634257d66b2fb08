"use strict";
// The 24-hour summary: counts, failures by error name, and links to the runs' Twilio tabs.
(function () {
  function row(tbody, cells) {
    const tr = document.createElement("tr");
    for (const cell of cells) TwilioView.cell(tr, cell);
    tbody.appendChild(tr);
  }

  async function load() {
    try {
      const data = await TwilioView.getJson("/twilio/ui/api/dashboard");
      for (const name of ["sent", "delivered", "failed", "replies", "calls"]) {
        document.getElementById(name).textContent = String(data[name]);
      }
      const errors = document.querySelector("#errors-table tbody");
      errors.replaceChildren();
      for (const [name, count] of Object.entries(data.failed_by_error)) row(errors, [name, count]);
      const runs = document.querySelector("#runs-table tbody");
      runs.replaceChildren();
      for (const run of data.most_failures) {
        const link = document.createElement("a");
        link.href = run.href;
        link.target = "_top";
        link.textContent = run.run_id;
        row(runs, [run.dag_id, link, run.failures]);
      }
      document.getElementById("summary").textContent = "Since " + TwilioView.time(data.since);
    } catch (error) {
      document.getElementById("summary").textContent = "Could not load: " + error.message;
    }
  }

  async function loop() {
    if (!document.hidden) await load();
    window.setTimeout(loop, 30000);
  }
  loop();
})();
