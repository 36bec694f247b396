// GAN Classroom: the 2-D playground's view (a Streamlit components-v2 component; no library, no CDN).
//
// The server trains in bursts and sends the frames it recorded; this component plays them on a <canvas>
// at the burst's pace, tweening between two frames when they are far apart in time (slow motion, single
// steps), and keeps the last one on screen. Nothing here trains: gan_core.toy2d.ToyTrainer is the game.
//
// data: {run, seq, bounds, real: [x0, y0, x1, ...], frames: [frame, ...], duration (ms to play them),
//        drawing (clicks add points), points: [[x, y], ...], text: {legend strings}, heatSide}
// frame: {it, fake: [x, y, ...], heat: base64 of uint8 (heatSide^2, row 0 at the top; 0..255 over lo..hi),
//         lo, hi, level, arrows: [x, y, dx, dy, ...] (already scaled to plane units), mesh: [x, y, ...],
//         rows, cols}
// Trigger "points": the clicked points, sent after each click (and on Clear).
// Frames drawn are counted in root.dataset.frames and window.__toyFrames (tests, bench/playground_fps.py);
// root.dataset.seq is the last burst or step received.

// Tween between two frames whenever they are further apart than this: a burst that brings fewer frames than the
// display's rate (a busy server trains fewer iterations) still moves smoothly at the display's rate.
const TWEEN_MS = 20;

const TOY = {
  fakeSide: [167, 139, 250],     // D says "fake": violet, light
  realSide: [134, 239, 172],     // D says "real": green, light
  real: "#15803d", fake: "#6d28d9", arrow: "#ea580c", mesh: "rgba(55, 65, 81, 0.38)", contour: "#111827",
  custom: "#0369a1",
};

function toyEl(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function toyDecodeHeat(frame, side) {
  if (frame.heatValues) return frame.heatValues;
  const bin = atob(frame.heat);
  const v = new Float32Array(side * side);
  for (let i = 0; i < v.length; i++) v[i] = frame.lo + (bin.charCodeAt(i) / 255) * (frame.hi - frame.lo);
  frame.heatValues = v;
  return v;
}

function toyLerpArray(a, b, t) {
  if (!a || !b || a.length !== b.length || t >= 1) return b;
  const out = new Float32Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = a[i] + (b[i] - a[i]) * t;
  return out;
}

function toyBuild(root, S) {
  root.textContent = "";
  const wrap = toyEl("div", "toy-wrap", root);
  const canvas = toyEl("canvas", "toy-canvas", wrap);
  canvas.setAttribute("role", "img");
  S.canvas = canvas;
  S.ctx = canvas.getContext("2d");
  S.heatCanvas = document.createElement("canvas");
  S.status = toyEl("div", "toy-status", wrap, "");
  const legend = toyEl("div", "toy-legend", wrap);
  const item = (cls, text) => { const s = toyEl("span", "toy-item", legend); toyEl("i", cls, s); toyEl("span", null, s, text); };
  const t = S.text;
  item("toy-key-real", t.real); item("toy-key-fake", t.fake); item("toy-key-arrow", t.arrows);
  item("toy-key-mesh", t.mesh); item("toy-key-contour", t.contour);
  item("toy-key-heat", t.heat);
  S.drawRow = toyEl("div", "toy-draw", wrap);
  S.drawHint = toyEl("span", "toy-draw-hint", S.drawRow, t.drawHint);
  const clear = toyEl("button", "toy-clear", S.drawRow, t.clear);
  clear.type = "button";
  clear.addEventListener("click", () => { S.points = []; S.send(); S.dirty = true; });
  canvas.addEventListener("pointerdown", (ev) => {
    if (!S.drawing) return;
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    const b = S.bounds;
    const x = ((ev.clientX - r.left) / r.width) * 2 * b - b;
    const y = b - ((ev.clientY - r.top) / r.height) * 2 * b;
    if (Math.abs(x) > b || Math.abs(y) > b || S.points.length >= S.maxPoints) return;
    S.points.push([Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000]);
    S.dirty = true;
    S.send();
  });
  const resize = () => {
    const w = Math.max(200, Math.min(wrap.clientWidth || 480, 560));
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${w}px`; canvas.style.height = `${w}px`;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(w * dpr);
    S.dirty = true;
  };
  resize();
  if (window.ResizeObserver) new ResizeObserver(resize).observe(wrap);
}

function toyPaintHeat(S, heat, level) {
  const n = S.side;
  const hc = S.heatCanvas;
  if (hc.width !== n) { hc.width = n; hc.height = n; S.heatImage = hc.getContext("2d").createImageData(n, n); }
  const img = S.heatImage.data;
  let span = 1e-6;                      // colour by distance from the decision level, symmetric
  for (let i = 0; i < heat.length; i++) span = Math.max(span, Math.abs(heat[i] - level));
  if (S.probabilistic) span = 0.5;
  for (let i = 0; i < heat.length; i++) {
    const t = Math.max(-1, Math.min(1, (heat[i] - level) / span));   // -1 fake ... +1 real
    const c = t < 0 ? TOY.fakeSide : TOY.realSide;
    const a = Math.abs(t);
    img[4 * i] = 255 + (c[0] - 255) * a;
    img[4 * i + 1] = 255 + (c[1] - 255) * a;
    img[4 * i + 2] = 255 + (c[2] - 255) * a;
    img[4 * i + 3] = 255;
  }
  hc.getContext("2d").putImageData(S.heatImage, 0, 0);
  const ctx = S.ctx, W = S.canvas.width;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(hc, 0, 0, n, n, 0, 0, W, W);
}

// Marching squares on the heat grid: the line where D's output crosses `level` (its decision boundary).
function toyContour(S, heat, level) {
  const n = S.side, ctx = S.ctx, cell = S.canvas.width / (n - 1);
  ctx.beginPath();
  const at = (r, c) => heat[r * n + c] - level;
  for (let r = 0; r < n - 1; r++) {
    for (let c = 0; c < n - 1; c++) {
      const v = [at(r, c), at(r, c + 1), at(r + 1, c + 1), at(r + 1, c)];
      const pts = [];
      const edge = (i, j, x0, y0, x1, y1) => {
        if ((v[i] < 0) !== (v[j] < 0)) {
          const t = v[i] / (v[i] - v[j]);
          pts.push([(x0 + (x1 - x0) * t) * cell, (y0 + (y1 - y0) * t) * cell]);
        }
      };
      edge(0, 1, c, r, c + 1, r); edge(1, 2, c + 1, r, c + 1, r + 1);
      edge(3, 2, c, r + 1, c + 1, r + 1); edge(0, 3, c, r, c, r + 1);
      for (let k = 0; k + 1 < pts.length; k += 2) { ctx.moveTo(pts[k][0], pts[k][1]); ctx.lineTo(pts[k + 1][0], pts[k + 1][1]); }
    }
  }
  const dpr = window.devicePixelRatio || 1;
  ctx.strokeStyle = TOY.contour; ctx.lineWidth = 1.6 * dpr; ctx.setLineDash([6 * dpr, 4 * dpr]);
  ctx.stroke(); ctx.setLineDash([]);
}

function toyDraw(S, now) {
  const ctx = S.ctx, W = S.canvas.width, b = S.bounds, dpr = window.devicePixelRatio || 1;
  const px = (x) => ((x + b) / (2 * b)) * W;
  const py = (y) => ((b - y) / (2 * b)) * W;
  const cur = S.current, prev = S.previous;
  let t = 1;
  if (cur && prev && S.interval > TWEEN_MS) t = Math.min(1, (now - S.shownAt) / S.interval);   // tween slow frames
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, W);
  if (cur) {
    const heat = toyLerpArray(prev && toyDecodeHeat(prev, S.side), toyDecodeHeat(cur, S.side), t);
    toyPaintHeat(S, heat, cur.level);
    toyContour(S, heat, cur.level);
  }
  ctx.strokeStyle = "rgba(17, 24, 39, 0.18)"; ctx.lineWidth = dpr;      // axes
  ctx.beginPath(); ctx.moveTo(px(0), 0); ctx.lineTo(px(0), W); ctx.moveTo(0, py(0)); ctx.lineTo(W, py(0)); ctx.stroke();
  if (cur && cur.mesh) {                                                // G's manifold: rows and columns of the z grid
    const m = toyLerpArray(prev && prev.mesh, cur.mesh, t), R = cur.rows, C = cur.cols;
    ctx.strokeStyle = TOY.mesh; ctx.lineWidth = dpr;
    ctx.beginPath();
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
      const i = 2 * (r * C + c);
      if (c === 0) ctx.moveTo(px(m[i]), py(m[i + 1])); else ctx.lineTo(px(m[i]), py(m[i + 1]));
    }
    for (let c = 0; c < C && R > 1; c++) for (let r = 0; r < R; r++) {
      const i = 2 * (r * C + c);
      if (r === 0) ctx.moveTo(px(m[i]), py(m[i + 1])); else ctx.lineTo(px(m[i]), py(m[i + 1]));
    }
    ctx.stroke();
  }
  const dot = (xs, fill, radius) => {
    ctx.fillStyle = fill; ctx.strokeStyle = "#fff"; ctx.lineWidth = 0.8 * dpr;
    for (let i = 0; i + 1 < xs.length; i += 2) {
      ctx.beginPath(); ctx.arc(px(xs[i]), py(xs[i + 1]), radius * dpr, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    }
  };
  if (S.real && !S.drawing) dot(S.real, TOY.real, 3.2);
  if (S.drawing || S.points.length) dot(S.points.flat(), TOY.custom, 4.5);
  if (cur) {
    dot(toyLerpArray(prev && prev.fake, cur.fake, t), TOY.fake, 3.2);
    const a = toyLerpArray(prev && prev.arrows, cur.arrows, t);
    ctx.strokeStyle = TOY.arrow; ctx.fillStyle = TOY.arrow; ctx.lineWidth = 1.5 * dpr;
    for (let i = 0; i + 3 < a.length; i += 4) {
      const x0 = px(a[i]), y0 = py(a[i + 1]), x1 = px(a[i] + a[i + 2]), y1 = py(a[i + 1] + a[i + 3]);
      const len = Math.hypot(x1 - x0, y1 - y0);
      if (len < 1.5 * dpr) continue;
      const ang = Math.atan2(y1 - y0, x1 - x0), h = Math.min(6 * dpr, len * 0.45);
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - h * Math.cos(ang - 0.45), y1 - h * Math.sin(ang - 0.45));
      ctx.lineTo(x1 - h * Math.cos(ang + 0.45), y1 - h * Math.sin(ang + 0.45)); ctx.closePath(); ctx.fill();
    }
  }
  S.drawn += 1;
  window.__toyFrames = (window.__toyFrames || 0) + 1;
  S.root.dataset.frames = String(S.drawn);
  if (cur) S.root.dataset.iteration = String(cur.it);
}

function toyTick(S, now) {
  requestAnimationFrame((t) => toyTick(S, t));
  if (!S.root.isConnected) return;
  let moved = false;
  if (S.queue.length && (!S.current || now - S.shownAt >= S.interval)) {
    if (S.queue.length > 3 * S.burst) S.queue.splice(0, S.queue.length - S.burst);   // fell behind: catch up
    S.previous = S.current;
    S.current = S.queue.shift();
    S.shownAt = now;
    moved = true;
  }
  const tweening = S.previous && S.interval > TWEEN_MS && now - S.shownAt < S.interval + 20;
  if (moved || tweening || S.dirty) {
    S.dirty = false;
    toyDraw(S, now);
    if (S.current) S.status.textContent = S.current.label || String(S.current.it);
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  let root = parentElement.querySelector(".toy-view");
  if (!root) root = toyEl("div", "toy-view", parentElement);
  let S = root.__toy;
  if (!S) {
    S = { root, queue: [], current: null, previous: null, shownAt: 0, interval: 33, burst: 1, drawn: 0,
          seq: null, run: null, points: [], dirty: true, text: data.text || {} };
    root.__toy = S;
    toyBuild(root, S);
    requestAnimationFrame((t) => toyTick(S, t));
  }
  S.send = () => setTriggerValue("points", S.points.slice());
  S.bounds = data.bounds; S.side = data.heatSide; S.maxPoints = data.maxPoints || 500;
  S.probabilistic = !!data.probabilistic; S.playing = !!data.playing;
  S.drawing = !!data.drawing;
  S.drawRow.style.display = S.drawing ? "" : "none";
  S.canvas.classList.toggle("toy-drawing", S.drawing);
  if (!S.drawing || data.run !== S.run) S.points = (data.points || []).map((p) => [p[0], p[1]]);
  S.real = data.real;
  if (data.run !== S.run) { S.run = data.run; S.queue = []; S.current = null; S.previous = null; }
  if (data.seq !== S.seq) {
    S.seq = data.seq;
    root.dataset.seq = String(data.seq);   // a new burst or step arrived (bench/step_latency.py --browser)
    const frames = data.frames || [];
    S.burst = Math.max(1, frames.length);
    // Play a burst over the time bursts actually take to arrive (a busy server sends them late): the view then
    // keeps moving at frames / period instead of running dry and waiting.
    const now = performance.now();
    let period = data.duration;
    if (S.playing && S.lastBurstAt && now - S.lastBurstAt < 4 * data.duration) period = Math.max(period, now - S.lastBurstAt);
    S.lastBurstAt = S.playing ? now : 0;
    S.interval = frames.length ? period / frames.length : 33;
    for (const f of frames) {
      f.fake = Float32Array.from(f.fake); f.arrows = Float32Array.from(f.arrows); f.mesh = Float32Array.from(f.mesh);
      S.queue.push(f);
    }
  }
  S.dirty = true;
}
