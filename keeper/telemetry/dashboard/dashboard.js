// The keeper dashboard's only script: polls /status (same origin) and renders it. Plain browser
// JavaScript, no dependency and no build step, so the page works offline from the keeper's own port.
// Every number is written through `show(element, value, format)`, which also stamps data-field /
// data-format on generated elements: the browser test reads them back and compares with /status.
"use strict";

(function dashboard() {
  const SVG = "http://www.w3.org/2000/svg";
  const params = new URLSearchParams(window.location.search);
  const INTERVAL_MS = Math.max(500, Number(params.get("interval")) || 2000);
  const COLORS = {
    opportunities: "#60a5fa",
    planned: "#a78bfa",
    sent: "#fbbf24",
    included: "#2dd4bf",
    won: "#4ade80",
    lost: "#f87171",
    realisedUsd: "#4ade80",
    gasUsd: "#f87171",
    netUsd: "#60a5fa",
  };

  /* ───────────── formatting ───────────── */

  const nf = (digits) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const NONE = "–";
  const FORMATS = {
    text: (v) => String(v),
    int: (v) => nf(0).format(v),
    usd: (v) => `${v < 0 ? "−" : ""}$${nf(2).format(Math.abs(v))}`,
    // Six decimals for gas-sized amounts, fewer as amounts grow (a balance of 9,999.98 ETH, not 9,999.975994).
    eth: (v) => `${nf(Math.abs(v) >= 100 ? 2 : Math.abs(v) >= 1 ? 4 : 6).format(v)} ETH`,
    ms: (v) => (v >= 1000 ? `${nf(2).format(v / 1000)} s` : `${nf(v >= 100 ? 0 : 1).format(v)} ms`),
    hf: (v) => nf(4).format(v),
    block: (v) => `#${nf(0).format(v)}`,
    blocks: (v) => `N+${v}`,
    age: (v) => (v >= 1000 ? `${nf(1).format(v / 1000)} s ago` : `${Math.round(v)} ms ago`),
    duration: (v) => {
      const h = Math.floor(v / 3600);
      const m = Math.floor((v % 3600) / 60);
      const s = Math.floor(v % 60);
      return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(s).padStart(2, "0")}s`;
    },
    time: (v) => new Date(v).toISOString().slice(11, 19),
    short: (v) => (v.length > 14 ? `${v.slice(0, 8)}…${v.slice(-4)}` : v),
  };

  function valueAt(object, path) {
    return path.split(".").reduce((value, key) => (value === null || value === undefined ? undefined : value[key]), object);
  }

  function show(element, value, format, path) {
    if (path !== undefined) element.dataset.field = path;
    if (format !== undefined) element.dataset.format = format;
    const fmt = FORMATS[element.dataset.format || "text"];
    const missing = value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value));
    element.textContent = missing ? NONE : fmt(value);
    if (!missing && element.dataset.format === "short") element.title = String(value);
  }

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* ───────────── charts ───────────── */

  // Charts are drawn at the container's own pixel width (redrawn each poll), so text is never scaled.
  const H = 210;
  const PAD = { left: 52, right: 14, top: 16, bottom: 28 };

  function niceMax(value) {
    if (!(value > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value);
    return step * power;
  }

  function axisLabel(value, unit) {
    if (unit === "usd") return `$${Math.abs(value) >= 1000 ? `${nf(1).format(value / 1000)}k` : nf(0).format(value)}`;
    return Math.abs(value) >= 1000 ? `${nf(1).format(value / 1000)}k` : nf(Number.isInteger(value) ? 0 : 1).format(value);
  }

  function frame(container, low, high, unit) {
    const W = Math.max(280, Math.floor(container.clientWidth || 600));
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "plot" });
    const y = (v) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - (v - low) / (high - low || 1));
    for (let i = 0; i <= 4; i++) {
      const v = low + ((high - low) * i) / 4;
      root.appendChild(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: v === 0 ? "zero" : "gridline" }));
      root.appendChild(svg("text", { x: PAD.left - 8, y: y(v) + 4, class: "axis", "text-anchor": "end" }, axisLabel(v, unit)));
    }
    container.replaceChildren(root);
    return { root, y, W };
  }

  /** Lines over time: xs are epoch ms, each series a list of numbers as long as xs. */
  function lineChart(container, xs, series, options) {
    const values = series.flatMap((s) => s.values);
    const high = niceMax(Math.max(0, ...values));
    const low = Math.min(0, ...values) < 0 ? -niceMax(-Math.min(...values)) : 0;
    const { root, y, W } = frame(container, low, high, options.unit);
    if (xs.length === 0) {
      root.appendChild(svg("text", { x: W / 2, y: H / 2, class: "empty", "text-anchor": "middle" }, "nothing yet today"));
      return;
    }
    const x0 = options.fromMs ?? xs[0];
    const x1 = options.toMs ?? xs[xs.length - 1];
    const x = (t) => PAD.left + ((W - PAD.left - PAD.right) * (t - x0)) / (x1 - x0 || 1);
    for (let i = 0; i <= 4; i++) {
      const t = x0 + ((x1 - x0) * i) / 4;
      const label = new Date(t).toISOString().slice(11, x1 - x0 < 600000 ? 19 : 16);
      root.appendChild(
        svg("text", { x: x(t), y: H - 8, class: "axis", "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, label),
      );
    }
    for (const s of series) {
      const points = xs.map((t, i) => `${x(t).toFixed(1)},${y(s.values[i]).toFixed(1)}`);
      if (options.area && s.area) {
        const area = `${x(xs[0]).toFixed(1)},${y(0)} ${points.join(" ")} ${x(xs[xs.length - 1]).toFixed(1)},${y(0)}`;
        root.appendChild(svg("polygon", { points: area, fill: s.color, class: "area" }));
      }
      const attrs = { points: points.join(" "), stroke: s.color, class: "line" };
      if (options.step) attrs["stroke-linejoin"] = "miter";
      root.appendChild(svg("polyline", attrs));
    }
  }

  /** Bars with their count above each: `bins` is [{label, count}] from /status at `path`. */
  function barChart(container, bins, path, colorOf, shortLabel) {
    const high = niceMax(Math.max(1, ...bins.map((b) => b.count)));
    const { root, y, W } = frame(container, 0, high, "count");
    const slot = (W - PAD.left - PAD.right) / Math.max(1, bins.length);
    bins.forEach((bin, i) => {
      const x = PAD.left + slot * i + slot * 0.14;
      const width = slot * 0.72;
      const top = y(bin.count);
      const bar = svg("rect", { x, y: top, width, height: Math.max(0, y(0) - top), rx: 3, fill: colorOf(bin, i), class: "bar" });
      bar.appendChild(svg("title", {}, `${bin.label}: ${bin.count}`));
      root.appendChild(bar);
      const count = svg("text", { x: x + width / 2, y: top - 4, class: "count", "text-anchor": "middle" });
      show(count, bin.count, "int", `${path}.${i}.count`);
      root.appendChild(count);
      const label = svg(
        "text",
        { x: x + width / 2, y: H - 10, class: "axis", "text-anchor": "middle" },
        shortLabel ? shortLabel(bin.label) : bin.label,
      );
      label.appendChild(svg("title", {}, bin.label));
      root.appendChild(label);
    });
  }

  function legend(list, items) {
    list.replaceChildren(
      ...items.map((item) => {
        const li = el("li");
        const swatch = el("span", { class: "swatch" });
        // Through the CSSOM, which the page's Content-Security-Policy allows (a style attribute it refuses).
        swatch.style.backgroundColor = item.color;
        li.appendChild(swatch);
        li.appendChild(el("span", { class: "muted" }, `${item.name} `));
        const value = el("b");
        show(value, item.value, item.format, item.path);
        li.appendChild(value);
        return li;
      }),
    );
  }

  /* ───────────── sections ───────────── */

  function renderFunnel(status) {
    const funnel = status.operations.funnel;
    const stages = ["opportunities", "sent", "included", "won", "lost"];
    const xs = funnel.buckets.map((b) => b.startMs + funnel.bucketMs / 2);
    lineChart(
      document.getElementById("funnel-chart"),
      xs,
      stages.map((stage) => ({
        name: stage,
        color: COLORS[stage],
        values: funnel.buckets.map((b) => b[stage]),
        area: stage === "opportunities",
      })),
      { fromMs: funnel.fromMs, toMs: funnel.toMs, unit: "count", area: true },
    );
    legend(
      document.getElementById("funnel-legend"),
      stages.map((stage) => ({
        name: stage,
        color: COLORS[stage],
        value: funnel.today[stage],
        format: "int",
        path: `operations.funnel.today.${stage}`,
      })),
    );
    const seconds = funnel.bucketMs / 1000;
    document.getElementById("funnel-range").textContent = `per ${seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`} · UTC`;
  }

  function renderPnl(status) {
    const pnl = status.operations.pnl;
    const keys = ["realisedUsd", "gasUsd", "netUsd"];
    const names = { realisedUsd: "realised", gasUsd: "gas", netUsd: "net" };
    // From zero just before the first settlement of the day to now, flat after the last one.
    const now = Date.parse(status.operations.generatedAt);
    const first = pnl.series[0];
    const points = first === undefined ? [] : [{ atMs: first.atMs - 1, realisedUsd: 0, gasUsd: 0, netUsd: 0 }, ...pnl.series];
    if (points.length > 0) points.push({ ...points[points.length - 1], atMs: Math.max(now, points[points.length - 1].atMs) });
    lineChart(
      document.getElementById("pnl-chart"),
      points.map((p) => p.atMs),
      keys.map((key) => ({ name: names[key], color: COLORS[key], values: points.map((p) => p[key]), area: key === "netUsd" })),
      { unit: "usd", area: true, fromMs: points.length > 0 ? points[0].atMs - 1000 : undefined, toMs: now },
    );
    legend(
      document.getElementById("pnl-legend"),
      keys.map((key) => ({ name: names[key], color: COLORS[key], value: pnl[key], format: "usd", path: `operations.pnl.${key}` })),
    );
  }

  function renderHistograms(status) {
    const ops = status.operations;
    // Bands read by their upper bound ("<1.05"), which fits under a narrow bar.
    barChart(
      document.getElementById("hf-chart"),
      ops.positions.histogram,
      "operations.positions.histogram",
      (_bin, i) => (i < 2 ? "#f87171" : i < 4 ? "#fbbf24" : "#60a5fa"),
      (label) =>
        label
          .replace(/^[\d.]+–/, "<")
          .replace(/^< /, "<")
          .replace(/^≥ /, "≥"),
    );
    barChart(document.getElementById("inclusion-chart"), ops.inclusionBlocks.histogram, "operations.inclusionBlocks.histogram", (bin) =>
      bin.label === "N+1" ? "#4ade80" : bin.label === "N+2" ? "#2dd4bf" : "#fbbf24",
    );
    // Upper bounds in ms, "1000" as "1s".
    barChart(
      document.getElementById("latency-chart"),
      ops.decisionLatencyMs.histogram,
      "operations.decisionLatencyMs.histogram",
      (_bin, i) => (i < 3 ? "#4ade80" : i < 6 ? "#fbbf24" : "#f87171"),
      (label) =>
        label
          .replace(/ ms$/, "")
          .replace(/^≤ /, "")
          .replace(/^> /, ">")
          .replace(/(\d+)000$/, "$1s"),
    );
  }

  function row(cells) {
    const tr = el("tr");
    for (const cell of cells) {
      const td = el("td", cell.className ? { class: cell.className } : {});
      if (cell.path !== undefined || cell.value !== undefined) show(td, cell.value, cell.format, cell.path);
      else td.textContent = cell.text;
      tr.appendChild(td);
    }
    return tr;
  }

  function fillTable(id, rows, emptyText, columns) {
    const body = document.querySelector(`#${id} tbody`);
    body.replaceChildren(...(rows.length === 0 ? [row([{ text: emptyText, className: "empty" }])] : rows));
    if (rows.length === 0) body.firstChild.firstChild.setAttribute("colspan", String(columns));
  }

  function renderTables(status) {
    const ops = status.operations;
    fillTable(
      "nearest-table",
      ops.positions.nearest.map((p, i) => {
        const base = `operations.positions.nearest.${i}`;
        const tr = row([
          { value: p.market, format: "text", path: `${base}.market` },
          { value: p.borrower, format: "short", path: `${base}.borrower`, className: "mono" },
          { value: p.healthFactor, format: "hf", path: `${base}.healthFactor`, className: "num" },
          { value: p.debtUsd, format: "usd", path: `${base}.debtUsd`, className: "num" },
        ]);
        tr.title = `collateral ${FORMATS.usd(p.collateralUsd)}`;
        if (p.healthFactor < 1) tr.classList.add("danger");
        return tr;
      }),
      "no position tracked",
      4,
    );
    fillTable(
      "executions-table",
      ops.executions.map((e, i) => {
        const base = `operations.executions.${i}`;
        const tr = row([
          { value: e.at, format: "time", path: `${base}.at` },
          { value: e.market, format: "text", path: `${base}.market` },
          { value: e.borrower, format: "short", path: `${base}.borrower`, className: "mono" },
          { value: e.outcome, format: "text", path: `${base}.outcome`, className: `outcome ${e.outcome}` },
          { value: e.blocksToInclusion, format: "blocks", path: `${base}.blocksToInclusion`, className: "num" },
          { value: e.realisedProfitUsd, format: "usd", path: `${base}.realisedProfitUsd`, className: "num" },
          { value: e.gasCostUsd, format: "usd", path: `${base}.gasCostUsd`, className: "num" },
          { value: e.txHash, format: "short", path: `${base}.txHash`, className: "mono" },
        ]);
        if (e.error) tr.title = e.error;
        return tr;
      }),
      "no execution today",
      8,
    );
    fillTable(
      "alerts-table",
      ops.alerts.recent.map((a, i) => {
        const base = `operations.alerts.recent.${i}`;
        const tr = row([
          { value: a.at, format: "time", path: `${base}.at` },
          {
            value: a.action === "resolve" ? "resolved" : a.severity,
            format: "text",
            className: `severity ${a.action === "resolve" ? "resolved" : a.severity}`,
          },
          { value: a.title, format: "text", path: `${base}.title` },
        ]);
        tr.title = a.detail;
        return tr;
      }),
      "no alert since start",
      3,
    );
    const open = ops.alerts.open.length;
    const incidents = ops.alerts.open.map((key) => (key.length > 24 ? `${key.slice(0, 23)}…` : key));
    const openText = open === 0 ? "no open incident" : `${open} open: ${incidents.join(", ")}`;
    document.getElementById("open-incidents").textContent = openText;
    document.getElementById("open-incidents").title = ops.alerts.open.join("\n");
  }

  function renderBadges(status) {
    const halted = status.operatorHalt ? "HALTED" : null;
    const state = halted || (status.breaker && status.breaker.state) || "UNKNOWN";
    document.getElementById("breaker-badge").className = `badge breaker-${state.toLowerCase()}`;
    document.getElementById("mode-badge").className = `badge mode-${String(status.mode).toLowerCase()}`;
    const leader = status.leader;
    const leaderText =
      leader === undefined || leader === null
        ? "single instance"
        : typeof leader === "string"
          ? leader
          : [
              leader.instance || leader.holder || leader.id || leader.name,
              leader.since ? `since ${FORMATS.time(Date.parse(leader.since) || leader.since)}` : null,
            ]
              .filter(Boolean)
              .join(" ");
    document.getElementById("leader").textContent = leaderText || "unknown";
    const triggers = (status.breaker && status.breaker.activeTriggers) || [];
    const haltedBy = status.breaker && status.breaker.haltedBy;
    document.getElementById("breaker-detail").textContent = haltedBy
      ? `HALTED by ${haltedBy.trigger}: ${haltedBy.detail}`
      : triggers.length > 0
        ? triggers.map((t) => t.trigger).join(", ")
        : `${state}, no active trigger`;
    document.getElementById("operator-halt").textContent = status.operatorHalt || "none";
    const endpoints = status.operations.endpoints;
    document.getElementById("endpoints").textContent =
      endpoints.length === 0
        ? "one provider (no failover pool)"
        : endpoints.map((e) => `${e.name}${e.demoted ? " (demoted)" : ""}`).join(", ");
    document.getElementById("balance-kpi").classList.toggle("alert", Boolean(status.operations.operator.belowFloor));
    const { won, lost } = status.operations.funnel.today;
    document.getElementById("win-rate").textContent =
      won + lost === 0 ? "win rate –" : `win rate ${nf(1).format((100 * won) / (won + lost))}%`;
  }

  function render(status) {
    for (const element of document.querySelectorAll("[data-field]")) {
      if (element.closest("tbody, svg, .legend")) continue;
      show(element, valueAt(status, element.dataset.field));
    }
    renderBadges(status);
    renderFunnel(status);
    renderPnl(status);
    renderHistograms(status);
    renderTables(status);
    document.body.dataset.generatedAt = status.operations.generatedAt;
  }

  /* ───────────── polling ───────────── */

  const banner = document.getElementById("banner");
  const updated = document.getElementById("updated");

  async function poll() {
    try {
      const response = await fetch("/status", { cache: "no-store", headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`/status answered HTTP ${response.status}`);
      const status = await response.json();
      if (!status.operations) throw new Error("/status has no operations section (an older keeper?)");
      render(status);
      document.body.dataset.state = "live";
      banner.hidden = true;
      updated.textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC · every ${INTERVAL_MS / 1000} s`;
    } catch (error) {
      document.body.dataset.state = "error";
      banner.hidden = false;
      banner.textContent = `Cannot read the keeper's status: ${error.message}. Showing the last figures received.`;
    } finally {
      window.setTimeout(poll, INTERVAL_MS);
    }
  }

  poll();
})();
