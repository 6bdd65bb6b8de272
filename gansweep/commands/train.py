"""`gansweep train CONFIG.yaml --out DIR [--iterations N] [--set key=value ...]`

One training run without Ray. The smallest config is `{model: <preset>, data: {name: digits}}`.
Run again on the same DIR, it resumes from the newest checkpoint.
"""

from __future__ import annotations

import sys
import time

from gansweep.commands.args import bounded_int, device_arg
from gansweep.config import ConfigError, describe, load_yaml, nest, override
from gansweep.config.constraints import MAX_ITERATIONS
from gansweep.run import run_training


def add_arguments(p) -> None:
    p.add_argument("config", nargs="?", help="YAML config (a model preset plus overrides)")
    p.add_argument("--out", help="run directory (created; resumed when it has checkpoints)")
    p.add_argument("--iterations", type=bounded_int(1, MAX_ITERATIONS), help="train to this iteration (default train.iterations)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set optim.lr_d=2e-4 (YAML value syntax)")
    p.add_argument("--device", type=device_arg, help="cpu, cuda, cuda:N (default train.device)")
    p.add_argument("--help-config", action="store_true", help="list every config key and default")


def parse_overrides(items: list[str]) -> dict:
    """--set KEY=VALUE items, each VALUE read as strict YAML; every problem at once."""
    from gansweep.strict_yaml import YamlError, load_text

    out, problems = {}, []
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"--set {item}: expected KEY=VALUE")
        elif key in out:
            problems.append(f"{key}: --set twice")
        else:
            try:
                out[key] = load_text(value, allow_empty=True)
            except YamlError as err:
                problems += [f"{key}: {q}" for q in err.problems]
    if problems:
        raise ConfigError(problems)
    return nest(out)


def main(args) -> int:
    if args.help_config:
        print(describe())
        return 0
    if not args.config or not args.out:
        print("gansweep train: CONFIG and --out are required", file=sys.stderr)
        return 2
    cfg = load_yaml(args.config)  # a ConfigError is reported by gansweep.cli
    if args.overrides:
        cfg = override(cfg, parse_overrides(args.overrides))
    total = args.iterations or cfg.train.iterations
    t0 = time.perf_counter()

    def on_log(it: int, s: dict) -> None:
        rate = it / max(time.perf_counter() - t0, 1e-9)
        shown = "  ".join(f"{k} {s[k]:.4g}" for k in ("d_loss", "g_loss", "wasserstein", "val_acc")
                          if k in s)
        print(f"[{it:>7}/{total}] {shown}  ({rate:.1f} it/s)", flush=True)

    def on_eval(it: int, metrics: dict, path) -> None:
        print(f"[{it:>7}/{total}] eval " + "  ".join(f"{k} {v:.4g}" for k, v in metrics.items()),
              flush=True)

    result = run_training(cfg, args.out, total, device=args.device, on_log=on_log, on_eval=on_eval)
    print(f"{result.status} at iteration {result.iteration}" + (f": {result.reason}" if result.reason else ""))
    return 0 if result.status == "finished" else 1
