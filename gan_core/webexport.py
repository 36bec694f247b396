"""A generator as a small "program" any language can run: the same forward pass, re-expressed.

Explore's scrub mode draws G(z) in the browser, at the speed a slider moves, with no server round
trip. The browser has no PyTorch, so `export_program(G)` rewrites G as data: an ordered list of
operations on one activation vector, with G's weights as float32 arrays. A forty-line interpreter
(gan_ui/scrub/forward.js, or the NumPy one in the tests) then computes exactly what G computes:

    x0 = z                                   (or [z, E[y]] for a conditional G: embed_concat)
    x1 = W1 x0 + b1                          linear
    x2 = leaky_relu(x1)  |  relu  |  tanh    elementwise
    x3 = reshape(x2, (C, H, W))              no arithmetic, just how the numbers are read
    x4 = conv_transpose2d(x3, K, stride, padding) + b
    ...

How it is found: torch.fx's symbolic tracing records G's forward as a graph of calls (modules such
as nn.Linear, functions such as F.relu, methods such as .view); a shape pass runs one example z
through it so every reshape gets concrete sizes. Each call is translated to an op; anything else
(a module or function this exporter does not know, or a graph that is not a chain of layers)
raises `ExportError` naming it, rather than exporting a program that computes something else.
Nothing depends on the widths or the latent size: they are read from the modules.

In a server, tracing must leave the other threads alone: torch.fx's Tracer patches `nn.Module.__call__`
and `__getattr__` for the whole process while it traces, so another session's G(z), or a run training
in a thread, would be recorded into this graph and handed a Proxy instead of a tensor (seen: an Explore
page's "Uncaught app execution" and a broken trace, two sessions opening Explore at once). `_Tracer`
records the calls of the thread that traces and lets every other thread's modules run as usual, and
one trace runs at a time.

Eval mode: BatchNorm uses its running statistics, so it is a fixed affine map per channel,

    bn(h) = gamma * (h - mu) / sqrt(var + eps) + beta  =  s * h + t,   s = gamma / sqrt(var + eps),  t = beta - s mu,

and a fixed affine map right after a linear layer or a transposed convolution folds into it
(W' = s W row by row, b' = s b + t), so the program is as short as G's list of layers. A
spectral-normalised layer exports the weight it computes with (W / sigma); G has none today.

The program is plain JSON (`json.dumps(program)`); each weight array is base64 of little-endian
float32, with its shape beside it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import operator
import threading

import numpy as np
import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp

from .i18n import N_, _

FORMAT = "gan-classroom-program"
VERSION = 1


class ExportError(ValueError):
    """G holds something the program format cannot express; the message says what.

    Raised with an English template (marked N_) and its values: `str(exc)` translates it when it is read, so a
    refusal kept for a shared generator reads in each reader's language."""

    def __init__(self, template: str, **values):
        super().__init__(template)
        self.template, self.values = template, values

    def __str__(self) -> str:
        return _(self.template).format(**self.values)


# ---------------------------------------------------------------------------------------------
# float32 arrays <-> base64
# ---------------------------------------------------------------------------------------------
def encode_array(a) -> dict:
    """{"shape": [...], "data": base64 of little-endian float32, C order}."""
    arr = np.ascontiguousarray(np.asarray(a, dtype="<f4"))
    return {"shape": list(arr.shape), "data": base64.b64encode(arr.tobytes()).decode("ascii")}


def decode_array(t: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(t["data"]), dtype="<f4").reshape(t["shape"]).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Tracing G into a chain of ops
# ---------------------------------------------------------------------------------------------
_RELU = {F.relu, torch.relu}
_TANH = {torch.tanh, F.tanh}
_SIGMOID = {torch.sigmoid, F.sigmoid}
_RESHAPE_METHODS = {"view", "reshape", "flatten"}


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to(torch.float32).cpu().numpy()


def _shape(node: torch.fx.Node) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta")
    if meta is None or not hasattr(meta, "shape"):
        raise ExportError(N_("No tensor shape for {node}"), node=node.format_node())
    return tuple(int(s) for s in meta.shape)


def _bn_affine(bn: nn.modules.batchnorm._BatchNorm) -> tuple[np.ndarray, np.ndarray]:
    """Eval-mode BatchNorm as s * h + t per channel (see the module docstring)."""
    if bn.running_mean is None or bn.running_var is None:
        raise ExportError(
            N_(
                "{layer} without running statistics (track_running_stats=False) depends on the batch; it has no "
                "fixed per-sample form."
            ),
            layer=type(bn).__name__,
        )
    var = _np(bn.running_var).astype(np.float64)
    mean = _np(bn.running_mean).astype(np.float64)
    gamma = _np(bn.weight).astype(np.float64) if bn.weight is not None else np.ones_like(var)
    beta = _np(bn.bias).astype(np.float64) if bn.bias is not None else np.zeros_like(var)
    s = gamma / np.sqrt(var + bn.eps)
    return s, beta - s * mean


def _leaky_slope(node: torch.fx.Node) -> float:
    if "negative_slope" in node.kwargs:
        return float(node.kwargs["negative_slope"])
    return float(node.args[1]) if len(node.args) > 1 else 0.01


def _describe(node: torch.fx.Node, modules: dict) -> str:
    if node.op == "call_module":
        return f"module {node.target!r} ({type(modules[node.target]).__name__})"
    if node.op == "call_function":
        return f"function {getattr(node.target, '__name__', node.target)}"
    return f"{node.op} {node.target!r}"


class _Tracer(torch.fx.Tracer):
    """torch.fx's Tracer, recording only the thread that started the trace (see the module docstring)."""

    def __init__(self):
        super().__init__()
        self._thread = threading.get_ident()

    def call_module(self, m, forward, args, kwargs):
        if threading.get_ident() != self._thread:
            return forward(*args, **kwargs)  # another thread's module call: run it, record nothing
        return super().call_module(m, forward, args, kwargs)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        if threading.get_ident() != self._thread:
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)


_TRACING = threading.Lock()  # one trace at a time: two would interleave their patches of nn.Module


def symbolic_trace(G: nn.Module) -> torch.fx.GraphModule:
    """`torch.fx.symbolic_trace(G)`, safe beside other threads that run modules (a server's sessions, training)."""
    with _TRACING:
        tracer = _Tracer()
        graph = tracer.trace(G)
        return torch.fx.GraphModule(tracer.root, graph, type(G).__name__)


def _trace(G: nn.Module) -> tuple[torch.fx.GraphModule, list[torch.fx.Node]]:
    try:
        gm = symbolic_trace(G)
    except Exception as exc:  # data-dependent Python control flow, unsupported constructs
        raise ExportError(
            N_("Could not trace {model}'s forward pass with torch.fx: {error}"), model=type(G).__name__, error=exc
        ) from exc
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    args = [torch.zeros(1, G.latent_dim)]
    if len(placeholders) > 1:
        args.append(torch.zeros(1, dtype=torch.long))
    with torch.no_grad():
        ShapeProp(gm).propagate(*args)
    return gm, placeholders


def _translate(G: nn.Module) -> tuple[list[dict], list[np.ndarray]]:
    """G's graph as ops whose weights are numpy arrays (ops refer to them by index in 'arrays')."""
    gm, placeholders = _trace(G)
    modules = dict(gm.named_modules())
    z_node = placeholders[0]
    y_node = placeholders[1] if len(placeholders) > 1 else None
    ops: list[dict] = []
    arrays: list[np.ndarray] = []

    def add(a: np.ndarray) -> int:
        arrays.append(np.asarray(a, dtype=np.float64))
        return len(arrays) - 1

    current = z_node  # the one activation the chain carries
    embedded: dict[torch.fx.Node, nn.Embedding] = {}  # label_embed(y) nodes, consumed by the concat
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            continue
        if node.op == "output":
            out = node.args[0]
            if out is not current:
                raise ExportError(N_("G's output is not the last layer of a chain; webexport only handles chains."))
            break
        if node.op == "get_attr":
            raise ExportError(
                N_("G reads the tensor {name} directly in its forward; not supported."), name=repr(node.target)
            )
        mod = modules.get(node.target) if node.op == "call_module" else None
        # A conditional G's input: embed(y), then concatenated with z.
        if isinstance(mod, nn.Embedding):
            if node.args[0] is not y_node:
                raise ExportError(
                    N_("{what} is applied to something other than the label y."), what=_describe(node, modules)
                )
            embedded[node] = mod
            continue
        if node.op == "call_function" and node.target is torch.cat:
            parts = list(node.args[0])
            dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
            if not (
                current is z_node and len(parts) == 2 and parts[0] is z_node and parts[1] in embedded and dim in (1, -1)
            ):
                raise ExportError(
                    N_("Only one concatenation is supported: [z, embed(y)] along the features, at G's input.")
                )
            table = embedded[parts[1]]
            ops.append(
                {
                    "op": "embed_concat",
                    "classes": int(table.num_embeddings),
                    "dim": int(table.embedding_dim),
                    "table": add(_np(table.weight)),
                }
            )
            current = node
            continue
        # Every other node must continue the chain: its tensor input is the current activation.
        if not node.args or node.args[0] is not current:
            raise ExportError(
                N_("{what} does not take the previous layer's output; webexport only handles a chain of layers."),
                what=_describe(node, modules),
            )
        in_shape, out_shape = _shape(current)[1:], _shape(node)[1:]
        if isinstance(mod, nn.Linear):
            ops.append(
                {
                    "op": "linear",
                    "in": int(mod.in_features),
                    "out": int(mod.out_features),
                    "weight": add(_np(mod.weight)),
                    "bias": add(_np(mod.bias) if mod.bias is not None else np.zeros(mod.out_features)),
                }
            )
        elif isinstance(mod, nn.ConvTranspose2d):
            if mod.groups != 1 or mod.dilation != (1, 1) or mod.output_padding != (0, 0) or mod.padding_mode != "zeros":
                raise ExportError(
                    N_("{what}: only groups=1, dilation=1, output_padding=0 are supported."),
                    what=_describe(node, modules),
                )
            if len(in_shape) != 3:
                raise ExportError(
                    N_("{what} needs an unbatched (C, H, W) input, got {shape}."),
                    what=_describe(node, modules),
                    shape=in_shape,
                )
            ops.append(
                {
                    "op": "conv_transpose2d",
                    "in_ch": int(mod.in_channels),
                    "out_ch": int(mod.out_channels),
                    "kernel": list(mod.kernel_size),
                    "stride": list(mod.stride),
                    "padding": list(mod.padding),
                    "in_hw": list(in_shape[1:]),
                    "out_hw": list(out_shape[1:]),
                    "weight": add(_np(mod.weight)),  # (in_ch, out_ch, kh, kw)
                    "bias": add(_np(mod.bias) if mod.bias is not None else np.zeros(mod.out_channels)),
                }
            )
        elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            s, t = _bn_affine(mod)
            ops.append({"op": "affine", "channels": len(s), "scale": add(s), "shift": add(t)})
        elif isinstance(mod, nn.Identity) or (isinstance(mod, nn.Dropout)):
            pass  # eval mode: nothing to compute
        elif (
            isinstance(mod, nn.ReLU)
            or (node.op == "call_function" and node.target in _RELU)
            or (node.op == "call_method" and node.target == "relu")
        ):
            ops.append({"op": "relu"})
        elif isinstance(mod, nn.LeakyReLU):
            ops.append({"op": "leaky_relu", "slope": float(mod.negative_slope)})
        elif node.op == "call_function" and node.target is F.leaky_relu:
            ops.append({"op": "leaky_relu", "slope": _leaky_slope(node)})
        elif (
            isinstance(mod, nn.Tanh)
            or (node.op == "call_function" and node.target in _TANH)
            or (node.op == "call_method" and node.target == "tanh")
        ):
            ops.append({"op": "tanh"})
        elif (
            isinstance(mod, nn.Sigmoid)
            or (node.op == "call_function" and node.target in _SIGMOID)
            or (node.op == "call_method" and node.target == "sigmoid")
        ):
            ops.append({"op": "sigmoid"})
        elif (
            (node.op == "call_method" and node.target in _RESHAPE_METHODS)
            or isinstance(mod, (nn.Flatten, nn.Unflatten))
            or (node.op == "call_function" and node.target in (torch.reshape, torch.flatten))
        ):
            if int(np.prod(in_shape)) != int(np.prod(out_shape)):
                raise ExportError(N_("{what} changes the number of values per sample."), what=_describe(node, modules))
            ops.append({"op": "reshape", "shape": list(out_shape)})
        elif node.op == "call_function" and node.target is operator.getitem:
            raise ExportError(N_("G indexes into a tensor in its forward; webexport only handles a chain of layers."))
        else:
            raise ExportError(
                N_(
                    "webexport does not know how to run {what} (in {model}); supported: Linear, ConvTranspose2d, "
                    "BatchNorm1d/2d, ReLU, LeakyReLU, Tanh, Sigmoid, reshape, and [z, Embedding(y)] at the input."
                ),
                what=_describe(node, modules),
                model=type(G).__name__,
            )
        current = node
    return ops, arrays


# ---------------------------------------------------------------------------------------------
# Folding BatchNorm into the layer before it
# ---------------------------------------------------------------------------------------------
def _fold(ops: list[dict], arrays: list[np.ndarray]) -> list[dict]:
    """Merge `affine` into a directly preceding linear / conv_transpose2d (also across a reshape after a
    linear, where each output feature belongs to channel feature // (H*W))."""
    out: list[dict] = []
    for op in ops:
        if op["op"] == "affine":
            prev = out[-1] if out else None
            before = out[-2] if len(out) > 1 else None
            s, t = arrays[op["scale"]], arrays[op["shift"]]
            target, per = None, 1
            if prev is not None and prev["op"] == "conv_transpose2d" and prev["out_ch"] == len(s):
                target = prev
                w = arrays[target["weight"]]  # (in, out, kh, kw)
                arrays[target["weight"]] = w * s[None, :, None, None]
            elif prev is not None and prev["op"] == "linear" and prev["out"] == len(s):
                target = prev
            elif (
                prev is not None
                and prev["op"] == "reshape"
                and before is not None
                and before["op"] == "linear"
                and before["out"] % len(s) == 0
                and prev["shape"][0] == len(s)
            ):
                target, per = before, before["out"] // len(s)
            if target is not None:
                if target["op"] == "linear":
                    s_rows, t_rows = np.repeat(s, per), np.repeat(t, per)  # channel of each output feature
                    arrays[target["weight"]] = arrays[target["weight"]] * s_rows[:, None]
                    arrays[target["bias"]] = arrays[target["bias"]] * s_rows + t_rows
                else:
                    arrays[target["bias"]] = arrays[target["bias"]] * s + t
                continue
        out.append(op)
    return out


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def export_program(G: nn.Module, fold_batchnorm: bool = True) -> dict:
    """G (any generator of gan_core.models, in eval mode) as a JSON-serialisable program.

    {"format", "version", "latent_dim", "conditional", "num_classes", "output_shape": [1, 28, 28],
     "ops": [{"op": "linear", "in", "out", "weight": i, "bias": j}, ...],
     "tensors": [{"shape", "data"}, ...]}    ops refer to weights by index into "tensors".
    """
    if G.training:
        raise ExportError(N_("Export a generator in eval mode (G.eval()): BatchNorm must use its running statistics."))
    latent = getattr(G, "latent_dim", None)
    if not isinstance(latent, int):
        raise ExportError(N_("{model} has no integer latent_dim; is it a gan_core generator?"), model=type(G).__name__)
    ops, arrays = _translate(G)
    if fold_batchnorm:
        ops = _fold(ops, arrays)
    used = sorted({op[k] for op in ops for k in ("weight", "bias", "scale", "shift", "table") if k in op})
    remap = {old: new for new, old in enumerate(used)}
    for op in ops:
        for k in ("weight", "bias", "scale", "shift", "table"):
            if k in op:
                op[k] = remap[op[k]]
    gm_out = _output_shape(G)
    conditional = bool(getattr(G, "conditional", False))
    return {
        "format": FORMAT,
        "version": VERSION,
        "generator": type(G).__name__,
        "latent_dim": latent,
        "conditional": conditional,
        "num_classes": int(getattr(G, "num_classes", 0)) if conditional else 0,
        "output_shape": gm_out,
        "ops": ops,
        "tensors": [encode_array(arrays[i]) for i in used],
    }


def _output_shape(G: nn.Module) -> list[int]:
    with torch.no_grad():
        z = torch.zeros(1, G.latent_dim)
        y = torch.zeros(1, dtype=torch.long) if getattr(G, "conditional", False) else None
        return list(G(z, y).shape[1:]) if y is not None else list(G(z).shape[1:])


def program_json(program: dict) -> str:
    return json.dumps(program, separators=(",", ":"))


def program_digest(text: str) -> str:
    """A short content hash of a program's JSON: a cache key that changes whenever any weight does."""
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]
