// The OBS browser source: paints the scene the server sends (/scene) on a transparent canvas,
// lit by the recorder's action events (/events).
//
// The scene is the same list of primitives the Qt templates paint (hindsight/overlay/model/
// templates.py describes each template once); this file only knows how to draw each kind of
// primitive and the rules that turn action events into their states (as scene.py and
// state.py do in Python). Query: token, template (default: the game's own choice),
// scale (1 = a key unit of 40 px, as on a 1080p video), accent (hex without '#').
"use strict";
(() => {
  const q = new URLSearchParams(location.search);
  const TOKEN = q.get("token") || "";
  const TEMPLATE = q.get("template") || "";
  const SCALE = Math.min(4, Math.max(0.25, parseFloat(q.get("scale") || "1") || 1));
  const ACCENT = /^[0-9a-fA-F]{6}$/.test(q.get("accent") || "") ? q.get("accent") : null;
  const canvas = document.getElementById("c");
  let ctx = canvas.getContext("2d");  // swapped for an offscreen one while a part is cut to shape
  const now = () => performance.now();
  let scene = null, version = null, U = 40 * SCALE;
  const S = {context: "unfocused", held: new Set(), lastPress: {}, axes: {}, dirs: {}, deltas: [], counted: [],
             history: []};

  // ---- colours and shapes ----
  function rgba(name, alpha) {
    let c = scene.colours[name];
    if (name === "accent" && ACCENT) c = [0, 2, 4].map(i => parseInt(ACCENT.slice(i, i + 2), 16)).concat([255]);
    return css(c, alpha === undefined ? c[3] : alpha);
  }
  function css(c, a) { return `rgba(${Math.round(c[0])},${Math.round(c[1])},${Math.round(c[2])},${a / 255})`; }
  function accentLighter() {  // as QColor.lighter: scale the HSV value, spill over into less saturation
    const m = /rgba\((\d+),(\d+),(\d+)/.exec(rgba("accent")), [r, g, b] = [m[1], m[2], m[3]].map(Number);
    const mx = Math.max(r, g, b), mn = Math.min(r, g, b);
    let v = mx * scene.lit_top_lighter / 100, s = mx ? (mx - mn) * 255 / mx : 0;
    if (v > 255) { s = Math.max(0, s - (v - 255)); v = 255; }
    if (mx === mn) return css([v, v, v], 255);
    const k = c => v - v * (s / 255) * (mx - c) / (mx - mn);
    return css([k(r), k(g), k(b)], 255);
  }
  function rrPath(x, y, w, h, r) {
    r = Math.max(0, Math.min(r, w / 2, h / 2)); ctx.moveTo(x + r, y);
    ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath();
  }
  function rr(x, y, w, h, r) { ctx.beginPath(); rrPath(x, y, w, h, r); }
  function fill(style) { ctx.fillStyle = style; ctx.fill(); }
  function stroke(name, widthU, least) { ctx.strokeStyle = rgba(name); ctx.lineWidth = Math.max(least || 1, U * widthU); ctx.stroke(); }
  function font(px, bold) { return `${bold === false ? 500 : 700} ${Math.max(6, Math.round(px))}px ${scene.fonts.map(f => f === "sans-serif" ? f : `"${f}"`).join(",")}`; }
  function text(label, x, y, w, h, colour, sizeU, align, bold) {
    let px = Math.max(6, Math.round(U * sizeU)); ctx.font = font(px, bold);
    const width = ctx.measureText(label).width;  // long labels shrink to fit instead of being cut
    if (width > w * 0.9) { px = Math.max(6, Math.floor(px * w * 0.9 / width)); ctx.font = font(px, bold); }
    ctx.fillStyle = colour; ctx.textBaseline = "middle"; ctx.textAlign = align || "center";
    const tx = align === "left" ? x : align === "right" ? x + w : x + w / 2;
    ctx.fillText(label, tx, y + h / 2 + px * 0.04);
  }
  function bodyPath(it) {
    ctx.beginPath();
    for (const [x, y, w, h, r, a] of it.parts) {
      ctx.save(); const cx = (x + w / 2) * U, cy = (y + h / 2) * U;
      ctx.translate(cx, cy); ctx.rotate(a * Math.PI / 180); ctx.translate(-cx, -cy);
      rrPath(x * U, y * U, w * U, h * U, r * U); ctx.restore();
    }
  }

  // ---- one painter per primitive (as hindsight/overlay/qt/painter.py) ----
  const P = {
    panel(it) {
      const [x, y, w, h, r] = [it.x * U, it.y * U, it.w * U, it.h * U, it.r * U];
      [26, 20, 14, 8].forEach((a, i) => { const g = U * 0.05 * (i + 1);
        rr(x - g, y - g + U * 0.06, w + 2 * g, h + 2 * g + U * 0.04, r + g); fill(`rgba(0,0,0,${a / 255})`); });
      rr(x, y, w, h, r); fill(rgba("panel")); stroke("panel_edge", 0.025);
    },
    cap(it, lit) {
      const [x, y, w, h, r] = [it.x * U, it.y * U, it.w * U, it.h * U, it.r * U];
      let colour;
      if (lit) {
        for (const [g, a] of [[U * 0.16, 45], [U * 0.08, 80]]) { rr(x - g, y - g, w + 2 * g, h + 2 * g, r + g); fill(rgba("accent", a)); }
        const grad = ctx.createLinearGradient(0, y, 0, y + h); grad.addColorStop(0, accentLighter()); grad.addColorStop(1, rgba("accent"));
        rr(x, y, w, h, r); fill(grad); colour = rgba("accent_label");
      } else if (it.bound) {
        rr(x, y + U * 0.06, w, h, r); fill(rgba("shadow"));
        const grad = ctx.createLinearGradient(0, y, 0, y + h); grad.addColorStop(0, rgba("cap_top")); grad.addColorStop(1, rgba("cap"));
        rr(x, y, w, h, r); fill(grad); stroke("cap_edge", 0.025); colour = rgba("label");
      } else { rr(x, y, w, h, r); fill(rgba("cap_idle")); colour = rgba("label_idle"); }
      if (it.label) text(it.label, x, y, w, h, colour, it.text);
    },
    body(it) {
      [30, 20, 12].forEach((a, i) => { ctx.save(); ctx.translate(0, U * 0.05 * (i + 2)); bodyPath(it); fill(`rgba(0,0,0,${a / 255})`); ctx.restore(); });
      // The edge of the union only: stroke every part, then cut the parts' insides out again.
      const off = document.createElement("canvas"); off.width = canvas.width; off.height = canvas.height;
      const main = ctx; ctx = off.getContext("2d");
      bodyPath(it); ctx.strokeStyle = rgba("panel_edge"); ctx.lineWidth = 2 * Math.max(1, U * 0.03); ctx.stroke();
      ctx.globalCompositeOperation = "destination-out"; fill("#000"); ctx = main;
      bodyPath(it); fill(rgba("panel")); ctx.drawImage(off, 0, 0);
    },
    well(it) {
      const [cx, cy, r] = [it.cx * U, it.cy * U, it.r * U];
      ctx.beginPath(); ctx.arc(cx, cy, r, 0, 2 * Math.PI); fill(rgba(it.fill)); stroke("cap_edge", 0.03);
      if (it.cross) { ctx.beginPath(); ctx.moveTo(cx - r * 0.25, cy); ctx.lineTo(cx + r * 0.25, cy);
        ctx.moveTo(cx, cy - r * 0.25); ctx.lineTo(cx, cy + r * 0.25); stroke("label_idle", 0.02); }
    },
    stick(it, [qx, qy, click]) {
      const r = it.r * U, tx = it.cx * U + qx / scene.steps * r * 0.45, ty = it.cy * U - qy / scene.steps * r * 0.45;
      ctx.beginPath(); ctx.arc(tx, ty, r * 0.58, 0, 2 * Math.PI); fill(click ? rgba("accent") : rgba("cap_top")); stroke("cap_edge", 0.03);
      if ((Math.abs(qx) > 1 || Math.abs(qy) > 1) && !click) { ctx.beginPath(); ctx.arc(tx, ty, r * 0.58, 0, 2 * Math.PI); stroke("accent", 0.08, 1.5); }
    },
    trigger(it, step) {
      const [x, y, w, h, r] = [it.x * U, it.y * U, it.w * U, it.h * U, it.r * U], v = step / scene.steps;
      if (v <= 0) return P.cap({...it, bound: true}, false);
      ctx.save(); rr(x, y, w, h, r); ctx.clip(); ctx.fillStyle = rgba("accent"); ctx.fillRect(x, y + h * (1 - v), w, h * v); ctx.restore();
      text(it.label, x, y, w, h, v > 0.5 ? rgba("accent_label") : rgba("label"), 0.32);
    },
    mouse_body(it) {
      const [x, y, w, h, r] = [it.x * U, it.y * U, it.w * U, it.h * U, it.r * U];
      rr(x, y + U * 0.06, w, h, r); fill(rgba("shadow")); rr(x, y, w, h, r); fill(rgba("cap_idle")); stroke("cap_edge", 0.025);
    },
    mouse_button(it, lit) {
      const [bx, by, bw, bh, br] = it.body.map(v => v * U);
      ctx.save(); rr(bx, by, bw, bh, br); ctx.clip();
      ctx.fillStyle = rgba(lit ? "accent" : it.bound ? "cap" : "cap_idle"); ctx.fillRect(it.x * U, it.y * U, it.w * U, it.h * U); ctx.restore();
    },
    fill(it, lit) {
      rr(it.x * U, it.y * U, it.w * U, it.h * U, it.r * U); fill(rgba(lit ? "accent" : it.bound ? "cap_top" : "cap_idle"));
      if (!lit) stroke("cap_edge", 0.02);
    },
    chevron(it, lit) {
      const cx = it.cx * U, tip = it.tip * U, half = it.half * U, base = tip - it.sign * half;
      ctx.beginPath(); ctx.moveTo(cx - half, base); ctx.lineTo(cx + half, base); ctx.lineTo(cx, tip); ctx.closePath();
      fill(rgba(lit ? "accent" : "label_idle"));
    },
    needle(it, [direction, length]) {
      if (!length) return;
      const [dirs, lengths] = scene.needle, a = direction * 2 * Math.PI / dirs, r = it.r * U;
      const cx = it.cx * U, cy = it.cy * U, tx = cx + Math.cos(a) * length / lengths * r, ty = cy + Math.sin(a) * length / lengths * r;
      ctx.lineCap = "round"; ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(tx, ty); stroke("accent", 0.08, 1.5); ctx.lineCap = "butt";
      ctx.beginPath(); ctx.arc(tx, ty, U * 0.11, 0, 2 * Math.PI); fill(rgba("accent"));
    },
    text(it) { text(it.text, it.x * U, it.y * U, it.w * U, it.h * U, rgba(it.colour), it.size, it.align, it.bold); },
    meter(it, apm) {
      rr(it.x * U, it.y * U, it.w * U * (apm ? Math.min(1, apm / it.full) : 1), it.h * U, it.r * U);
      fill(rgba(apm ? "accent" : "cap_idle"));
    },
    counter(it, apm) { text(String(apm), it.x * U, it.y * U, it.w * U, it.h * U, rgba("label"), it.size, "right"); },
    history_row(it, row) {
      if (!row) return;
      const [label, duration, active] = row, [x, y, w, h] = [it.x * U, it.y * U, it.w * U, it.h * U];
      ctx.globalAlpha = Math.max(0.35, 1 - it.index * 0.13);  // older entries recede
      rr(x, y, w, h, 0.14 * U); fill(active ? rgba("accent", 60) : rgba("cap_idle"));
      if (active) { rr(x, y, 0.12 * U, h, 0.06 * U); fill(rgba("accent")); }
      const tx = x + 0.3 * U, tw = w - 0.55 * U;
      text(label, tx, y, tw * 0.68, h, rgba("label"), 0.34, "left");
      text(duration, tx + tw * 0.6, y, tw * 0.4, h, active ? rgba("accent") : rgba("muted"), 0.3, "right", false);
      ctx.globalAlpha = 1;
    },
  };

  // ---- states (as Scene.state in hindsight/overlay/model/scene.py) ----
  function lit(action) { return S.held.has(action) || now() - (S.lastPress[action] ?? -1e9) < scene.state.min_visible_ms; }
  function isOn(l) {
    if (l.context !== S.context) return false;
    const k = scene.kinds[l.action];
    if (k === "button") return lit(l.action);
    if (k === "axis1d" || k === "axis2d") {
      const v = S.axes[l.action] || [0, 0];
      if (l.axis === null) return Math.max(Math.abs(v[0]), Math.abs(v[1])) > scene.axis_light;
      return (l.axis === "x" ? v[0] : v[1]) * l.sign > scene.axis_light;
    }
    return false;
  }
  const anyOn = lights => lights.some(isOn);
  function look(action) {
    let dx = 0, dy = 0;
    for (const d of S.deltas) if (d[1] === action) { dx += d[2]; dy += d[3]; }
    const k = 1000 / scene.state.look_window_ms; return [dx * k, dy * k];
  }
  function needle(lights) {
    let x = 0, y = 0;
    for (const l of lights) if (l.context === S.context) {
      const [dx, dy] = look(l.action), speed = Math.hypot(dx, dy);
      if (speed >= 1) { const len = Math.min(1, Math.log1p(speed / 60) / Math.log1p(scene.speed_full / 60)); x = dx / speed * len; y = -dy / speed * len; }
      break;
    }
    const length = Math.hypot(x, y), [dirs, lengths] = scene.needle;
    if (length < 0.05) return [0, 0];
    return [((Math.round(Math.atan2(y, x) / (2 * Math.PI) * dirs) % dirs) + dirs) % dirs, Math.min(lengths, Math.max(1, Math.ceil(length * lengths)))];
  }
  function apm() {
    const t = now(), window = scene.state.apm_window_s * 1000;
    S.counted = S.counted.filter(c => c > t - window); return Math.round(S.counted.length * 60 / scene.state.apm_window_s);
  }
  function state(it) {
    switch (it.kind) {
      case "cap": case "mouse_button": case "fill": case "chevron": return anyOn(it.lights);
      case "trigger": {
        let best = 0;
        for (const l of it.lights) { if (l.context !== S.context) continue;
          if (scene.kinds[l.action] === "axis1d") best = Math.max(best, Math.min(1, Math.abs((S.axes[l.action] || [0])[0])));
          else if (isOn({...l, axis: null})) best = 1; }
        return Math.round(best * scene.steps);
      }
      case "stick": {
        let v = [0, 0];
        for (const l of it.lights) if (l.context === S.context && scene.kinds[l.action] === "axis2d") { v = S.axes[l.action] || [0, 0]; break; }
        return [Math.round(v[0] * scene.steps), Math.round(v[1] * scene.steps), anyOn(it.click)];
      }
      case "needle": return needle(it.lights);
      case "meter": case "counter": return apm();
      case "history_row": {
        const e = S.history[it.index]; if (!e) return null;
        const active = e.end === null, ms = (active ? now() : e.end) - e.start;
        const label = (scene.labels[e.action] || e.action) + (e.arrow ? " " + e.arrow : "");
        return [label, ms < scene.tap_ms && !active ? "tap" : (ms / 1000).toFixed(2) + "s", active];
      }
    }
    return null;
  }

  // ---- two passes, as the Qt template: rest, then what is live (layer 0 stays behind the body) ----
  function draw() {
    requestAnimationFrame(draw);
    if (!scene) return;
    const t = now(); S.deltas = S.deltas.filter(d => d[0] > t - scene.state.look_window_ms);
    const w = Math.floor(scene.w * U + 1) - Math.floor(scene.w * U + 1) % 2 + 2, h = Math.floor(scene.h * U + 1) - Math.floor(scene.h * U + 1) % 2 + 2;
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    ctx.clearRect(0, 0, w, h);
    for (const it of scene.items) if (it.drawn !== "always") P[it.kind](it, it.drawn === "static" ? null : 0);
    const bodies = scene.items.filter(it => it.kind === "body");
    for (const it of scene.items) {
      if (it.drawn === "static") continue;
      const s = state(it);
      if (it.drawn === "lit" && !s && !it.on_top) continue;
      if (it.layer === 0 && bodies.length) {
        const off = document.createElement("canvas"); off.width = w; off.height = h;
        const main = ctx; ctx = off.getContext("2d"); P[it.kind](it, s);
        ctx.globalCompositeOperation = "destination-out"; for (const b of bodies) { bodyPath(b); fill("#000"); }
        ctx = main; ctx.drawImage(off, 0, 0);
      } else P[it.kind](it, s);
    }
  }

  // ---- the live channel (as LiveActionState in hindsight/overlay/model/state.py) ----
  function direction(x, y) { if (Math.hypot(x, y) <= scene.axis_light) return 0; return 1 + ((Math.round(Math.atan2(y, x) / (Math.PI / 4)) % 8) + 8) % 8; }
  function closeHistory(action, t) { for (const e of S.history) if (e.action === action && e.end === null) e.end = t; }
  function onAction(d) {
    if (!scene) return;
    const t = now(), k = scene.kinds[d.action];
    if (k === "button") {
      if (d.edge === "press") { S.held.add(d.action); S.lastPress[d.action] = t; S.counted.push(t); S.history.unshift({action: d.action, arrow: "", start: t, end: null}); }
      else if (d.edge === "release") { S.held.delete(d.action); closeHistory(d.action, t); }
    } else if (k === "axis1d" || k === "axis2d") {
      S.axes[d.action] = [d.x, d.y]; const dir = direction(d.x, d.y);
      if (dir !== (S.dirs[d.action] || 0)) { S.dirs[d.action] = dir; closeHistory(d.action, t);
        if (dir) { S.counted.push(t); S.history.unshift({action: d.action, arrow: scene.arrows[dir], start: t, end: null}); } }
    } else if (k === "delta2d") S.deltas.push([t, d.action, d.x, d.y]);
    S.history.length = Math.min(S.history.length, scene.state.history_len);
  }
  async function loadScene() {
    const tpl = TEMPLATE ? `&template=${encodeURIComponent(TEMPLATE)}` : "";
    const r = await fetch(`/scene?token=${encodeURIComponent(TOKEN)}${tpl}`, {cache: "no-store"});
    if (!r.ok) throw new Error("scene " + r.status);
    const s = await r.json(); scene = s; version = s.version; U = s.unit_px * SCALE;
  }
  function connect() {
    const es = new EventSource(`/events?token=${encodeURIComponent(TOKEN)}`);
    es.addEventListener("state", e => { const d = JSON.parse(e.data); S.context = d.context; S.held = new Set(d.held); S.axes = d.values || {};
      const t = now(); for (const h of S.history) if (h.end === null) h.end = t; if (d.layout !== version) loadScene(); });
    es.addEventListener("context", e => { S.context = JSON.parse(e.data).context; });
    es.addEventListener("layout", e => { if (JSON.parse(e.data).version !== version) loadScene(); });
    es.addEventListener("action", e => onAction(JSON.parse(e.data)));
    es.onerror = () => { es.close(); setTimeout(() => loadScene().then(connect, () => setTimeout(connect, 1000)), 1000); };
  }
  loadScene().then(connect, () => setTimeout(connect, 1000));
  requestAnimationFrame(draw);
})();
