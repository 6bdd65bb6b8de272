"""Searched keys that cannot change training, found by running the code (no table to drift).

For a preset and a key, the smoke-size task (gansweep.models.families.smoke_config, on the
embedded digits or the depth study's points) is built twice from one seed, the key at two of
its values (a range's bounds; each option of a choice against the first), and trained a few
iterations: 2 s + 1 for the largest s (train.classifier_every) either run uses, so the
classifier's every-s phase runs at k = 0 and k = s and every other phase runs each iteration.

The key acts when the two runs differ in
  - the networks: shapes, or any network's parameters after training by more than
    PARAM_RTOL of that network's own update (||theta_a - theta_b|| / ||theta - theta_0||);
  - which losses each iteration computes (the phases that ran), or any loss of the first
    iteration: same initial weights and batches, so only the key itself can move them
    (exactly, up to float noise), before any rescaled gradient has passed through Adam.

Why a tolerance on parameters: Adam divides each gradient by its running RMS, so a key that
only rescales one optimizer's gradient (loss.omega_g in the separate SC update: omega = 1
vs 1e4) moves the parameters only through Adam's eps, and then through the networks that
see G's slightly different samples. Measured on the smoke models over 5-41 iterations:
2-7 % of an update for SC-WGAN.b, up to 11 % for a classifier of SC-WGAN.a/c (C trains
every s-th iteration, so its own update is small). Keys that act only through the
optimizer move the parameters far more: optim.beta1 0 vs 0.9 by 45 %, a learning rate or
weight decay by ~90 %; keys in a loss also show in the first iteration's losses. 0.25 sits
between, with a factor of two either side. SGD has no such normalisation (nor eps), so
with optim.name sgd any difference past float noise (FLOAT_RTOL) is the key's.

Keys whose effect lies outside a short CPU run on the smoke data are not checked (UNCHECKED).
Verdicts are kept per (preset, key, values, fixed config): in the process, and on disk in
~/.cache/gansweep/inert under the version of the code that decided them (every module's
source and torch's version), so `validate`, `run --smoke-test` and `run` of one spec train
once. Without them a start needs neither torch nor its compiler stack in the driver: the
check was 4-5 s of the 17 s from `gansweep run` to the first training step on 2 cores.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

PARAM_RTOL = 0.25  # inert below: Adam's eps effect of a rescaled gradient (see above)
FLOAT_RTOL = 1e-6  # SGD does not normalise gradients: any real change shows in full
LOSS_RTOL = 1e-6   # first-iteration losses from identical parameters: only float noise

# Not decidable by a few CPU iterations on the smoke data: the budget, which dataset (the
# smoke run always uses digits or the R^2 points), and switches that act on CUDA only.
UNCHECKED = frozenset({
    "train.iterations", "train.epochs", "data.name", "data.root", "data.download",
    "train.device", "train.amp", "train.tf32", "train.channels_last", "train.compile",
    "train.fast_paths_on_cpu",
    "optim.fused", "optim.milestone_epochs", "optim.decay_iterations"})
# Set in `config:` for the run itself, not for its training maths: never warned about.
BOOKKEEPING_SECTIONS = ("eval.",)
BOOKKEEPING = frozenset({"train.log_every", "train.checkpoint_every", "train.keep_checkpoints",
                         "train.loss_window", "train.seed"})
# Integer keys that are periods of a phase: the run must be long enough for each value to show.
PERIOD_KEYS = frozenset({"train.classifier_every", "train.critic_burst_every",
                         "train.critic_burst_first"})
MAX_STEPS = 201

_CACHE: dict[tuple, "Verdict"] = {}


@dataclass(frozen=True)
class Verdict:
    acts: bool
    why: str  # what differed (acts) or what stayed the same (inert)


def inert_search(presets: list[str], layers: dict, params: list[tuple[str, tuple]]) -> list[str]:
    """One problem per searched key that acts in none of `presets`; `params` are (key,
    values) with values already at smoke scale (spec._smoke_param)."""
    problems = []
    for key, values in params:
        if key == "model" or key in UNCHECKED or len(set(map(repr, values))) < 2:
            continue
        verdicts = {p: key_acts(p, layers, key, values) for p in presets}
        if not any(v.acts for v in verdicts.values()):
            names = ", ".join(presets)
            why = "; ".join(dict.fromkeys(v.why for v in verdicts.values()))
            problems.append(f"search.{key}: cannot change the training of {names}: {why}; "
                            "remove it from the search (or pick a model or setting where it acts)")
    return problems


def unused_config(presets: list[str], layers: dict, fixed: dict[str, object],
                  preset_value) -> list[str]:
    """Warnings for `config:` keys set to a value that changes nothing in any of `presets`.
    `preset_value(preset, key)` is the value the key has without the spec's setting."""
    warnings = []
    for key, value in fixed.items():
        if (key in UNCHECKED or key in BOOKKEEPING or key.startswith(BOOKKEEPING_SECTIONS)
                or key == "model.preset"):
            continue
        verdicts = []
        for p in presets:
            base = preset_value(p, key)
            if base is None or repr(base) == repr(value):
                verdicts = None  # the preset's own value: nothing set that could be unused
                break
            verdicts.append(key_acts(p, layers, key, (base, value)))
        if verdicts and not any(v.acts for v in verdicts):
            warnings.append(f"config.{key}: set to {value!r} but changes nothing in the training "
                            f"of {', '.join(presets)}: {verdicts[0].why}")
    return warnings


def key_acts(preset: str, layers: dict, key: str, values: tuple) -> Verdict:
    """Whether `key` changes the training of the smoke-size `preset` between `values`."""
    tag = (preset, key, repr(tuple(values)), json.dumps(layers, sort_keys=True, default=repr))
    if tag in _CACHE:
        return _CACHE[tag]
    stored = _stored(tag)
    try:
        _CACHE[tag] = Verdict(**json.loads(stored.read_text()))
        return _CACHE[tag]
    except (OSError, ValueError, TypeError):  # not decided yet by this code (or unreadable)
        pass
    try:
        _CACHE[tag] = _decide(preset, layers, key, tuple(values))
    except Exception as err:  # a value the smoke model cannot take: not ours to refuse
        _CACHE[tag] = Verdict(True, f"not checked: the smoke-size run failed ({err})")
        return _CACHE[tag]  # not kept on disk: the failure may be this machine's
    _keep(stored, _CACHE[tag])
    return _CACHE[tag]


def verdicts_dir() -> Path:
    return Path.home() / ".cache" / "gansweep" / "inert"


def _stored(tag: tuple) -> Path:
    digest = hashlib.sha256(json.dumps([code_version(), *tag]).encode()).hexdigest()
    return verdicts_dir() / f"{digest[:32]}.json"


def _keep(path: Path, verdict: Verdict) -> None:
    """Best effort (a read-only home only costs the next start its check): written whole
    and renamed, so concurrent drivers never read half a verdict."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(asdict(verdict)))
        os.replace(tmp, path)
    except OSError:
        pass


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """What a verdict depends on besides its tag: every gansweep module (an edit anywhere
    decides again, whatever it touched) and torch's version. Read from the files, so the
    driver imports neither (~30 ms)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version = version("torch")
    except PackageNotFoundError:  # a torch built in place, without its metadata
        import torch
        torch_version = torch.__version__.split("+")[0]  # as the metadata has it
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"torch {torch_version}".encode())
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _decide(preset: str, layers: dict, key: str, values: tuple) -> Verdict:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gansweep-inert-") as tmp:
        # Judges a task trains on first use (PPGN-h's encoder, the LeNet of classifier_alpha)
        # go to a throw-away cache: only the verdict outlives validation (key_acts).
        return _decide_in(preset, _with_cache_dir(layers, tmp), key, values)


def _with_cache_dir(layers: dict, cache: str) -> dict:
    return {**layers, "eval": {**layers.get("eval", {}), "cache_dir": cache}}


def _decide_in(preset: str, layers: dict, key: str, values: tuple) -> Verdict:
    import torch

    from gansweep.checkpoint import preserved_rng

    cfgs = [_smoke_config(preset, layers, key, v) for v in values]
    steps = min(MAX_STEPS, 2 * max(c.train.classifier_every for c in cfgs) + 1)
    if key in PERIOD_KEYS:
        steps = min(MAX_STEPS, max(steps, 2 * max(int(v) for v in values) + 1))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # toy networks: threads cost more than they give
    try:
        with preserved_rng():  # validation must not move the caller's RNG streams
            first, largest = _train(cfgs[0], steps), 0.0
            for value, cfg in zip(values[1:], cfgs[1:]):
                other = _train(cfg, steps)
                diff = _difference(first, other)
                if diff is not None:
                    return Verdict(True, f"{key} = {values[0]!r} vs {value!r}: {diff}")
                largest = max(largest, *_param_gaps(first, other).values(), 0.0)
    finally:
        torch.set_num_threads(threads)
    shown = " and ".join(repr(v) for v in values[:3]) + (" ..." if len(values) > 3 else "")
    how = ("identical parameters: the key is never read on this model's path" if largest == 0 else
           f"parameters within {_pct(largest)} of an update (under {_pct(first.rtol)}: the size "
           "of Adam's eps effect when only a gradient's scale changes)")
    return Verdict(False, f"{steps} smoke-size iterations with {key} = {shown} give the same "
                          f"losses and phases and {how}")


def _smoke_config(preset: str, layers: dict, key: str, value):
    from gansweep.config import POINT_DATASETS, deep_merge, nest, override, resolve
    from gansweep.models.families import smoke_config

    base = deep_merge(layers, nest(smoke_config()))
    data = base.setdefault("data", {})
    if data.get("name", "digits") not in ("digits", *POINT_DATASETS):
        data.update(name="digits", root=None, image_size=None)
    if data.get("aux") == "cifar10":  # a second dataset; digits has coarse groups instead
        data["aux"] = "coarse"
    base["train"] = {k: v for k, v in base.get("train", {}).items() if k != "epochs"}
    base["eval"] = {**base.get("eval", {}), "every": 0}
    cfg = resolve(deep_merge(base, {"model": {"preset": preset}}))
    return override(cfg, {key: value, "train.iterations": MAX_STEPS})


@dataclass
class _Run:
    init: dict      # network -> flat parameters before training
    final: dict     # ... after
    shapes: dict    # network -> parameter shapes
    losses: list    # per iteration: {loss name: value}
    rtol: float     # the parameters' tolerance for this optimizer


def _train(cfg, steps: int) -> _Run:
    import torch

    from gansweep.task import build_task

    task = build_task(cfg, torch.device("cpu"))
    nets = _networks(task)
    init = {n: _flat(m) for n, m in nets.items()}
    losses = []
    for _ in range(steps):
        task.step()
        # Losses and penalties (the chapter-2 classifier logs lambda's term as sharing_penalty).
        losses.append({k: v for k, v in task.scalars().items() if "loss" in k or "penalty" in k})
    return _Run(init, {n: _flat(m) for n, m in nets.items()},
                {n: [tuple(p.shape) for p in m.parameters()] for n, m in nets.items()}, losses,
                PARAM_RTOL if cfg.optim.name in ("adam", "rmsprop") else FLOAT_RTOL)


def _networks(task) -> dict:
    """Every trained network of a task: the GAN's named nets, else its module attributes."""
    import torch

    nets = getattr(task, "nets", None)
    if nets is not None and hasattr(nets, "named"):
        return nets.named()
    out = {}
    for name, value in vars(task).items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, m in items:
            if isinstance(m, torch.nn.Module):
                out[name if sub is None else f"{name}.{sub}"] = m
    return out


def _flat(module):
    import torch

    params = [p.detach().reshape(-1).double() for p in module.parameters()]
    return torch.cat(params).clone() if params else torch.zeros(0, dtype=torch.float64)


def _difference(a: _Run, b: _Run) -> str | None:
    if a.shapes != b.shapes:
        return "the networks' shapes differ"
    for i, (la, lb) in enumerate(zip(a.losses, b.losses)):
        if la.keys() != lb.keys():
            return f"iteration {i} computes different losses ({', '.join(sorted(la.keys() ^ lb.keys()))})"
    for name, va in a.losses[0].items():
        vb = b.losses[0][name]
        if not math.isclose(va, vb, rel_tol=LOSS_RTOL, abs_tol=1e-12):
            return f"the first iteration's {name} differs ({va:.6g} vs {vb:.6g})"
    for net, rel in _param_gaps(a, b).items():
        if rel > a.rtol:
            return f"{net}'s parameters differ by {_pct(rel)} of its update"
    return None


def _param_gaps(a: _Run, b: _Run) -> dict[str, float]:
    """Per network: ||theta_a - theta_b|| over the larger of the two runs' updates."""
    gaps = {}
    for net in a.final:
        gap = float((a.final[net] - b.final[net]).norm())
        scale = max(float((a.final[net] - a.init[net]).norm()),
                    float((b.final[net] - b.init[net]).norm()))
        gaps[net] = 0.0 if gap == 0 else (math.inf if scale == 0 else gap / scale)
    return gaps


def _pct(x: float) -> str:
    return "inf" if math.isinf(x) else f"{100 * x:.2g}%"
