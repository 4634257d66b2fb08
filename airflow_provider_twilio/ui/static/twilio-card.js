// The Twilio card on Airflow's home dashboard (Airflow 3.1+, a React app plugin).
//
// Airflow imports this module and renders the component it registers under the plugin's name, with
// Airflow's own React (globalThis.React), so it is plain JavaScript: no JSX, no build step. It reads
// the Browse page's JSON as the signed-in user, every 30 seconds while the page is visible, and
// renders it as text only (React escapes it).
const NAME = "Twilio (24 h)";
const DATA_URL = "/twilio/ui/api/dashboard";
const PAGE_ROUTE = "/plugin/twilio-dashboard"; // the same figures on their own page, under Browse
const PAGE_NAME = "Browse → Twilio (24 h)";
const REFRESH_MS = 30000;
// Airflow's dashboard is a flex column ordered 1 (alerts) to 8; 5 is its health and pools, which the
// card follows, before the historical metrics. Without an order it would come first, above the alerts.
const DASHBOARD_ORDER = 5;
const FIGURES = [
  ["sent", "Sent"],
  ["delivered", "Delivered"],
  ["failed", "Failed"],
  ["replies", "Replies"],
  ["calls", "Calls"],
];
const MUTED = "var(--chakra-colors-fg-muted, #888)";
const LINE = "1px solid var(--chakra-colors-border, #8884)";
const BAD = "var(--chakra-colors-fg-error, #c53030)";
const LINK = "var(--chakra-colors-fg-info, #3182ce)";

const React = globalThis.React;
const h = React.createElement;

// As the signed-in user: Airflow 3.1+ keeps the user's token in the `_token` cookie, sent same-origin.
async function readSummary(signal) {
  const headers = { Accept: "application/json" };
  const response = await fetch(DATA_URL, { headers, credentials: "same-origin", signal });
  if (!response.ok) throw new Error(response.status + " " + response.statusText);
  return response.json();
}

// A link inside Airflow's UI, through its router (which knows the UI's base path) when it lends one.
function UiLink({ to, style, children }) {
  const router = globalThis.ReactRouterDOM;
  if (router && router.Link) return h(router.Link, { to, style }, children);
  return h("a", { href: to, style }, children);
}

function Figure({ name, label, value }) {
  return h(
    "div",
    { "data-figure": name, style: { border: LINE, borderRadius: "6px", padding: "8px 14px", minWidth: "96px" } },
    h("div", { style: { color: MUTED, fontSize: "12px" } }, label),
    h("div", { className: "value", style: { fontSize: "22px", fontWeight: 600 } }, String(value)),
  );
}

function Table({ id, head, rows, empty }) {
  const cell = { textAlign: "left", padding: "4px 8px", borderBottom: LINE };
  const headCell = { ...cell, color: MUTED, fontSize: "12px" };
  return h(
    "table",
    { "data-table": id, style: { borderCollapse: "collapse", minWidth: "260px" } },
    h("thead", null, h("tr", null, head.map((title) => h("th", { key: title, style: headCell }, title)))),
    h(
      "tbody",
      null,
      rows.length
        ? rows.map(([key, cells]) => h("tr", { key }, cells.map((text, i) => h("td", { key: i, style: cell }, text))))
        : h("tr", null, h("td", { colSpan: head.length, style: { ...cell, color: MUTED } }, empty)),
    ),
  );
}

function TwilioCard() {
  const [state, setState] = React.useState({ data: null, error: null });

  React.useEffect(() => {
    const abort = new AbortController();
    let timer;
    async function load() {
      if (!document.hidden) {
        try {
          setState({ data: await readSummary(abort.signal), error: null });
        } catch (error) {
          if (abort.signal.aborted) return;
          setState((previous) => ({ data: previous.data, error: error.message }));
        }
      }
      timer = globalThis.setTimeout(load, REFRESH_MS);
    }
    load();
    return () => {
      abort.abort();
      globalThis.clearTimeout(timer);
    };
  }, []);

  const { data, error } = state;
  const since = data ? "since " + new Date(data.since).toLocaleString() : "loading…";
  return h(
    "section",
    { "data-testid": "twilio-card", style: { order: DASHBOARD_ORDER, border: LINE, borderRadius: "8px", padding: "12px" } },
    h(
      "header",
      { style: { display: "flex", gap: "12px", alignItems: "baseline", marginBottom: "10px" } },
      h("h2", { style: { fontSize: "16px", fontWeight: 600, margin: 0 } }, "Twilio, the last 24 hours"),
      h("span", { style: { color: MUTED, fontSize: "12px" } }, since),
      h(UiLink, { to: PAGE_ROUTE, style: { color: LINK, fontSize: "12px", marginLeft: "auto" } }, PAGE_NAME),
    ),
    error ? h("p", { role: "alert", style: { color: BAD, margin: "0 0 8px" } }, "Could not load: " + error) : null,
    data
      ? h(
          React.Fragment,
          null,
          h(
            "div",
            { style: { display: "flex", gap: "12px", flexWrap: "wrap", marginBottom: "12px" } },
            FIGURES.map(([name, label]) => h(Figure, { key: name, name, label, value: data[name] })),
          ),
          h(
            "div",
            { style: { display: "flex", gap: "24px", flexWrap: "wrap" } },
            h(Table, {
              id: "failed-by-error",
              head: ["Failed, by error", "Texts"],
              rows: Object.entries(data.failed_by_error).map(([name, count]) => [name, [name, String(count)]]),
              empty: "No failed texts.",
            }),
            h(Table, {
              id: "most-failures",
              head: ["DAG", "Run (its Twilio tab)", "Failures"],
              rows: data.most_failures.map((run) => [
                run.dag_id + "/" + run.run_id,
                [run.dag_id, h(UiLink, { to: run.href, style: { color: LINK } }, run.run_id), String(run.failures)],
              ]),
              empty: "No run failed to reach anyone.",
            }),
          ),
          data.truncated
            ? h("p", { style: { color: MUTED, fontSize: "12px" } }, "Counted from the newest 5,000 task results.")
            : null,
        )
      : null,
  );
}

globalThis[NAME] = TwilioCard;
globalThis.AirflowPlugin = TwilioCard;
