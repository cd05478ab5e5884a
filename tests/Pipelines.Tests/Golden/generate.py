"""PyTorch references for the options around nn.Linear that shared/golden does not cover.

Run with PyTorch (Debian: apt-get install python3-torch python3-numpy):
    /usr/bin/python3 tests/Pipelines.Tests/Golden/generate.py tests/Pipelines.Tests/Golden
or, for some files only (a comma-separated list of the functions below, after the golden directory):
    /usr/bin/python3 tests/Pipelines.Tests/Golden/generate.py tests/Pipelines.Tests/Golden ../shared/golden layers

Inputs are stored as float32; references are computed by PyTorch in float64 from those inputs and stored as float64,
as in shared/golden. Every file's __metadata__ maps each case to a JSON description, which the conformance suites
read to enumerate and rebuild the cases: nothing about a case is hard-coded in C#.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save(path, tensors, metadata):
    """A safetensors file: 8-byte header length, JSON header, then the tensors' bytes in header order."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def f32(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).to(torch.float32)


def value_and_grad(fn, x):
    """The loss and its gradient with respect to x, in float64 from the float32 input."""
    x64 = x.detach().to(torch.float64).requires_grad_(True)
    loss = fn(x64)
    loss.backward()
    return loss.detach().reshape([]), x64.grad.detach()


def losses(out):
    t, cases = {}, {}

    def case(name, loss, fn, input_key, **description):
        value, grad = value_and_grad(fn, t[input_key])
        t[f"{name}.loss"], t[f"{name}.grad"] = value, grad
        cases[name] = {"loss": loss, "input": input_key, **description}

    t["logits"] = f32(8, 5, scale=2.0)
    t["classes"] = torch.tensor([0, 3, 1, 4, 2, 2, 0, 1])
    t["classes_ignored"] = torch.tensor([0, -100, 1, 4, -100, 2, 0, 1])
    t["classes_two_ignored"] = torch.tensor([0, 2, 1, 4, 2, 3, 2, 1])
    t["class_weight"] = torch.tensor([0.5, 2.0, 1.0, 0.25, 3.0])
    t["soft"] = torch.softmax(f32(8, 5), dim=1).to(torch.float32)
    t["logits_kd"] = f32(4, 5, 3, 2, scale=2.0)
    t["classes_kd"] = torch.randint(0, 5, (4, 3, 2))
    t["classes_kd"][0, 1, 1] = -100
    t["classes_kd"][2, 0, 0] = -100
    t["masked"] = torch.tensor([[float("-inf"), 0.0, 0.0], [1.0, float("-inf"), 2.0], [0.5, -1.0, float("-inf")]])
    t["masked_classes"] = torch.tensor([1, 2, 0])
    w64 = lambda k: t[k].to(torch.float64)
    for reduction in ["mean", "sum"]:
        case(f"ce_weight_{reduction}", "cross_entropy", lambda x, r=reduction: F.cross_entropy(x, t["classes"], weight=w64("class_weight"), reduction=r),
             "logits", target="classes", weight="class_weight", reduction=reduction)
    case("ce_ignore_mean", "cross_entropy", lambda x: F.cross_entropy(x, t["classes_ignored"]), "logits", target="classes_ignored", reduction="mean")
    case("ce_ignore_weight_smooth_mean", "cross_entropy",
         lambda x: F.cross_entropy(x, t["classes_ignored"], weight=w64("class_weight"), label_smoothing=0.1), "logits",
         target="classes_ignored", weight="class_weight", label_smoothing=0.1, reduction="mean")
    case("ce_ignore_weight_smooth_sum", "cross_entropy",
         lambda x: F.cross_entropy(x, t["classes_ignored"], weight=w64("class_weight"), label_smoothing=0.2, reduction="sum"), "logits",
         target="classes_ignored", weight="class_weight", label_smoothing=0.2, reduction="sum")
    case("ce_ignore_index_2_mean", "cross_entropy", lambda x: F.cross_entropy(x, t["classes_two_ignored"], ignore_index=2), "logits",
         target="classes_two_ignored", ignore_index=2, reduction="mean")
    case("ce_kdim_weight_smooth_mean", "cross_entropy",
         lambda x: F.cross_entropy(x, t["classes_kd"], weight=w64("class_weight"), label_smoothing=0.1), "logits_kd",
         target="classes_kd", weight="class_weight", label_smoothing=0.1, reduction="mean")
    case("ce_kdim_sum", "cross_entropy", lambda x: F.cross_entropy(x, t["classes_kd"], reduction="sum"), "logits_kd", target="classes_kd", reduction="sum")
    case("ce_soft_mean", "cross_entropy", lambda x: F.cross_entropy(x, w64("soft")), "logits", target="soft", reduction="mean")
    case("ce_soft_weight_smooth_sum", "cross_entropy",
         lambda x: F.cross_entropy(x, w64("soft"), weight=w64("class_weight"), label_smoothing=0.1, reduction="sum"), "logits",
         target="soft", weight="class_weight", label_smoothing=0.1, reduction="sum")
    case("ce_masked_mean", "cross_entropy", lambda x: F.cross_entropy(x, t["masked_classes"]), "masked", target="masked_classes", reduction="mean")

    log_probs = torch.log_softmax(t["logits"].to(torch.float64), 1).to(torch.float32)
    t["log_probs"] = log_probs
    t["log_probs_kd"] = torch.log_softmax(t["logits_kd"].to(torch.float64), 1).to(torch.float32)
    case("nll_weight_ignore_mean", "nll", lambda x: F.nll_loss(x, t["classes_ignored"], weight=w64("class_weight")), "log_probs",
         target="classes_ignored", weight="class_weight", reduction="mean")
    case("nll_kdim_weight_sum", "nll", lambda x: F.nll_loss(x, t["classes_kd"], weight=w64("class_weight"), reduction="sum"), "log_probs_kd",
         target="classes_kd", weight="class_weight", reduction="sum")

    t["pred"], t["goal"] = f32(6, 4, scale=2.0), f32(6, 4, scale=2.0)
    for beta in [0.5, 1.0, 0.0]:
        case(f"smooth_l1_beta{beta}_mean", "smooth_l1", lambda x, b=beta: F.smooth_l1_loss(x, w64("goal"), beta=b), "pred", target="goal", beta=beta, reduction="mean")
    case("smooth_l1_beta1.0_sum", "smooth_l1", lambda x: F.smooth_l1_loss(x, w64("goal"), beta=1.0, reduction="sum"), "pred", target="goal", beta=1.0, reduction="sum")

    t["log_probs_6x4"] = torch.log_softmax(f32(6, 4), 1).to(torch.float32)
    t["kl_target"] = torch.softmax(f32(6, 4), 1).to(torch.float32)
    t["kl_target"][0, 1] = 0.0
    t["kl_log_target"] = torch.log_softmax(f32(6, 4), 1).to(torch.float32)
    for reduction in ["batchmean", "sum", "mean"]:
        case(f"kl_div_{reduction}", "kl_div", lambda x, r=reduction: F.kl_div(x, w64("kl_target"), reduction=r), "log_probs_6x4",
             target="kl_target", log_target=False, reduction=reduction)
    case("kl_div_log_target_batchmean", "kl_div", lambda x: F.kl_div(x, w64("kl_log_target"), reduction="batchmean", log_target=True), "log_probs_6x4",
         target="kl_log_target", log_target=True, reduction="batchmean")

    t["probs"] = torch.sigmoid(f32(8, 5)).to(torch.float32)
    t["bits"] = (torch.rand(8, 5) > 0.5).to(torch.float32)
    t["element_weight"] = torch.rand(8, 5).to(torch.float32) + 0.5
    t["column_weight"] = torch.rand(5).to(torch.float32) + 0.5
    t["pos_weight"] = torch.tensor([0.5, 1.0, 2.0, 3.0, 0.25])
    t["big_logits"] = f32(8, 5, scale=20.0)
    case("bce_weight_mean", "bce", lambda x: F.binary_cross_entropy(x, w64("bits"), weight=w64("element_weight")), "probs",
         target="bits", weight="element_weight", reduction="mean")
    case("bce_column_weight_sum", "bce", lambda x: F.binary_cross_entropy(x, w64("bits"), weight=w64("column_weight"), reduction="sum"), "probs",
         target="bits", weight="column_weight", reduction="sum")
    case("bce_logits_pos_weight_mean", "bce_with_logits", lambda x: F.binary_cross_entropy_with_logits(x, w64("bits"), pos_weight=w64("pos_weight")), "big_logits",
         target="bits", pos_weight="pos_weight", reduction="mean")
    case("bce_logits_weight_pos_weight_sum", "bce_with_logits",
         lambda x: F.binary_cross_entropy_with_logits(x, w64("bits"), weight=w64("element_weight"), pos_weight=w64("pos_weight"), reduction="sum"), "big_logits",
         target="bits", weight="element_weight", pos_weight="pos_weight", reduction="sum")
    t["inf_logits"] = torch.tensor([[float("inf"), 3.0], [-2.0, float("inf")]])
    t["inf_targets"] = torch.tensor([[0.25, 1.0], [0.0, 0.5]])
    value, _ = value_and_grad(lambda x: F.binary_cross_entropy_with_logits(x, w64("inf_targets")), t["inf_logits"])
    t["bce_logits_inf_mean.loss"] = value
    cases["bce_logits_inf_mean"] = {"loss": "bce_with_logits", "input": "inf_logits", "target": "inf_targets", "reduction": "mean", "value_only": True}
    save(os.path.join(out, "loss_options.safetensors"), t, {"cases": cases, "torch": torch.__version__})


def norms(out):
    t, cases = {}, {}
    x3, dy3 = f32(6, 4, 5, scale=2.0) + 1.0, f32(6, 4, 5)
    x2, dy2 = f32(8, 4, scale=2.0) - 1.0, f32(8, 4)
    gamma, beta = (torch.rand(4) + 0.5).to(torch.float32), f32(4)
    t.update({"x3": x3, "dy3": dy3, "x2": x2, "dy2": dy2, "gamma": gamma, "beta": beta})

    def batch_norm(name, x_key, dy_key, steps=1, **options):
        layer = nn.BatchNorm1d(4, **options).to(torch.float64)
        if layer.affine:
            with torch.no_grad():
                layer.weight.copy_(gamma)
                layer.bias.copy_(beta)
        layer.train()
        for step in range(steps):
            x = (t[x_key].to(torch.float64) + step).requires_grad_(True)
            y = layer(x)
        y.backward(t[dy_key].to(torch.float64))
        t[f"{name}.y"], t[f"{name}.dx"] = y.detach(), x.grad.detach()
        if layer.affine:
            t[f"{name}.dgamma"], t[f"{name}.dbeta"] = layer.weight.grad.detach(), layer.bias.grad.detach()
        if layer.track_running_stats:
            t[f"{name}.running_mean"], t[f"{name}.running_var"] = layer.running_mean.detach(), layer.running_var.detach()
            t[f"{name}.num_batches_tracked"] = layer.num_batches_tracked.detach()
        layer.eval()
        t[f"{name}.eval_y"] = layer(t[x_key].to(torch.float64)).detach()
        cases[name] = {"layer": "batch_norm", "x": x_key, "dy": dy_key, "steps": steps, "affine": layer.affine,
                       "track_running_stats": layer.track_running_stats, "momentum": options.get("momentum", 0.1)}

    batch_norm("bn_3d", "x3", "dy3")
    batch_norm("bn_no_affine", "x2", "dy2", affine=False)
    batch_norm("bn_no_tracking", "x3", "dy3", track_running_stats=False)
    batch_norm("bn_cumulative_3_steps", "x2", "dy2", steps=3, momentum=None)

    def layer_norm(name, shape, x_key, dy_key, affine):
        layer = nn.LayerNorm(shape, elementwise_affine=affine).to(torch.float64)
        if affine:
            with torch.no_grad():
                layer.weight.copy_(t[f"{name}.weight_in"].to(torch.float64))
                layer.bias.copy_(t[f"{name}.bias_in"].to(torch.float64))
        x = t[x_key].to(torch.float64).requires_grad_(True)
        y = layer(x)
        y.backward(t[dy_key].to(torch.float64))
        t[f"{name}.y"], t[f"{name}.dx"] = y.detach(), x.grad.detach()
        if affine:
            t[f"{name}.dweight"], t[f"{name}.dbias"] = layer.weight.grad.detach(), layer.bias.grad.detach()
        cases[name] = {"layer": "layer_norm", "x": x_key, "dy": dy_key, "normalized_shape": list(shape), "affine": affine}

    t["ln.x"], t["ln.dy"] = f32(2, 3, 4, 5, scale=3.0), f32(2, 3, 4, 5)
    t["ln_2d.weight_in"], t["ln_2d.bias_in"] = (torch.rand(4, 5) + 0.5).to(torch.float32), f32(4, 5)
    layer_norm("ln_2d", (4, 5), "ln.x", "ln.dy", True)
    layer_norm("ln_no_affine", (5,), "ln.x", "ln.dy", False)
    save(os.path.join(out, "norm_options.safetensors"), t, {"cases": cases, "torch": torch.__version__})


def schedules(out):
    t, cases = {}, {}
    steps = 30

    def record(name, make, description, metrics=None):
        optimizer = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=0.1)
        scheduler = make(optimizer)
        rates, momenta = [], []
        for step in range(steps):
            rates.append(optimizer.param_groups[0]["lr"])
            momenta.append(optimizer.param_groups[0]["betas"][0])
            optimizer.step()
            if metrics is None:
                scheduler.step()
            else:
                scheduler.step(metrics[step])
        t[f"{name}.lr"] = torch.tensor(rates, dtype=torch.float64)
        if name.startswith("one_cycle"):
            t[f"{name}.momentum"] = torch.tensor(momenta, dtype=torch.float64)
        cases[name] = {"base_lr": 0.1, **description}

    S = torch.optim.lr_scheduler
    record("step", lambda o: S.StepLR(o, step_size=7, gamma=0.5), {"schedule": "step", "step_size": 7, "gamma": 0.5})
    record("multi_step", lambda o: S.MultiStepLR(o, milestones=[3, 8, 20], gamma=0.3), {"schedule": "multi_step", "milestones": [3, 8, 20], "gamma": 0.3})
    record("exponential", lambda o: S.ExponentialLR(o, gamma=0.9), {"schedule": "exponential", "gamma": 0.9})
    record("cosine_past_t_max", lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01), {"schedule": "cosine", "t_max": 10, "eta_min": 0.01})
    record("linear", lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=8), {"schedule": "linear", "start_factor": 0.25, "end_factor": 1.0, "total_iters": 8})
    record("sequential", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=20)], milestones=[5]),
           {"schedule": "sequential", "warmup_start": 0.1, "warmup": 5, "t_max": 20})
    for anneal in ["cos", "linear"]:
        for three in [False, True]:
            name = f"one_cycle_{anneal}{'_three_phase' if three else ''}"
            record(name, lambda o, a=anneal, th=three: S.OneCycleLR(o, max_lr=0.5, total_steps=steps, pct_start=0.3, anneal_strategy=a, three_phase=th),
                   {"schedule": "one_cycle", "max_lr": 0.5, "total_steps": steps, "pct_start": 0.3, "anneal": anneal, "three_phase": three})
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.81, 0.82, 0.83, 0.84, 0.79, 0.79, 0.79, 0.79, 0.79, 0.79] + [0.79] * 14
    t["plateau.metrics"] = torch.tensor(metrics, dtype=torch.float64)
    record("plateau", lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=1e-2, cooldown=1, min_lr=0.01),
           {"schedule": "plateau", "factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 1, "min_lr": 0.01, "metrics": "plateau.metrics"}, metrics)
    save(os.path.join(out, "schedules.safetensors"), t, {"cases": cases, "torch": torch.__version__})


def optimizers(out, golden):
    """Three steps of optimizer options on shared/golden's MLP, in float64, named as mlp_train.safetensors names its runs."""
    import numpy as np

    def load(path):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        kinds = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
        result = {}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            begin, end = entry["data_offsets"]
            result[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype=kinds[entry["dtype"]]).reshape(entry["shape"]).copy())
        return result

    weights = load(os.path.join(golden, "mlp.safetensors"))
    train = load(os.path.join(golden, "mlp_train.safetensors"))
    x, target = train["x"].to(torch.float64), train["target"]
    t = {"x": train["x"], "target": target}
    runs = {
        "adam_lr1e-2_amsgrad_3steps": lambda p: torch.optim.Adam(p, lr=1e-2, amsgrad=True),
        "adam_lr1e-2_wd1e-1_amsgrad_3steps": lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=0.1, amsgrad=True),
        "adamw_lr1e-2_wd1e-1_amsgrad_3steps": lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1, amsgrad=True),
        "sgd_lr1e-1_momentum0.9_dampening0.3_3steps": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3),
    }
    for name, make in runs.items():
        model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10)).to(torch.float64)
        model.load_state_dict({k: v.to(torch.float64) for k, v in weights.items()})
        optimizer = make(model.parameters())
        for _ in range(3):
            optimizer.zero_grad()
            F.cross_entropy(model(x), target).backward()
            optimizer.step()
        for key, value in model.state_dict().items():
            t[f"{name}.{key}"] = value.detach()
    save(os.path.join(out, "mlp_train_options.safetensors"), t, {"torch": torch.__version__, "runs": list(runs)})


def layers(out):
    """The layers people build with Linear: Embedding, RMSNorm (its formula: PyTorch 1.13 has no nn.RMSNorm) and GLU."""
    torch.manual_seed(20261203)
    t, cases = {}, {}

    def record(name, y, inputs, params, **description):
        dy = f32(*y.shape)
        t[f"{name}.dy"] = dy
        y.backward(dy.to(torch.float64))
        t[f"{name}.y"] = y.detach()
        for key, value in inputs.items():
            if value.grad is not None:
                t[f"{name}.d{key}"] = value.grad.detach()
        for key, value in params.items():
            t[f"{name}.d{key}"] = value.grad.detach()
        cases[name] = description

    def embedding(name, rows, dim, index_shape, padding_idx=None, max_norm=None, norm_type=2.0):
        weight = f32(rows, dim, scale=1.5)
        indices = torch.randint(0, rows, index_shape)
        if padding_idx is not None:
            indices.view(-1)[0] = padding_idx % rows
        t[f"{name}.weight"], t[f"{name}.indices"] = weight, indices
        layer = nn.Embedding(rows, dim, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type).to(torch.float64)
        with torch.no_grad():
            layer.weight.copy_(weight)
        y = layer(indices)
        t[f"{name}.weight_after"] = layer.weight.detach().clone()
        record(name, y, {}, {"weight": layer.weight}, layer="embedding", padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type)

    embedding("embedding", 10, 4, (3, 5))
    embedding("embedding_padding", 7, 3, (2, 2, 3), padding_idx=2)
    embedding("embedding_negative_padding", 7, 3, (6,), padding_idx=-1)
    embedding("embedding_max_norm", 9, 5, (4, 3), max_norm=1.0)
    embedding("embedding_max_norm_p1", 9, 5, (8,), max_norm=2.0, norm_type=1.0)

    def rms_norm(name, x_shape, normalized, eps, affine):
        x = f32(*x_shape, scale=2.0).to(torch.float64).requires_grad_(True)
        dims = tuple(range(-len(normalized), 0))
        weight = (torch.rand(*normalized) + 0.5).to(torch.float32)
        t[f"{name}.x"], t[f"{name}.weight"] = x.detach().to(torch.float32), weight
        w = weight.to(torch.float64).requires_grad_(True)
        used = torch.finfo(torch.float64).eps if eps is None else eps
        y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + used)
        if affine:
            y = y * w
        record(name, y, {"x": x}, {"weight": w} if affine else {}, layer="rms_norm", normalized_shape=list(normalized), eps=eps, affine=affine)

    rms_norm("rms_norm", (4, 6), (6,), None, True)
    rms_norm("rms_norm_2d", (2, 3, 4, 5), (4, 5), 1e-5, True)
    rms_norm("rms_norm_no_affine", (3, 7), (7,), 1e-3, False)

    def glu(name, x_shape, dim):
        x = f32(*x_shape, scale=2.0).to(torch.float64).requires_grad_(True)
        t[f"{name}.x"] = x.detach().to(torch.float32)
        record(name, nn.GLU(dim)(x), {"x": x}, {}, layer="glu", dim=dim)

    glu("glu", (3, 8), -1)
    glu("glu_axis_0", (4, 3, 2), 0)
    glu("glu_axis_1", (2, 6, 3), 1)
    save(os.path.join(out, "layers.safetensors"), t, {"cases": cases, "torch": torch.__version__})


def attention(out):
    """nn.MultiheadAttention (self and cross, masks, no bias, batch_first) and nn.TransformerEncoderLayer (post- and
    pre-norm, relu and gelu, a key padding mask), with their state dicts under PyTorch's names, in float64."""
    torch.manual_seed(20261204)
    t, cases = {}, {}

    def tensors(name, module):
        for key, value in module.state_dict().items():
            t[f"{name}.state.{key}"] = value.detach().to(torch.float32)
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(p.to(torch.float32).to(torch.float64))

    def leaf(name, key, *shape):
        value = f32(*shape)
        t[f"{name}.{key}"] = value
        return value.to(torch.float64).requires_grad_(True)

    def padding(name, n, s):
        blocked = torch.zeros(n, s, dtype=torch.bool)
        blocked[0, -1] = True
        blocked[-1, 0] = True
        t[f"{name}.key_padding_mask"] = torch.zeros(n, s).masked_fill(blocked, float("-inf"))
        return blocked

    def grads(name, module, y, leaves):
        dy = f32(*y.shape)
        t[f"{name}.dy"] = dy
        y.backward(dy.to(torch.float64))
        t[f"{name}.y"] = y.detach()
        for key, value in leaves.items():
            t[f"{name}.d{key}"] = value.grad.detach()
        for key, value in module.named_parameters():
            t[f"{name}.grad.{key}"] = value.grad.detach()

    def mha(name, e, heads, n, l, s, batch_first, bias, cross=False, mask=False, causal=False):
        module = nn.MultiheadAttention(e, heads, bias=bias, batch_first=batch_first).to(torch.float64)
        tensors(name, module)
        shape = (lambda length: (n, length, e)) if batch_first else (lambda length: (length, n, e))
        query = leaf(name, "query", *shape(l))
        key = leaf(name, "key", *shape(s)) if cross else query
        value = leaf(name, "value", *shape(s)) if cross else query
        blocked = padding(name, n, s) if mask else None
        attn_mask = None
        if mask:
            attn_mask = f32(l, s, scale=0.5)
            t[f"{name}.attn_mask"] = attn_mask
            attn_mask = attn_mask.to(torch.float64)
        if causal:
            attn_mask = torch.triu(torch.full((l, s), float("-inf"), dtype=torch.float64), diagonal=1)
        module.train()
        y, weights = module(query, key, value, key_padding_mask=blocked, attn_mask=attn_mask, need_weights=True)
        t[f"{name}.weights"] = weights.detach()
        grads(name, module, y, {"query": query, "key": key, "value": value} if cross else {"query": query})
        cases[name] = {"layer": "multihead_attention", "embed_dim": e, "num_heads": heads, "batch_first": batch_first,
                       "bias": bias, "cross": cross, "masks": mask, "is_causal": causal,
                       "state_dict": {k: list(v.shape) for k, v in module.state_dict().items()}}

    mha("mha_self", 8, 2, 3, 5, 5, batch_first=False, bias=True)
    mha("mha_no_bias_batch_first", 8, 4, 3, 4, 4, batch_first=True, bias=False)
    mha("mha_cross_masks", 8, 2, 2, 3, 5, batch_first=True, bias=True, cross=True, mask=True)
    mha("mha_causal", 6, 3, 2, 4, 4, batch_first=False, bias=True, causal=True)

    def encoder(name, e, heads, ff, n, l, batch_first, norm_first, activation, mask=False):
        module = nn.TransformerEncoderLayer(e, heads, ff, dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first).to(torch.float64)
        with torch.no_grad():
            for norm in (module.norm1, module.norm2):
                norm.weight.copy_(torch.rand(e) + 0.5)
                norm.bias.copy_(torch.randn(e) * 0.1)
        tensors(name, module)
        src = leaf(name, "query", *((n, l, e) if batch_first else (l, n, e)))
        blocked = padding(name, n, l) if mask else None
        module.train()
        y = module(src, src_key_padding_mask=blocked)
        grads(name, module, y, {"query": src})
        cases[name] = {"layer": "transformer_encoder_layer", "embed_dim": e, "num_heads": heads, "dim_feedforward": ff,
                       "batch_first": batch_first, "norm_first": norm_first, "activation": activation, "masks": mask,
                       "state_dict": {k: list(v.shape) for k, v in module.state_dict().items()}}

    encoder("encoder_post_relu", 8, 2, 16, 2, 4, batch_first=False, norm_first=False, activation="relu")
    encoder("encoder_pre_gelu_padding", 8, 4, 12, 3, 5, batch_first=True, norm_first=True, activation="gelu", mask=True)
    save(os.path.join(out, "attention.safetensors"), t, {"cases": cases, "torch": torch.__version__})


def operations(out):
    """The tensor operations a forward-only layer records, each on a random input x (and a second operand y where it
    takes one), with the output and the gradients of sum(output * dy) for x and y, in float64."""
    torch.manual_seed(20261205)
    t, cases = {}, {}

    def case(name, fn, x_shape, y_shape=None, positive=False, **description):
        x = f32(*x_shape).abs() + 0.5 if positive else f32(*x_shape)
        t[f"{name}.x"] = x
        leaves = {"x": x.to(torch.float64).requires_grad_(True)}
        if y_shape is not None:
            y = f32(*y_shape)
            t[f"{name}.y"] = y
            leaves["y"] = y.to(torch.float64).requires_grad_(True)
        result = fn(*leaves.values())
        dy = f32(*result.shape)
        t[f"{name}.dy"], t[f"{name}.out"] = dy, result.detach()
        result.backward(dy.to(torch.float64))
        for key, leaf in leaves.items():
            t[f"{name}.grad_{key}"] = leaf.grad.detach()
        cases[name] = {"op": description.pop("op", name), **description}

    case("add_broadcast", lambda x, y: x + y, (2, 3, 4), (3, 1), op="add")
    case("subtract_broadcast", lambda x, y: x - y, (4,), (2, 1, 4), op="subtract")
    case("multiply_broadcast", lambda x, y: x * y, (2, 1, 4), (3, 1), op="multiply")
    case("divide_broadcast", lambda x, y: x / (y.abs() + 0.5), (3, 4), (4,), op="divide_safe")
    case("scalar_left", lambda x: (1 - x) * 3 + 2 / (x * x + 1), (5,), op="scalars")
    case("pow", lambda x: x.pow(3), (6,), exponent=3)
    case("sqrt", lambda x: x.sqrt(), (6,), positive=True)
    case("log", lambda x: x.log(), (6,), positive=True)
    case("abs", lambda x: x.abs(), (6,))
    case("clamp", lambda x: x.clamp(-0.5, 0.4), (3, 5), min=-0.5, max=0.4)
    case("maximum", lambda x, y: torch.maximum(x, y), (2, 5), (5,))
    case("minimum", lambda x, y: torch.minimum(x, y), (2, 1), (3,))
    case("where", lambda x, y: torch.where(x > 0, x, y), (3, 4), (4,), op="where_positive")
    case("masked_fill", lambda x: x.masked_fill(x < -0.5, -2.0), (3, 4), op="masked_fill_below", threshold=-0.5, value=-2.0)
    for axis in (0, -1):
        for keep in (False, True):
            suffix = f"{'last' if axis == -1 else 'first'}{'_keep' if keep else ''}"
            case(f"sum_{suffix}", lambda x, a=axis, k=keep: x.sum(a, keepdim=k), (3, 4, 2), op="sum", axis=axis, keep_dim=keep)
            case(f"mean_{suffix}", lambda x, a=axis, k=keep: x.mean(a, keepdim=k), (3, 4, 2), op="mean", axis=axis, keep_dim=keep)
            case(f"max_{suffix}", lambda x, a=axis, k=keep: x.max(a, keepdim=k).values, (3, 4, 2), op="max", axis=axis, keep_dim=keep)
            case(f"var_{suffix}", lambda x, a=axis, k=keep: x.var(a, keepdim=k), (3, 4, 2), op="var", axis=axis, keep_dim=keep)
            case(f"logsumexp_{suffix}", lambda x, a=axis, k=keep: x.logsumexp(a, keepdim=k), (3, 4, 2), op="logsumexp", axis=axis, keep_dim=keep)
    case("softmax_middle", lambda x: x.softmax(1), (2, 5, 3), op="softmax", axis=1)
    case("log_softmax_first", lambda x: x.log_softmax(0), (4, 3), op="log_softmax", axis=0)
    case("permute", lambda x: x.permute(2, 0, 1), (2, 3, 4), axes=[2, 0, 1])
    case("transpose", lambda x: x.transpose(0, 2), (2, 3, 4), first=0, second=2)
    case("narrow", lambda x: x.narrow(1, 1, 2), (2, 4, 3), axis=1, start=1, length=2)
    case("concat", lambda x, y: torch.cat([x, y * 2, x], 1), (2, 3), (2, 2), op="concat_middle")
    case("stack", lambda x, y: torch.stack([x, y], 1), (2, 3), (2, 3), op="stack_middle")
    case("chunk", lambda x: torch.cat([c * (i + 1) for i, c in enumerate(x.chunk(3, 1))], 1), (2, 7), op="chunk_weighted", chunks=3)
    case("matmul_broadcast", lambda x, y: x @ y, (2, 1, 3, 4), (3, 4, 5), op="matmul")
    indices = torch.tensor([2, 0, 2, 1])
    t["index_select.indices"] = indices
    case("index_select", lambda x: x.index_select(1, indices), (2, 3, 2), axis=1)
    index = torch.tensor([[0, 2, 2], [1, 0, 1]])
    t["gather.index"] = index
    case("gather", lambda x: x.gather(1, index), (2, 4), axis=1)
    save(os.path.join(out, "operations.safetensors"), t, {"cases": cases, "torch": torch.__version__})


if __name__ == "__main__":
    out = sys.argv[1]
    golden = sys.argv[2] if len(sys.argv) > 2 else out
    only = sys.argv[3].split(",") if len(sys.argv) > 3 else None
    torch.manual_seed(20261123)
    if only is None:
        losses(out)
        norms(out)
        schedules(out)
        optimizers(out, golden)
    if only is None or "layers" in only:
        layers(out)
    if only is None or "attention" in only:
        attention(out)
    if only is None or "operations" in only:
        operations(out)
