"use strict";
// Shared by the pages: reads the view's JSON as the signed-in Airflow user and builds DOM as text only.
const TwilioView = {
  async getJson(path) {
    const headers = { Accept: "application/json" };
    const token = window.localStorage && window.localStorage.getItem("token");
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(path, { headers, credentials: "same-origin" });
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    return response.json();
  },
  cell(row, text, className) {
    const td = document.createElement("td");
    if (text instanceof Node) td.appendChild(text); else td.textContent = text == null ? "" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  },
  span(text, className) {
    const el = document.createElement("span");
    el.textContent = text == null ? "" : String(text);
    if (className) el.className = className;
    return el;
  },
  time(iso) {
    if (!iso) return "";
    const when = new Date(iso);
    return isNaN(when) ? iso : when.toLocaleString();
  },
};
