"""The OBS browser source page: HTML + canvas JavaScript drawing the four overlay templates.

The page is self-contained (no external requests): it reads its token from its own
URL, fetches ``/layout`` and follows ``/events``; it draws on a transparent
background, the same templates and theme as the Qt overlay. ``?scale=`` sizes it
(1 = a key unit of 40 px, as on a 1080p video). Reconnects on its own.
"""

from __future__ import annotations

import json

__all__ = ["overlay_page"]

_PAGE = r"""<!doctype html>
<html><head><meta charset="utf-8"><title>Hindsight overlay</title>
<style>html,body{margin:0;padding:0;background:transparent;overflow:hidden}canvas{display:block}</style>
</head><body><canvas id="c"></canvas>
<script>
"use strict";
const TEMPLATE = __TEMPLATE__;
const q = new URLSearchParams(location.search);
const TOKEN = q.get("token") || "";
const SCALE = Math.min(4, Math.max(0.25, parseFloat(q.get("scale") || "1") || 1));
const U = 40 * SCALE, PAD = 0.3 * U;
const ACCENT = /^[0-9a-fA-F]{6}$/.test(q.get("accent") || "") ? "#" + q.get("accent") : null;
const MIN_VISIBLE = 100, LOOK_WINDOW = 100, APM_WINDOW = 10000, HISTORY = 6;
const ARROWS = ["", "\u2192", "\u2197", "\u2191", "\u2196", "\u2190", "\u2199", "\u2193", "\u2198"];
const canvas = document.getElementById("c"), ctx = canvas.getContext("2d");
let layout = null, version = -1, kinds = {}, labels = {}, axisLight = 0.3;
const S = {context: "unfocused", held: new Set(), lastPress: {}, axes: {}, dirs: {}, deltas: [], counted: [], history: []};
const now = () => performance.now();

function rgba(name, alpha) {
  if (name === "accent" && ACCENT) { const c = ACCENT; return alpha === undefined ? c : c + Math.round(alpha).toString(16).padStart(2, "0"); }
  const t = layout.theme[name]; const a = alpha === undefined ? t[3] : alpha;
  return `rgba(${t[0]},${t[1]},${t[2]},${a / 255})`;
}
function rr(x, y, w, h, r) {
  r = Math.max(0, Math.min(r, w / 2, h / 2)); ctx.beginPath(); ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath();
}
function font(px, bold) { return `${bold === false ? 500 : 700} ${Math.max(6, Math.round(px))}px "DejaVu Sans","Noto Sans","Segoe UI",Arial,sans-serif`; }
function text(label, x, y, w, h, color, sizeU, align, bold) {
  let px = U * sizeU; ctx.font = font(px, bold);
  const width = ctx.measureText(label).width;
  if (width > w * 0.9) { px = px * w * 0.9 / width; ctx.font = font(px, bold); }
  ctx.fillStyle = color; ctx.textBaseline = "middle";
  ctx.textAlign = align || "center";
  const tx = align === "left" ? x : align === "right" ? x + w : x + w / 2;
  ctx.fillText(label, tx, y + h / 2 + px * 0.04);
}
function panel(x, y, w, h, r) {
  [26, 20, 14, 8].forEach((a, i) => { const g = U * 0.05 * (i + 1); ctx.fillStyle = `rgba(0,0,0,${a / 255})`;
    rr(x - g, y - g + U * 0.06, w + 2 * g, h + 2 * g + U * 0.04, r + g); ctx.fill(); });
  ctx.fillStyle = rgba("panel"); rr(x, y, w, h, r); ctx.fill();
  ctx.strokeStyle = rgba("panel_edge"); ctx.lineWidth = Math.max(1, U * 0.025); ctx.stroke();
}
function cap(x, y, w, h, label, state, radius) {
  const r = radius === undefined ? U * 0.16 : radius;
  let color;
  if (state === "lit") {
    [[U * 0.16, 45], [U * 0.08, 80]].forEach(([g, a]) => { ctx.fillStyle = rgba("accent", a); rr(x - g, y - g, w + 2 * g, h + 2 * g, r + g); ctx.fill(); });
    ctx.fillStyle = rgba("accent"); rr(x, y, w, h, r); ctx.fill();
    const shine = ctx.createLinearGradient(0, y, 0, y + h); shine.addColorStop(0, "rgba(255,255,255,0.22)"); shine.addColorStop(1, "rgba(255,255,255,0)");
    ctx.fillStyle = shine; ctx.fill(); color = rgba("accent_label");
  } else if (state === "bound") {
    ctx.fillStyle = rgba("shadow"); rr(x, y + U * 0.06, w, h, r); ctx.fill();
    const g = ctx.createLinearGradient(0, y, 0, y + h); g.addColorStop(0, rgba("cap_top")); g.addColorStop(1, rgba("cap"));
    ctx.fillStyle = g; rr(x, y, w, h, r); ctx.fill();
    ctx.strokeStyle = rgba("cap_edge"); ctx.lineWidth = Math.max(1, U * 0.025); ctx.stroke(); color = rgba("label");
  } else { ctx.fillStyle = rgba("cap_idle"); rr(x, y, w, h, r); ctx.fill(); color = rgba("label_idle"); }
  if (label) text(label, x, y, w, h, color, label.length <= 2 ? 0.4 : 0.3);
}
function on(lights) {
  return (lights || []).some(l => {
    if (l.context !== S.context) return false;
    const k = kinds[l.action];
    if (k === "button") return lit(l.action);
    if (k === "axis1d" || k === "axis2d") {
      const v = S.axes[l.action] || [0, 0];
      if (l.axis === null) return Math.max(Math.abs(v[0]), Math.abs(v[1])) > axisLight;
      return (l.axis === "x" ? v[0] : v[1]) * l.sign > axisLight;
    }
    return false;
  });
}
function lit(action) { return S.held.has(action) || (now() - (S.lastPress[action] || -1e9)) < MIN_VISIBLE; }
function look() {
  const lights = (layout.mouse || {}).delta || [];
  for (const l of lights) if (l.context === S.context) {
    let dx = 0, dy = 0; for (const d of S.deltas) if (d[1] === l.action) { dx += d[2]; dy += d[3]; }
    return [dx * 1000 / LOOK_WINDOW, dy * 1000 / LOOK_WINDOW];
  }
  return [0, 0];
}

// ---- templates (same geometry as hindsight/overlay/templates) ----
function sizeOf() {
  if (TEMPLATE === "keyboard_mouse") {
    const m = !!Object.keys(layout.mouse).length, kh = Math.max(layout.keys_h, m ? 3.9 : 0);
    const w = layout.keys_w + (m ? 2.3 + (layout.keys.length ? 0.35 : 0) : 0);
    return [w * U + 0.5 * U, kh * U + 0.5 * U];
  }
  if (TEMPLATE === "controller") return [9 * U + 0.4 * U, 6.2 * U + 0.4 * U];
  if (TEMPLATE === "apm") return [4.2 * U, 1.7 * U];
  return [5.2 * U, (HISTORY * 0.72 + 0.3) * U];
}
function drawKeyboardMouse() {
  const [w, h] = sizeOf(); panel(PAD, PAD, w, h, U * 0.3);
  const mouse = layout.mouse, hasMouse = !!Object.keys(mouse).length, inner = 0.25 * U;
  const kh = Math.max(layout.keys_h, hasMouse ? 3.9 : 0);
  const ox = PAD + inner, oy = PAD + inner + (kh - layout.keys_h) * U, gap = 0.08;
  for (const k of layout.keys) {
    const x = ox + (k.x + gap / 2) * U, y = oy + (k.y + gap / 2) * U, cw = (k.w - gap) * U, ch = (k.h - gap) * U;
    cap(x, y, cw, ch, k.label, k.lights.length ? (on(k.lights) ? "lit" : "bound") : "idle");
  }
  if (!hasMouse) return;
  const mx = PAD + inner + (layout.keys_w + (layout.keys.length ? 0.35 : 0)) * U, my = PAD + inner + (kh - 3.9) * U;
  const mw = 2.3 * U, mh = 3.9 * U, top = mh * 0.42, half = mw / 2, g = U * 0.05, br = mw * 0.48;
  ctx.fillStyle = rgba("shadow"); rr(mx, my + U * 0.06, mw, mh, br); ctx.fill();
  ctx.fillStyle = rgba("cap_idle"); rr(mx, my, mw, mh, br); ctx.fill();
  ctx.strokeStyle = rgba("cap_edge"); ctx.lineWidth = Math.max(1, U * 0.025); ctx.stroke();
  for (const [name, bx] of [["left", mx], ["right", mx + half + g]]) {
    ctx.save(); rr(mx, my, mw, mh, br); ctx.clip();
    ctx.fillStyle = on(mouse[name]) ? rgba("accent") : (mouse[name] ? rgba("cap") : rgba("cap_idle"));
    ctx.fillRect(bx, my, half - g, top); ctx.restore();
  }
  const side = [["x2", my + top + U * 0.25], ["x1", my + top + U * 0.25 + U * 0.65]];
  for (const [name, sy] of side) if (mouse[name]) {
    ctx.fillStyle = on(mouse[name]) ? rgba("accent") : rgba("cap_top");
    rr(mx - U * 0.22 * 0.55, sy, U * 0.22, U * 0.55, U * 0.08); ctx.fill();
  }
  const ww = U * 0.34, wh = top * 0.42, wx = mx + mw / 2 - ww / 2, wy = my + top * 0.34;
  ctx.fillStyle = on(mouse.middle) ? rgba("accent") : (mouse.middle ? rgba("cap_top") : rgba("cap_idle"));
  rr(wx, wy, ww, wh, U * 0.17); ctx.fill();
  for (const [name, sign] of [["wheel_up", -1], ["wheel_down", 1]]) if (mouse[name]) {
    const cx = wx + ww / 2, tip = sign < 0 ? wy - U * 0.08 : wy + wh + U * 0.08, base = tip - sign * U * 0.14, hw = U * 0.14;
    ctx.fillStyle = on(mouse[name]) ? rgba("accent") : rgba("label_idle");
    ctx.beginPath(); ctx.moveTo(cx - hw, base); ctx.lineTo(cx + hw, base); ctx.lineTo(cx, tip); ctx.closePath(); ctx.fill();
  }
  if (!mouse.delta) return;
  const dr = Math.min(mw, mh - top) * 0.3, dcx = mx + mw / 2, dcy = my + top + (mh - top) * 0.48;
  ctx.fillStyle = "rgba(0,0,0,0.27)"; ctx.beginPath(); ctx.arc(dcx, dcy, dr, 0, 2 * Math.PI); ctx.fill();
  ctx.strokeStyle = rgba("cap_edge"); ctx.lineWidth = Math.max(1, U * 0.03); ctx.stroke();
  ctx.strokeStyle = rgba("label_idle"); ctx.lineWidth = Math.max(1, U * 0.02); ctx.beginPath();
  ctx.moveTo(dcx - dr * 0.25, dcy); ctx.lineTo(dcx + dr * 0.25, dcy); ctx.moveTo(dcx, dcy - dr * 0.25); ctx.lineTo(dcx, dcy + dr * 0.25); ctx.stroke();
  const [lx, ly] = look(), speed = Math.hypot(lx, ly);
  if (speed >= 1) {
    const len = Math.min(1, Math.log1p(speed / 60) / Math.log1p(4000 / 60));
    const tx = dcx + lx / speed * len * dr, ty = dcy - ly / speed * len * dr;
    ctx.strokeStyle = rgba("accent"); ctx.lineWidth = Math.max(1.5, U * 0.08); ctx.lineCap = "round";
    ctx.beginPath(); ctx.moveTo(dcx, dcy); ctx.lineTo(tx, ty); ctx.stroke();
    ctx.fillStyle = rgba("accent"); ctx.beginPath(); ctx.arc(tx, ty, U * 0.11, 0, 2 * Math.PI); ctx.fill();
  }
}
const ROUND = {left_stick: [2.25, 2.75, 0.85], right_stick: [5.95, 4.35, 0.85], north: [6.8, 1.95, 0.36], south: [6.8, 3.45, 0.36],
  west: [6.05, 2.7, 0.36], east: [7.55, 2.7, 0.36], guide: [4.5, 1.95, 0.32], back: [3.75, 2.75, 0.2], start: [5.25, 2.75, 0.2]};
const FACE = {north: "Y", south: "A", west: "X", east: "B"};
const DPAD = {dpad_up: [3.05, 3.65, 0.5, 0.6], dpad_down: [3.05, 4.85, 0.5, 0.6], dpad_left: [2.45, 4.25, 0.6, 0.5], dpad_right: [3.65, 4.25, 0.6, 0.5]};
const SHOULDERS = {left_shoulder: [0.9, 0.78, 2.5, 0.78, "LB"], right_shoulder: [5.6, 0.78, 2.5, 0.78, "RB"]};
const TRIGGERS = {left_trigger: [1.35, 0, 1.6, 0.72, "LT"], right_trigger: [6.05, 0, 1.6, 0.72, "RT"]};
function drawController() {
  const o = PAD + 0.2 * U, X = x => o + x * U, pad = layout.pad;
  const stick = name => { for (const l of pad[name] || []) if (l.context === S.context && kinds[l.action] === "axis2d") return S.axes[l.action] || [0, 0]; return [0, 0]; };
  const trig = name => { let b = 0; for (const l of pad[name] || []) { if (l.context !== S.context) continue;
    if (kinds[l.action] === "axis1d") b = Math.max(b, Math.abs((S.axes[l.action] || [0])[0])); else if (on([{...l, axis: null}])) b = 1; } return b; };
  for (const [name, [x, y, w, h, label]] of Object.entries(TRIGGERS)) {
    const v = trig(name); cap(X(x), X(y), w * U, h * U, v > 0 ? "" : label, "bound", 0.2 * U);
    if (v > 0) { ctx.save(); rr(X(x), X(y), w * U, h * U, 0.2 * U); ctx.clip(); ctx.fillStyle = rgba("accent");
      ctx.fillRect(X(x), X(y) + h * U * (1 - v), w * U, h * U * v); ctx.restore();
      text(label, X(x), X(y), w * U, h * U, v > 0.5 ? rgba("accent_label") : rgba("label"), 0.32); }
  }
  for (const [name, [x, y, w, h, label]] of Object.entries(SHOULDERS)) cap(X(x), X(y), w * U, (h - 0.28) * U, label, on(pad[name]) ? "lit" : "bound", 0.22 * U);
  const body = () => { ctx.beginPath(); rrAdd(X(0.7), X(1.3), 7.6 * U, 3.3 * U, 1.4 * U);
    for (const [gx, a] of [[0.35, 14], [5.95, -14]]) { ctx.save(); const cx = X(gx + 1.35), cy = X(2.1 + 2.0);
      ctx.translate(cx, cy); ctx.rotate(a * Math.PI / 180); ctx.translate(-cx, -cy);
      rrAdd(X(gx), X(2.1), 2.7 * U, 4.0 * U, 1.3 * U); ctx.restore(); } };
  [30, 20, 12].forEach((a, i) => { ctx.save(); ctx.translate(0, U * 0.05 * (i + 2)); body(); ctx.fillStyle = `rgba(0,0,0,${a / 255})`; ctx.fill("nonzero"); ctx.restore(); });
  body(); ctx.fillStyle = rgba("panel"); ctx.fill("nonzero");
  for (const name of ["left_stick", "right_stick"]) { const [x, y, r] = ROUND[name];
    ctx.fillStyle = "rgba(0,0,0,0.43)"; ctx.beginPath(); ctx.arc(X(x), X(y), r * U, 0, 2 * Math.PI); ctx.fill();
    ctx.strokeStyle = rgba("cap_edge"); ctx.lineWidth = Math.max(1, U * 0.03); ctx.stroke(); }
  for (const [name, [cx, cy, w, h]] of Object.entries(DPAD)) cap(X(cx - w / 2), X(cy - h / 2), w * U, h * U, "", on(pad[name]) ? "lit" : "bound", 0.1 * U);
  for (const name of ["north", "south", "west", "east", "guide", "back", "start"]) { const [x, y, r] = ROUND[name];
    cap(X(x) - r * U, X(y) - r * U, 2 * r * U, 2 * r * U, FACE[name] || "", on(pad[name]) ? "lit" : "bound", r * U); }
  for (const [name, click] of [["left_stick", "left_stick_click"], ["right_stick", "right_stick_click"]]) {
    const [x, y, r] = ROUND[name], [vx, vy] = stick(name), tx = X(x) + vx * r * U * 0.45, ty = X(y) - vy * r * U * 0.45, l = on(pad[click]);
    ctx.fillStyle = l ? rgba("accent") : rgba("cap_top"); ctx.beginPath(); ctx.arc(tx, ty, r * U * 0.58, 0, 2 * Math.PI); ctx.fill();
    ctx.strokeStyle = (!l && (Math.abs(vx) > 0.05 || Math.abs(vy) > 0.05)) ? rgba("accent") : rgba("cap_edge");
    ctx.lineWidth = ctx.strokeStyle === rgba("cap_edge") ? Math.max(1, U * 0.03) : Math.max(1.5, U * 0.08); ctx.stroke();
  }
}
function rrAdd(x, y, w, h, r) { r = Math.min(r, w / 2, h / 2); ctx.moveTo(x + r, y); ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r); ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath(); }
function apm() { const t = now(); S.counted = S.counted.filter(c => c > t - APM_WINDOW); return Math.round(S.counted.length * 60000 / APM_WINDOW); }
function drawApm() {
  const [w, h] = sizeOf(), x = PAD, y = PAD, n = apm(); panel(x, y, w, h, 0.3 * U);
  text("APM", x + 0.3 * U, y + 0.18 * U, 1.4 * U, 0.5 * U, rgba("muted"), 0.34, "left");
  text(String(n), x + 0.3 * U, y + 0.1 * U, w - 0.6 * U, 1.15 * U, rgba("label"), 0.95, "right");
  ctx.fillStyle = rgba("cap_idle"); rr(x + 0.3 * U, y + h - 0.34 * U, w - 0.6 * U, 0.12 * U, 0.06 * U); ctx.fill();
  if (n > 0) { ctx.fillStyle = rgba("accent"); rr(x + 0.3 * U, y + h - 0.34 * U, (w - 0.6 * U) * Math.min(1, n / 400), 0.12 * U, 0.06 * U); ctx.fill(); }
}
function drawHistory() {
  const [w, h] = sizeOf(); panel(PAD, PAD, w, h, 0.3 * U); const t = now();
  S.history.slice(0, HISTORY).forEach((e, i) => {
    const x = PAD + 0.15 * U, y = PAD + (0.15 + i * 0.72) * U, rw = (5.2 - 0.3) * U, rh = 0.62 * U, active = e.end === null;
    const ms = (active ? t : e.end) - e.start;
    ctx.globalAlpha = Math.max(0.35, 1 - i * 0.13);
    ctx.fillStyle = active ? rgba("accent", 60) : rgba("cap_idle"); rr(x, y, rw, rh, 0.14 * U); ctx.fill();
    if (active) { ctx.fillStyle = rgba("accent"); rr(x, y, 0.12 * U, rh, 0.06 * U); ctx.fill(); }
    const tx = x + 0.3 * U, tw = rw - 0.55 * U;
    text((labels[e.action] || e.action) + (e.arrow ? " " + e.arrow : ""), tx, y, tw * 0.68, rh, rgba("label"), 0.34, "left");
    text(ms < 40 && !active ? "tap" : (ms / 1000).toFixed(2) + "s", tx + tw * 0.6, y, tw * 0.4, rh, active ? rgba("accent") : rgba("muted"), 0.3, "right", false);
  });
  ctx.globalAlpha = 1;
}
function draw() {
  requestAnimationFrame(draw);
  if (!layout) return;
  const t = now(); S.deltas = S.deltas.filter(d => d[0] > t - LOOK_WINDOW);
  const [w, h] = sizeOf(), cw = Math.ceil(w + 2 * PAD), ch = Math.ceil(h + 2 * PAD);
  if (canvas.width !== cw || canvas.height !== ch) { canvas.width = cw; canvas.height = ch; }
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ({keyboard_mouse: drawKeyboardMouse, controller: drawController, apm: drawApm, history: drawHistory})[TEMPLATE]();
}

// ---- the live channel ----
function direction(x, y) { if (Math.hypot(x, y) <= axisLight) return 0; return 1 + ((Math.round(Math.atan2(y, x) / (Math.PI / 4)) % 8) + 8) % 8; }
function closeHistory(action, t) { for (const e of S.history) if (e.action === action && e.end === null) e.end = t; }
function onAction(d) {
  const t = now(), k = kinds[d.action];
  if (k === "button") {
    if (d.edge === "press") { S.held.add(d.action); S.lastPress[d.action] = t; S.counted.push(t); S.history.unshift({action: d.action, arrow: "", start: t, end: null}); }
    else if (d.edge === "release") { S.held.delete(d.action); closeHistory(d.action, t); }
  } else if (k === "axis1d" || k === "axis2d") {
    S.axes[d.action] = [d.x, d.y]; const dir = direction(d.x, d.y);
    if (dir !== (S.dirs[d.action] || 0)) { S.dirs[d.action] = dir; closeHistory(d.action, t);
      if (dir) { S.counted.push(t); S.history.unshift({action: d.action, arrow: ARROWS[dir], start: t, end: null}); } }
  } else if (k === "delta2d") S.deltas.push([t, d.action, d.x, d.y]);
  S.history.length = Math.min(S.history.length, HISTORY);
}
async function loadLayout() {
  const r = await fetch(`/layout?token=${encodeURIComponent(TOKEN)}`, {cache: "no-store"});
  if (!r.ok) throw new Error("layout " + r.status);
  const l = await r.json(); layout = l; version = l.version; axisLight = l.axis_light;
  kinds = {}; labels = {}; for (const a of l.actions) { kinds[a.name] = a.kind; labels[a.name] = a.label; }
}
function connect() {
  const es = new EventSource(`/events?token=${encodeURIComponent(TOKEN)}`);
  es.addEventListener("state", e => { const d = JSON.parse(e.data); S.context = d.context; S.held = new Set(d.held); S.axes = d.values || {};
    const t = now(); for (const h of S.history) if (h.end === null) h.end = t; if (d.layout !== version) loadLayout(); });
  es.addEventListener("context", e => { S.context = JSON.parse(e.data).context; });
  es.addEventListener("layout", e => { if (JSON.parse(e.data).version !== version) loadLayout(); });
  es.addEventListener("action", e => onAction(JSON.parse(e.data)));
  es.onerror = () => { es.close(); setTimeout(() => loadLayout().then(connect, () => setTimeout(connect, 1000)), 1000); };
}
loadLayout().then(connect, () => setTimeout(connect, 1000));
requestAnimationFrame(draw);
</script></body></html>
"""


def overlay_page(template: str) -> str:
    """The page for one template (a name from the server's list; inserted as a JSON string)."""
    return _PAGE.replace("__TEMPLATE__", json.dumps(template))
