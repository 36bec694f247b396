// GAN Classroom: scrub mode, the Streamlit component (components v2) around forward.js.
//
// Draws G(z) in the browser on every slider `input` event (at most once per animation frame), so
// a drag repaints the digit without asking the server. When a slider is let go (`change`) or a digit
// is picked, the z goes back to Python as the trigger "release", and Explore's server-side state
// follows. If the program cannot be loaded or run, the trigger "failed" tells Python to fall back.
//
// data: {digest, src (URL of the program JSON) and gz (of its gzipped copy) or program (the JSON text),
//        model (the program's header: latentDim, conditional, numClasses, outputShape), z, label, visible,
//        range, step, scale, caption, labelOrder and labelNames (the digit picker's order and names)}
//
// The sliders and the digit picker are drawn from data.model at once, while the program loads (a second or so
// on a slow machine's first visit): z can be moved, and a release still reaches the server, from the first
// frame. data-state says "loading" until the program runs here, then "ready" (or "failed").

// The page's words come from Python, translated (data.texts: templates with {name} placeholders).
const GAN_TEXTS = {
  loading: "Loading the generator into your browser…",
  fpsHint: "Drag a slider: frames/s show here",
  more: "More dimensions ({n} more)",
  fps: "G(z) + paint: {ms} ms a frame (room for {room} frames/s) · drawing {fps} frames/s",
  failed: "Scrub mode could not start in this browser: {error}",
};
function ganT(holder, key, vars) {
  const text = (holder.texts && holder.texts[key]) || GAN_TEXTS[key];
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}
const GAN_PROGRAMS = new Map();           // digest -> Promise of a compiled program (one per page)
const GAN_FRAMES_KEPT = 4000;

function ganLoadProgram(data) {
  let p = GAN_PROGRAMS.get(data.digest);
  if (!p) {
    if (data.program) {
      p = Promise.resolve().then(() => ganCompile(JSON.parse(data.program)));
    } else {
      // The gzipped copy where the browser can unpack it (the server then sends it as stored, without
      // compressing it again for every tab), else the plain JSON.
      const packed = Boolean(data.gz) && typeof DecompressionStream === "function";
      const src = packed ? data.gz : data.src;
      p = Promise.resolve().then(() => {     // inside the promise: a bad URL is a failure like any other
        const base = window.location.origin + window.location.pathname.replace(/[^/]*$/, "");
        // The file's name is its content's digest: any copy the browser holds is the right one, so a second tab
        // (or the same model opened again) takes it from the HTTP cache without asking the server.
        return fetch(new URL(src, base).href, { cache: "force-cache" });
      }).then((r) => {
        if (!r.ok) throw new Error(`could not load ${src} (HTTP ${r.status})`);
        return packed ? new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).json() : r.json();
      }).then(ganCompile);
    }
    p.catch(() => GAN_PROGRAMS.delete(data.digest));
    GAN_PROGRAMS.set(data.digest, p);
  }
  return p;
}

function ganEl(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function ganFmt(v) { return (v < 0 ? "\u2212" : "") + Math.abs(v).toFixed(2); }

function ganBuild(root, S, data) {
  root.textContent = "";
  const wrap = ganEl("div", "gan-scrub-wrap", root);
  const left = ganEl("div", "gan-scrub-digit", wrap);
  const canvas = ganEl("canvas", "gan-scrub-canvas", left);
  const [ch, h, w] = S.shape.outputShape;
  canvas.width = w; canvas.height = h;
  canvas.style.width = `${w * data.scale}px`;
  canvas.style.height = `${h * data.scale}px`;
  S.canvas = canvas;
  S.ctx = canvas.getContext("2d");
  S.image = S.ctx.createImageData(w, h);
  S.fps = ganEl("div", "gan-scrub-fps", left, ganT(data, S.model ? "fpsHint" : "loading", {}));
  ganEl("div", "gan-scrub-caption", left, data.caption || "");
  const right = ganEl("div", "gan-scrub-controls", wrap);
  S.labelButtons = [];
  if (S.shape.conditional) {
    const row = ganEl("div", "gan-scrub-labels", right);
    ganEl("span", "gan-scrub-label-title", row, data.labelTitle || "Digit to draw");
    // In the page's order and by the page's names (an InfoGAN's codes sorted and named by the digit each draws).
    const order = data.labelOrder || [...Array(S.shape.numClasses).keys()];
    for (const c of order) {
      const b = ganEl("button", "gan-scrub-label", row, (data.labelNames || {})[c] || String(c));
      b.type = "button";
      b.dataset.code = String(c);
      b.addEventListener("click", () => {
        S.label = c;
        ganMarkLabel(S);
        ganSchedule(S);
        ganRelease(S);
      });
      S.labelButtons.push(b);
    }
  }
  S.sliders = [];
  S.readouts = [];
  const grid = ganEl("div", "gan-scrub-grid", right);
  const dim = S.shape.latentDim;
  let more = null;
  for (let k = 0; k < dim; k++) {
    let parent = grid;
    if (k >= data.visible) {
      if (!more) {
        more = ganEl("details", "gan-scrub-more", right);
        ganEl("summary", null, more, ganT(data, "more", { n: dim - data.visible }));
        more = ganEl("div", "gan-scrub-grid gan-scrub-grid-more", more);
      }
      parent = more;
    }
    const cell = ganEl("label", "gan-scrub-cell", parent);
    const head = ganEl("div", "gan-scrub-head", cell);
    ganEl("span", "gan-scrub-name", head, `z${k + 1}`);
    const out = ganEl("span", "gan-scrub-value", head, ganFmt(S.z[k]));
    const input = ganEl("input", "gan-scrub-slider", cell);
    input.type = "range";
    input.min = String(-data.range); input.max = String(data.range); input.step = String(data.step);
    input.value = String(S.z[k]);
    input.setAttribute("aria-label", `z${k + 1}`);
    input.dataset.dim = String(k);
    input.addEventListener("input", () => {
      S.z[k] = parseFloat(input.value);
      out.textContent = ganFmt(S.z[k]);
      ganSchedule(S);
    });
    input.addEventListener("change", () => ganRelease(S));
    S.sliders.push(input);
    S.readouts.push(out);
  }
  ganMarkLabel(S);
  if (!root.__ganPointer) {                 // once per element, whichever model it shows later
    root.__ganPointer = true;
    root.addEventListener("pointerdown", () => { if (root.__ganScrub) root.__ganScrub.dragging = true; });
    window.addEventListener("pointerup", () => {
      const cur = root.__ganScrub;
      if (cur) { cur.dragging = false; setTimeout(() => ganApplyPending(cur), 0); }
    });
  }
}

function ganMarkLabel(S) {
  S.labelButtons.forEach((b) => b.classList.toggle("active", Number(b.dataset.code) === S.label));
}

function ganSchedule(S) {
  if (S.pending) return;
  S.pending = true;
  requestAnimationFrame(() => { S.pending = false; ganPaint(S); });
}

function ganPaint(S) {
  if (!S.model) return;                     // still loading: the first paint comes when it has loaded
  const t0 = performance.now();
  const values = S.model.run(S.z, S.label);
  ganToRGBA(values, S.image.data);
  S.ctx.putImageData(S.image, 0, 0);
  const t1 = performance.now();
  const interval = S.lastPaint === null ? null : t1 - S.lastPaint;
  S.lastPaint = t1;
  S.frames.push({ at: t1, compute: t1 - t0, interval });
  if (S.frames.length > GAN_FRAMES_KEPT) S.frames.splice(0, S.frames.length - GAN_FRAMES_KEPT);
  S.paints += 1;
  if (t1 - S.lastReadout > 250) {
    S.lastReadout = t1;
    const recent = S.frames.filter((f) => f.at > t1 - 1000);
    const ms = recent.reduce((a, f) => a + f.compute, 0) / recent.length;
    const fps = recent.length > 1 ? (recent.length - 1) * 1000 / (recent[recent.length - 1].at - recent[0].at) : 0;
    S.fps.textContent = ganT(S, "fps", {
      ms: ms.toFixed(1), room: Math.floor(1000 / Math.max(ms, 0.1)), fps: fps ? fps.toFixed(0) : "–" });
  }
}

function ganRelease(S) {
  const z = Array.from(S.z, (v) => Math.round(v * 100) / 100);
  S.sent = { z, label: S.label };
  S.setTriggerValue("release", { z, label: S.label, digest: S.digest });
}

function ganSame(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 0.004) return false;
  return true;
}

// New z / label from Python (Random z, Reset, paste, the server's digit picker): show them, unless a
// drag is under way, in which case they wait for the pointer to go up. Python echoing back the z this
// component sent is no news, and neither is the same data arriving again.
function ganApplyPending(S) {
  const d = S.incoming;
  if (!d || S.dragging) return;
  S.incoming = null;
  const label = d.label === null || d.label === undefined ? 0 : d.label;
  if (S.sent && ganSame(S.sent.z, d.z) && S.sent.label === label) return;
  if (ganSame(Array.from(S.z), d.z) && label === S.label) return;
  for (let k = 0; k < S.z.length && k < d.z.length; k++) {
    S.z[k] = d.z[k];
    S.sliders[k].value = String(d.z[k]);
    S.readouts[k].textContent = ganFmt(d.z[k]);
  }
  S.label = label;
  ganMarkLabel(S);
  ganSchedule(S);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  let root = parentElement.querySelector(".gan-scrub");
  if (!root) root = ganEl("div", "gan-scrub", parentElement);
  let S = root.__ganScrub;
  const label = data.label === null || data.label === undefined ? 0 : data.label;
  if (!S || S.digest !== data.digest) {
    const shape = data.model || {};
    S = { digest: data.digest, model: null, shape, z: Float64Array.from(data.z), label, frames: [], paints: 0,
          lastPaint: null, lastReadout: 0, pending: false, dragging: false, incoming: null, failed: null,
          lastData: { z: data.z, label }, texts: data.texts || {} };
    root.__ganScrub = S;
    root.dataset.state = "loading";
    if (shape.latentDim === data.z.length && shape.outputShape) ganBuild(root, S, data);   // usable at once
    else root.textContent = ganT(data, "loading", {});
  }
  S.texts = data.texts || {};
  S.setTriggerValue = setTriggerValue;
  if (!(S.lastData && ganSame(S.lastData.z, data.z) && S.lastData.label === label)) {
    S.lastData = { z: data.z, label };
    S.incoming = { z: data.z, label };
  }
  if (S.sliders) ganApplyPending(S);
  if (S.model || S.loading) return;
  S.loading = true;
  ganLoadProgram(data).then((model) => {
    if (root.__ganScrub !== S || S.model) return;
    if (model.latentDim !== S.z.length) throw new Error(`the program takes ${model.latentDim}-d z, the page has ${S.z.length}`);
    if (!S.sliders) {                       // no header came with the data: drawn from the program itself
      S.shape = model;
      ganBuild(root, S, data);
      ganApplyPending(S);
    }
    S.model = model;
    S.fps.textContent = ganT(S, "fpsHint", {});
    root.dataset.state = "ready";
    ganPaint(S);
  }).catch((err) => {
    if (root.__ganScrub !== S) return;
    S.loading = false;                      // the next data may try again (the failed promise was dropped)
    S.sliders = null;
    S.failed = String(err && err.message || err);
    root.dataset.state = "failed";
    root.textContent = ganT(data, "failed", { error: S.failed });
    setTriggerValue("failed", { message: S.failed, digest: data.digest });
  });
}
