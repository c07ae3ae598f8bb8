// caseflow department console: one unit's queue by deadline, overdue cases, counts, a case's detail with its
// history and clocks, supervision against the unit, and the unit's actions (签收 sign for, 答复 reply, 办结 close).
// Plain browser JavaScript, no build step and nothing loaded from elsewhere (the page's CSP allows only its own
// origin and the configured escalation API). Data reaches the DOM only as text (textContent), never as markup.
"use strict";

(function () {
  const TOKEN_KEY = "caseflow.console.token";
  const DONE = new Set(["closed", "merged"]);
  const STATUS = {
    received: "已受理 received", dispatched: "已派单 dispatched", coordinating: "协调中 coordinating",
    accepted: "已签收 accepted", in_progress: "办理中 in progress", suspended: "已挂起 suspended",
    replied: "已答复 replied", closed: "已办结 closed", reopened: "已重启 reopened", merged: "已并单 merged",
  };
  const CLOCK = { sign_for: "签收 sign for", first_contact: "联系 first contact", reply: "答复 reply", handling: "办结 handling" };
  const RUNG = { reminder: "提醒 reminder", supervise: "督办 supervise", notify: "通报 notify", interview: "约谈 interview", listed: "挂牌督办 listed" };
  const ACTION = {
    dispatched: "派单 dispatched", sent_to_coordination: "送协调 sent to coordination", accept: "签收 signed for",
    return: "退单 returned", transfer: "移送 transferred", progress: "办理 progress", suspend: "挂起 suspended",
    resume: "恢复 resumed", reply: "答复 replied", close: "办结 closed", coordinate: "协调 coordinated",
    part_reply: "协办答复 part reply", notify_police: "告知公安 police notified", notice: "通知 notice",
    reopened: "重启 reopened", merged: "并单 merged",
  };
  // Which of the three actions the case's state allows (the server decides; this only greys buttons out).
  const ALLOWED = { accept: ["dispatched"], reply: ["accepted", "in_progress"], close: ["replied"] };

  const state = {
    config: { dispatch_url: "", escalation_url: "", stream_path: "/v1/work/stream", poll_interval_s: 5 },
    token: null, claims: null, items: new Map(), selected: null, since: null,
    source: null, pollTimer: null, retryTimer: null, refreshTimer: null, mode: "off",
    summaryFromServer: false,
  };
  const $ = (id) => document.getElementById(id);

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function show(node, visible) { node.hidden = !visible; }

  function fail(id, err) {
    const node = $(id);
    node.textContent = err ? String(err.message || err) : "";
    show(node, Boolean(err));
  }

  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return d.toLocaleString("zh-CN", { hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function claimsOf(token) {
    // Only to show who is signed in; the services verify the token on every call.
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const json = decodeURIComponent(Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
      return JSON.parse(json);
    } catch (e) {
      return null;
    }
  }

  // --- the APIs ------------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function call(base, path, options) {
    const opts = options || {};
    const headers = { Authorization: "Bearer " + state.token };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(base + path, {
        method: opts.method || "GET", headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        cache: "no-store", credentials: "omit",
      });
    } catch (e) {
      throw new ApiError(0, "无法连接 cannot reach " + (base || location.origin) + " (" + e.message + ")");
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) {
      const msg = data && data.error ? data.error.message : response.status + " " + response.statusText;
      throw new ApiError(response.status, msg);
    }
    return data;
  }

  const dispatch = (path, options) => call(state.config.dispatch_url, path, options);
  const escalation = (path, options) => call(state.config.escalation_url, path, options);

  // --- the queue -----------------------------------------------------------------------------------------------

  function nextDeadline(item) {
    if (item.next_deadline) return new Date(item.next_deadline).getTime();
    const dues = Object.values(item.deadlines || {}).filter(Boolean).map((d) => new Date(d).getTime());
    return dues.length ? Math.min(...dues) : Infinity;
  }

  function byDeadline(a, b) {
    const da = nextDeadline(a), db = nextDeadline(b);
    if (da !== db) return da - db;
    return String(a.received_at).localeCompare(String(b.received_at)) || a.case_id.localeCompare(b.case_id);
  }

  function upsert(item) {
    // A newer view wins; a case that left the unit (no role on it any more) leaves the page.
    const known = state.items.get(item.case_id);
    if (known && known.updated_at && item.updated_at && item.updated_at < known.updated_at) return false;
    if (!item.role || item.role === "none") state.items.delete(item.case_id);
    else state.items.set(item.case_id, item);
    if (item.updated_at && (!state.since || item.updated_at > state.since)) state.since = item.updated_at;
    return true;
  }

  function caseCell(item) {
    const td = el("td");
    const link = el("a", item.case_id, "case-link");
    link.href = "#" + encodeURIComponent(item.case_id);
    td.append(link);
    if (item.urgency && item.urgency !== "normal") td.append(" ", el("span", item.urgency, "tag urgency-" + item.urgency));
    return td;
  }

  function row(item, cells) {
    const tr = el("tr");
    tr.dataset.caseId = item.case_id;
    tr.dataset.status = item.status;
    if (item.overdue) tr.classList.add("overdue");
    if (state.selected === item.case_id) tr.classList.add("selected");
    tr.append(caseCell(item), ...cells.map((c) => (c instanceof Node ? c : el("td", c))));
    tr.addEventListener("click", (e) => { e.preventDefault(); openCase(item.case_id); });
    return tr;
  }

  function dueCell(item) {
    const due = nextDeadline(item);
    const td = el("td", due === Infinity ? "—" : when(new Date(due).toISOString()));
    if (item.overdue) td.append(" ", el("span", "超期 overdue", "tag overdue"));
    const open = Array.isArray(item.open_supervision) ? item.open_supervision : [];
    if (open.length) {
      const rungs = open.map((a) => RUNG[a.rung] || a.rung).join(", ");
      td.append(" ", el("span", "督办 supervised ×" + open.length + " (" + rungs + ")", "tag supervision"));
    }
    return td;
  }

  function renderQueue() {
    const showDone = $("show-done").checked;
    const items = Array.from(state.items.values()).sort(byDeadline);
    const queue = items.filter((i) => showDone || !DONE.has(i.status));
    const overdue = items.filter((i) => i.overdue && !DONE.has(i.status));
    const qbody = $("queue").tBodies[0];
    qbody.replaceChildren(...queue.map((i) => row(i, [
      STATUS[i.status] || i.status, i.category_name || i.category, i.address || i.region_code, dueCell(i), when(i.updated_at),
    ])));
    const obody = $("overdue").tBodies[0];
    obody.replaceChildren(...overdue.map((i) => row(i, [STATUS[i.status] || i.status, i.category_name || i.category, dueCell(i)])));
    $("queue-n").textContent = String(queue.length);
    $("overdue-n").textContent = String(overdue.length);
    show($("queue-empty"), queue.length === 0);
    show($("overdue-empty"), overdue.length === 0);
    if (!state.summaryFromServer) renderCounts(localSummary());
  }

  async function loadQueue() {
    const pageSize = 200;
    const fresh = new Map();
    for (let page = 1; page <= 20; page += 1) { // bounded: 4,000 cases on one page is past any unit's desk
      const data = await dispatch("/v1/work/cases?sort=deadline&page_size=" + pageSize + "&page=" + page);
      data.items.forEach((i) => fresh.set(i.case_id, i));
      if (page * pageSize >= data.total) break;
    }
    // Items the stream delivered while the pages loaded may be newer than the snapshot: keep the newer one.
    for (const [id, known] of state.items) {
      const got = fresh.get(id);
      if (got && known.updated_at && got.updated_at && known.updated_at > got.updated_at) fresh.set(id, known);
    }
    state.items = fresh;
    for (const i of fresh.values()) if (i.updated_at && (!state.since || i.updated_at > state.since)) state.since = i.updated_at;
    renderQueue();
  }

  // --- counts --------------------------------------------------------------------------------------------------

  function localSummary() {
    const by = {};
    let overdue = 0;
    for (const i of state.items.values()) {
      by[i.status] = (by[i.status] || 0) + 1;
      if (i.overdue && !DONE.has(i.status)) overdue += 1;
    }
    return { by_status: by, overdue };
  }

  function count(label, value, cls) {
    const box = el("div", null, "count" + (cls ? " " + cls : ""));
    box.append(el("span", value, "value"), el("span", label, "label"));
    return box;
  }

  function renderCounts(s) {
    // The statuses the unit has cases in, then what needs attention: overdue, due today, open supervision by rung.
    const boxes = [];
    if (s.total !== undefined) boxes.push(count("全部 all cases", s.total, "total"));
    for (const [status, n] of Object.entries(s.by_status || {})) {
      if (n) boxes.push(count(STATUS[status] || status, n, "status-" + status));
    }
    boxes.push(count("超期 overdue", s.overdue || 0, "overdue"));
    if (s.due_today !== undefined) boxes.push(count("今日到期 due today", s.due_today, "due-today"));
    if (s.open_supervision_total !== undefined) boxes.push(count("待整改督办 open supervision", s.open_supervision_total, "supervision"));
    for (const [rung, n] of Object.entries(s.open_supervision || {})) {
      if (n) boxes.push(count("督办 " + (RUNG[rung] || rung), n, "rung-" + rung));
    }
    $("counts").replaceChildren(...boxes);
  }

  async function loadSummary() {
    try {
      renderCounts(await dispatch("/v1/work/summary"));
      state.summaryFromServer = true;
    } catch (e) {
      if (e.status !== 404) throw e;
      state.summaryFromServer = false; // an older dispatch: count what the page holds
      renderCounts(localSummary());
    }
  }

  // --- supervision against the unit ----------------------------------------------------------------------------

  async function loadSupervision() {
    const body = $("supervision").tBodies[0];
    try {
      const data = await escalation("/v1/supervision/actions?status=open&page_size=200");
      body.replaceChildren(...data.items.map((a) => {
        const tr = row({ case_id: a.case_id, status: a.status }, [
          RUNG[a.rung] || a.rung, when(a.issued_at), when(a.rectification_deadline), a.status,
        ]);
        tr.dataset.actionId = a.id;
        return tr;
      }));
      $("supervision-n").textContent = String(data.total);
      show($("supervision-empty"), data.items.length === 0);
    } catch (e) {
      body.replaceChildren();
      $("supervision-empty").textContent = "督办不可用 supervision unavailable: " + e.message;
      show($("supervision-empty"), true);
    }
  }

  // --- one case ------------------------------------------------------------------------------------------------

  function fact(dl, label, value) {
    if (value === undefined || value === null || value === "") return;
    dl.append(el("dt", label), el("dd", value));
  }

  function renderDetail(c) {
    $("d-title").textContent = c.case_id + " · " + (STATUS[c.status] || c.status);
    $("detail-body").dataset.caseId = c.case_id;
    $("detail-body").dataset.status = c.status;
    const dl = $("d-facts");
    dl.replaceChildren();
    fact(dl, "类别 Category", (c.category_name || "") + " (" + c.category + ")");
    fact(dl, "紧急 Urgency", c.urgency);
    fact(dl, "渠道 Channel", c.channel + " · " + c.kind);
    fact(dl, "地点 Place", (c.address || "") + " [" + c.region_code + "]");
    fact(dl, "诉求 Description", c.description);
    fact(dl, "诉求人 Requester", c.requester ? [c.requester.name, c.requester.phone].filter(Boolean).join(" ") : "匿名 withheld");
    fact(dl, "承办 Unit", c.unit_name ? c.unit_name + " (" + c.unit + ")" : c.unit);
    fact(dl, "角色 Our part", c.role);
    fact(dl, "受理 Received", when(c.received_at));
    fact(dl, "派单 Dispatched", when(c.dispatched_at));
    fact(dl, "更新 Updated", when(c.updated_at));
    if (c.handover) fact(dl, "转来 Handed over", c.handover.from_unit_name + ": " + (c.handover.reason || ""));
    if (c.routing) fact(dl, "派单依据 Routing", c.routing.reason);
    fact(dl, "重复 Repeats", c.repeat_count ? String(c.repeat_count) : "");
    const mine = (c.role === "sole" || c.role === "lead") && Boolean(state.claims) && state.claims.role === "department";
    for (const [action, from] of Object.entries(ALLOWED)) {
      $("act-" + action).disabled = !(mine && from.includes(c.status));
    }
    $("reply-content").disabled = $("act-reply").disabled;
    const sup = $("d-supervision");
    sup.replaceChildren(...(c.supervision || []).map((a) =>
      el("li", (RUNG[a.rung] || a.rung) + " · " + a.status + " · " + when(a.issued_at) + (a.deadline ? " → " + when(a.deadline) : ""))));
    if (!sup.children.length) sup.append(el("li", "—"));
    const steps = $("d-history");
    steps.replaceChildren(...(c.actions || []).map((a) => {
      const li = el("li");
      li.dataset.action = a.action;
      li.append(el("time", when(a.at)), " ", el("strong", ACTION[a.action] || a.action), " ", el("span", a.unit || "", "unit"));
      const detail = a.detail || {};
      const words = detail.content || detail.reason || detail.note || detail.instructions;
      if (words) li.append(el("div", words, "words"));
      return li;
    }));
    if (!steps.children.length) steps.append(el("li", "—"));
  }

  function renderClocks(data, problem) {
    const body = $("d-clocks").tBodies[0];
    const clocks = data ? data.clocks : [];
    body.replaceChildren(...clocks.map((k) => {
      const tr = el("tr");
      tr.dataset.kind = k.kind;
      tr.dataset.state = k.state;
      tr.append(el("td", CLOCK[k.kind] || k.kind), el("td", k.unit || "—"), el("td", when(k.deadline)), el("td", k.state, "state-" + k.state));
      return tr;
    }));
    const note = $("d-clocks-note");
    note.textContent = problem ? "时限 clocks: " + problem.message : clocks.length ? "" : "尚无时限 no clock yet";
    show(note, Boolean(problem) || clocks.length === 0);
  }

  async function openCase(caseId) {
    state.selected = caseId;
    if (location.hash !== "#" + encodeURIComponent(caseId)) history.replaceState(null, "", "#" + encodeURIComponent(caseId));
    fail("act-error", null);
    let c;
    try {
      c = await dispatch("/v1/work/cases/" + encodeURIComponent(caseId));
    } catch (e) {
      if (e.status === 404) { state.items.delete(caseId); state.selected = null; show($("detail-body"), false); show($("detail-empty"), true); }
      fail("app-error", e);
      renderQueue();
      return;
    }
    if (state.selected !== caseId) return; // another case was picked meanwhile
    renderDetail(c);
    show($("detail-empty"), false);
    show($("detail-body"), true);
    renderQueue();
    try {
      renderClocks(await escalation("/v1/cases/" + encodeURIComponent(caseId) + "/clocks"), null);
    } catch (e) {
      // escalation is the clocks' owner; without it, dispatch's last copy of them, said as such.
      const copy = Array.isArray(c.clocks) && c.clocks.length ? { clocks: c.clocks } : null;
      const why = e.status === 404 ? new Error("尚无时限 not clocked yet") : e;
      renderClocks(copy, copy ? new Error(why.message + " — dispatch's copy shown") : why);
    }
  }

  async function act(action, body) {
    const caseId = state.selected;
    if (!caseId) return;
    fail("act-error", null);
    try {
      const item = await dispatch("/v1/work/cases/" + encodeURIComponent(caseId) + "/" + action, { method: "POST", body: body || {} });
      upsert(item);
      renderQueue();
      await openCase(caseId);
      scheduleRefresh();
    } catch (e) {
      fail("act-error", e);
    }
  }

  // --- live updates: the unit's change stream, else polling ----------------------------------------------------

  function setMode(mode) {
    state.mode = mode;
    const live = $("live");
    live.dataset.mode = mode;
    live.textContent = { stream: "实时 live (stream)", polling: "轮询 polling", off: "离线 offline" }[mode];
  }

  function scheduleRefresh() {
    // Counts and supervision follow the changes, at most twice a second however many arrive.
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(async () => {
      state.refreshTimer = null;
      try { await Promise.all([loadSummary(), loadSupervision()]); } catch (e) { fail("app-error", e); }
    }, 500);
  }

  function onChange(item) {
    if (!upsert(item)) return;
    renderQueue();
    scheduleRefresh();
    if (state.selected === item.case_id) openCase(item.case_id);
  }

  function onGone(caseId) {
    if (!state.items.delete(caseId)) return;
    renderQueue();
    scheduleRefresh();
    if (state.selected === caseId) {
      state.selected = null;
      show($("detail-body"), false);
      show($("detail-empty"), true);
    }
  }

  function startStream() {
    stopLive();
    const url = state.config.dispatch_url + state.config.stream_path + "?access_token=" + encodeURIComponent(state.token);
    const source = new EventSource(url);
    state.source = source;
    let failures = 0, opened = false;
    source.addEventListener("open", () => {
      failures = 0;
      setMode("stream");
      // What changed before the stream first opened comes from a fresh snapshot; after a drop the browser resumes
      // by itself (it sends Last-Event-ID and the server replays what changed meanwhile).
      if (!opened) loadQueue().catch((e) => fail("app-error", e));
      opened = true;
      scheduleRefresh();
    });
    source.addEventListener("case", (e) => {
      try { onChange(JSON.parse(e.data)); } catch (err) { fail("app-error", err); }
    });
    source.addEventListener("gone", (e) => {
      // The case left the unit (transferred, returned, passed up, coordinated without it): off the page at once.
      try { onGone(JSON.parse(e.data).case_id); } catch (err) { fail("app-error", err); }
    });
    source.addEventListener("error", () => {
      if (state.source !== source) return;
      failures += 1;
      // Refused (no stream here, or too many open), or unreachable again and again (a buffering proxy): poll.
      if (source.readyState === EventSource.CLOSED || failures >= 3) startPolling();
    });
  }

  function startPolling() {
    stopLive();
    setMode("polling");
    const every = Math.max(1, Number(state.config.poll_interval_s) || 5) * 1000;
    const tick = async () => {
      try {
        const since = state.since ? "&updated_since=" + encodeURIComponent(state.since) : "";
        const data = await dispatch("/v1/work/cases?sort=-updated&page_size=200" + since);
        data.items.forEach(onChange);
        fail("app-error", null);
      } catch (e) {
        fail("app-error", e);
        if (e.status === 401) return signOut("令牌无效或已过期 the token was refused: " + e.message);
      }
      state.pollTimer = setTimeout(tick, every);
    };
    state.pollTimer = setTimeout(tick, every);
    state.retryTimer = setTimeout(startStream, Math.max(60000, every * 6)); // the stream may come back
  }

  function stopLive() {
    if (state.source) { state.source.close(); state.source = null; }
    clearTimeout(state.pollTimer);
    clearTimeout(state.retryTimer);
    state.pollTimer = state.retryTimer = null;
  }

  // --- sign in / out -------------------------------------------------------------------------------------------

  async function unitName(code) {
    try {
      return (await dispatch("/v1/departments/" + encodeURIComponent(code))).name || "";
    } catch (e) {
      return ""; // the name only decorates the header
    }
  }

  async function signIn(token) {
    state.token = token.trim();
    state.claims = claimsOf(state.token);
    fail("signin-error", null);
    try {
      await loadQueue(); // proves the token (401/403 otherwise)
    } catch (e) {
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      fail("signin-error", e.status === 403 ? new Error("这个令牌不是承办单位或协调机构的 not a unit's token: " + e.message) : e);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, state.token);
    show($("signin"), false);
    show($("app"), true);
    show($("who"), true);
    const unit = state.claims && state.claims.unit;
    $("unit-name").textContent = unit ? ((await unitName(unit)) + " " + unit).trim() : (state.claims && state.claims.sub) || "";
    await Promise.all([loadSummary(), loadSupervision()]).catch((e) => fail("app-error", e));
    startStream();
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (wanted) openCase(wanted);
  }

  function signOut(reason) {
    stopLive();
    sessionStorage.removeItem(TOKEN_KEY);
    Object.assign(state, { token: null, claims: null, items: new Map(), selected: null, since: null });
    setMode("off");
    show($("app"), false);
    show($("who"), false);
    show($("signin"), true);
    $("token").value = "";
    fail("signin-error", reason ? new Error(reason) : null);
  }

  async function start() {
    try {
      const response = await fetch("config.json", { cache: "no-store" });
      if (response.ok) Object.assign(state.config, await response.json());
    } catch (e) { /* the defaults: everything on this origin */ }
    $("cfg-dispatch").textContent = state.config.dispatch_url || location.origin;
    $("cfg-escalation").textContent = state.config.escalation_url || location.origin;
    $("signin-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("token").value); });
    $("sign-out").addEventListener("click", () => signOut(null));
    $("show-done").addEventListener("change", renderQueue);
    $("act-accept").addEventListener("click", () => act("accept"));
    $("act-close").addEventListener("click", () => act("close"));
    $("reply-form").addEventListener("submit", (e) => {
      e.preventDefault();
      act("reply", { content: $("reply-content").value, resolved: $("reply-resolved").checked }).then(() => {
        if (!$("act-error").textContent) $("reply-content").value = "";
      });
    });
    window.addEventListener("hashchange", () => {
      const wanted = decodeURIComponent(location.hash.slice(1));
      if (state.token && wanted && wanted !== state.selected) openCase(wanted);
    });
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) signIn(saved);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
