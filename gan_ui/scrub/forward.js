// GAN Classroom: a generator's forward pass in plain JavaScript (no libraries, no network).
//
// Runs the "program" that gan_core/webexport.py exports: an ordered list of ops on one activation
// vector, with G's weights as base64 float32 arrays. ganCompile(program) decodes the weights once,
// plans every op's input and output size, and preallocates the activation buffers, so that
// run(z, label) only does arithmetic: no allocation, tight loops over typed arrays.
//
// Weights stay float32 (as in PyTorch); activations are Float64Array, which V8 reads and writes as
// fast and which accumulates sums without float32 rounding, so the result matches torch to ~1e-6.

function ganDecodeTensor(t) {
  const bin = atob(t.data);
  const n = bin.length;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = bin.charCodeAt(i);
  const count = n >> 2;
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (little) return new Float32Array(bytes.buffer, 0, count);
  const view = new DataView(bytes.buffer), out = new Float32Array(count);   // a big-endian machine
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function ganLinear(op, W, b) {
  const nIn = op.in, nOut = op.out;
  return (x, y) => {
    for (let o = 0; o < nOut; o++) {
      let acc = b[o];
      const base = o * nIn;
      for (let i = 0; i < nIn; i++) acc += W[base + i] * x[i];
      y[o] = acc;
    }
    return nOut;
  };
}

// Transposed convolution. By definition every input value v = x[ic, iy, ix] adds v * W[ic, oc, ky, kx]
// to out[oc, iy*s - p + ky, ix*s - p + kx]. Computed the other way round (a gather), so that each
// output value is summed in a register and written once:
//
//   out[oy, ox, oc] = b[oc] + sum over taps (ky, kx) that reach (oy, ox) from an input pixel (iy, ix)
//                            of  sum over ic  x[ic, iy, ix] * W[ic, oc, ky, kx]
//
// The taps of every output pixel are listed once at compile time. Each call first lists every
// input pixel's non-zero channels (after a ReLU about half are zero), so the inner sum skips them.
// Weights are re-ordered once to [ky][kx][oc][ic], contiguous in the inner sum. The output is written
// channels-last (HWC); the input is read through strides, so it may be CHW (after a reshape) or HWC
// (after another transposed convolution).
function ganConvTranspose(op, W, b, inLayout) {
  const IC = op.in_ch, OC = op.out_ch, KH = op.kernel[0], KW = op.kernel[1];
  const SH = op.stride[0], SW = op.stride[1], PH = op.padding[0], PW = op.padding[1];
  const IH = op.in_hw[0], IW = op.in_hw[1], OH = op.out_hw[0], OW = op.out_hw[1];
  const KK = KH * KW, IP = IH * IW, OP = OH * OW;
  const Wg = new Float64Array(W.length);                          // doubles: no conversions in the hot loop
  for (let ic = 0; ic < IC; ic++)
    for (let oc = 0; oc < OC; oc++)
      for (let k = 0; k < KK; k++) Wg[(k * OC + oc) * IC + ic] = W[(ic * OC + oc) * KK + k];
  const [sC, sY, sX] = inLayout === "hwc" ? [1, IW * IC, IC] : [IP, IW, 1];
  const first = new Int32Array(OP + 1), taps = [], pixels = [];  // output pixel q: taps first[q] .. first[q+1]
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      first[oy * OW + ox] = taps.length;
      for (let ky = 0; ky < KH; ky++) {
        const ty = oy + PH - ky, iy = ty / SH;
        if (ty % SH !== 0 || iy < 0 || iy >= IH) continue;
        for (let kx = 0; kx < KW; kx++) {
          const tx = ox + PW - kx, ix = tx / SW;
          if (tx % SW !== 0 || ix < 0 || ix >= IW) continue;
          taps.push(ky * KW + kx);
          pixels.push(iy * IW + ix);
        }
      }
    }
  }
  first[OP] = taps.length;
  const TAP = Int32Array.from(taps), PIX = Int32Array.from(pixels);
  const nzIdx = new Int32Array(IP * IC), nzVal = new Float64Array(IP * IC), nzCount = new Int32Array(IP);
  return (x, y) => {
    for (let p = 0; p < IP; p++) {                                  // each input pixel's non-zero channels
      const iy = (p / IW) | 0, xb = iy * sY + (p - iy * IW) * sX, base = p * IC;
      let c = 0;
      for (let ic = 0; ic < IC; ic++) {
        const v = x[xb + ic * sC];
        if (v !== 0) { nzIdx[base + c] = ic; nzVal[base + c] = v; c++; }
      }
      nzCount[p] = c;
    }
    for (let q = 0; q < OP; q++) {
      const ob = q * OC;
      for (let oc = 0; oc < OC; oc++) y[ob + oc] = b[oc];
      for (let t = first[q]; t < first[q + 1]; t++) {
        const p = PIX[t], cnt = nzCount[p], nb = p * IC;
        let wb = TAP[t] * OC * IC;
        for (let oc = 0; oc < OC; oc++, wb += IC) {
          let acc = 0;
          for (let j = 0; j < cnt; j++) acc += nzVal[nb + j] * Wg[wb + nzIdx[nb + j]];
          y[ob + oc] += acc;
        }
      }
    }
    return OC * OP;
  };
}

// Channels-last (H, W, C) back to channels-first (C, H, W), for whatever reads the layout.
function ganToCHW(C, HW) {
  return (x, y) => {
    for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) y[c * HW + p] = x[p * C + c];
    return C * HW;
  };
}

// Compile a program into {latentDim, conditional, numClasses, outputShape, run(z, label) -> Float64Array}.
function ganCompile(program) {
  if (!program || program.format !== "gan-classroom-program" || program.version !== 1)
    throw new Error("not a GAN Classroom program (format/version)");
  const T = program.tensors.map(ganDecodeTensor);
  const latent = program.latent_dim;
  let size = latent;                       // values per sample flowing into the next op
  let maxSize = size;
  let embed = null;                        // the conditional input: [z, E[y]]
  const steps = [];                        // in-place ops: (x, n) => void; buffer ops: (x, y) => n
  let layout = "chw";                      // how the current values are ordered: "chw", or "hwc" after a conv
  let channels = 1, pixels = size;
  const toCHW = () => {
    if (layout === "hwc" && channels > 1) steps.push({ kind: "map", fn: ganToCHW(channels, pixels) });
    layout = "chw";
  };
  for (const op of program.ops) {
    switch (op.op) {
      case "embed_concat":
        embed = { table: T[op.table], dim: op.dim, classes: op.classes };
        size = latent + op.dim;
        break;
      case "linear":
        if (op.in !== size) throw new Error(`linear expects ${op.in} inputs, gets ${size}`);
        toCHW();
        steps.push({ kind: "map", fn: ganLinear(op, T[op.weight], T[op.bias]) });
        size = op.out;
        break;
      case "conv_transpose2d": {
        const n = op.in_ch * op.in_hw[0] * op.in_hw[1];
        if (n !== size) throw new Error(`conv_transpose2d expects ${n} inputs, gets ${size}`);
        steps.push({ kind: "map", fn: ganConvTranspose(op, T[op.weight], T[op.bias], layout) });
        size = op.out_ch * op.out_hw[0] * op.out_hw[1];
        layout = "hwc"; channels = op.out_ch; pixels = op.out_hw[0] * op.out_hw[1];
        break;
      }
      case "affine": {
        const s = T[op.scale], t = T[op.shift], C = op.channels, per = size / C;
        if (layout === "hwc") {
          steps.push({ kind: "inplace", fn: (x, n) => {
            for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) x[i + c] = x[i + c] * s[c] + t[c];
          } });
        } else {
          steps.push({ kind: "inplace", fn: (x, n) => {
            for (let c = 0, i = 0; c < C; c++) for (let j = 0; j < per; j++, i++) x[i] = x[i] * s[c] + t[c];
          } });
        }
        break;
      }
      case "relu":
        steps.push({ kind: "inplace", fn: (x, n) => { for (let i = 0; i < n; i++) if (x[i] < 0) x[i] = 0; } });
        break;
      case "leaky_relu": {
        const a = op.slope;
        steps.push({ kind: "inplace", fn: (x, n) => { for (let i = 0; i < n; i++) if (x[i] < 0) x[i] *= a; } });
        break;
      }
      case "tanh":
        steps.push({ kind: "inplace", fn: (x, n) => { for (let i = 0; i < n; i++) x[i] = Math.tanh(x[i]); } });
        break;
      case "sigmoid":
        steps.push({ kind: "inplace", fn: (x, n) => { for (let i = 0; i < n; i++) x[i] = 1 / (1 + Math.exp(-x[i])); } });
        break;
      case "reshape":
        toCHW();                            // a reshape reads the numbers in PyTorch's (C, H, W) order
        break;
      default:
        throw new Error(`unknown op "${op.op}"`);
    }
    maxSize = Math.max(maxSize, size);
  }
  toCHW();
  const bufs = [new Float64Array(maxSize), new Float64Array(maxSize)];
  const outShape = program.output_shape;
  const outSize = outShape.reduce((a, b) => a * b, 1);
  if (outSize !== size) throw new Error(`program ends with ${size} values, output_shape says ${outSize}`);
  const out = new Float64Array(outSize);
  return {
    latentDim: latent, conditional: !!program.conditional, numClasses: program.num_classes || 0,
    outputShape: outShape,
    run(z, label) {
      let x = bufs[0], y = bufs[1];
      for (let i = 0; i < latent; i++) x[i] = z[i];
      let n = latent;
      if (embed) {
        const lab = Math.max(0, Math.min(embed.classes - 1, label | 0));
        const row = lab * embed.dim;
        for (let j = 0; j < embed.dim; j++) x[latent + j] = embed.table[row + j];
        n = latent + embed.dim;
      }
      for (const s of steps) {
        if (s.kind === "inplace") s.fn(x, n);
        else { n = s.fn(x, y); const t = x; x = y; y = t; }
      }
      for (let i = 0; i < n; i++) out[i] = x[i];
      return out;
    },
  };
}

// [-1, 1] -> grey levels exactly as gan_core.data.to_pixels: round((clamp(v) + 1) * 127.5).
function ganToRGBA(values, rgba) {
  for (let i = 0, j = 0; i < values.length; i++, j += 4) {
    const v = values[i] < -1 ? -1 : values[i] > 1 ? 1 : values[i];
    const g = Math.round((v + 1) * 127.5);
    rgba[j] = g; rgba[j + 1] = g; rgba[j + 2] = g; rgba[j + 3] = 255;
  }
  return rgba;
}
