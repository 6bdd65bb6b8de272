"""Generator iterations per second: gansweep's Trainer against the plain loop, same networks.

    python -m benchmarks.throughput            # WGAN, AC-WGAN.b, ResNet.b at the thesis's sizes
    python -m benchmarks.throughput --smoke    # toy widths, one iteration each: checks it runs

Thesis sizes (the thesis, Table 4.2/4.3 and Appendix D): 32x32x3 images, batch 64, n_D 5,
z 128; DCGAN width 64, ResNet width 128 with G batch 128. The data are random uint8 images
of CIFAR-100's shape held in memory (benchmarks.common.cifar_like), so data loading is not
measured. Both loops get a warmup iteration, then run in alternating rounds (trainer, plain,
trainer, plain, ...) so that a change of machine load hits both alike: at least two rounds,
more until each loop has run 20 s. The trainer's figure
includes what a real run does per step (learning-rate schedule, scalars kept on the device,
gradient norms for the log) and one `scalars()` read per round.
"""

from __future__ import annotations

import torch

from benchmarks.common import cifar_like, preset_parser, sync
from benchmarks.plain_loop import from_preset
from gansweep.config import deep_merge, resolve
from gansweep.trainer import Trainer

PRESETS = ("WGAN", "AC-WGAN.b", "ResNet.b")
SMOKE = {"model": {"width": 4, "g_width": 4, "z_dim": 8, "d_cond_units": 8},
         "train": {"batch_size": 8, "batch_size_g": None}}


def preset_config(preset: str, device: torch.device, overrides: dict | None = None):
    raw = deep_merge({"model": {"preset": preset}, "data": {"name": "cifar100"},
                      "train": {"device": device.type}, "eval": {"every": 0}}, overrides or {})
    return resolve(raw)


def measure(preset: str, device: torch.device, rounds: int = 2, per_round: int = 1,
            overrides: dict | None = None, data=None, seconds: float = 0.0) -> dict:
    """At least `rounds` alternating rounds, more until each loop has run `seconds`."""
    import time

    data = data if data is not None else cifar_like()
    cfg = preset_config(preset, device, overrides)
    trainer = Trainer(cfg, device, dataset=data)
    plain = from_preset(preset, data, device, overrides)
    trainer.step(), trainer.scalars(), plain.step()  # warmup (allocator, kernel choice, caches)
    spent = {"trainer": 0.0, "plain": 0.0}

    def run(name, step):
        sync(device)
        t = time.perf_counter()
        for _ in range(per_round):
            step()
        if name == "trainer":
            trainer.scalars()  # the one host sync a logged step costs
        sync(device)
        spent[name] += time.perf_counter() - t

    done = 0
    while done < rounds or min(spent.values()) < seconds:
        run("trainer", trainer.step)
        run("plain", plain.step)
        done += 1
    n = done * per_round
    rates = {k: n / v for k, v in spent.items()}
    return {"preset": preset, "iterations_each": n, "batch_size": cfg.train.batch_size,
            "batch_size_g": cfg.train.batch_size_g or cfg.train.batch_size, "n_critic": cfg.train.n_critic,
            "width": cfg.model.width, "trainer_it_s": rates["trainer"], "plain_it_s": rates["plain"],
            "ratio_trainer_over_plain": rates["trainer"] / rates["plain"],
            "trainer_switches": {"amp": trainer.amp, "channels_last": trainer.channels_last,
                                 "optimizer": "fused" if trainer.opts["D"].defaults.get("fused") else
                                 ("foreach" if trainer.opts["D"].defaults.get("foreach") else "for-loop"),
                                 "compile": cfg.train.compile}}


def run_all(device: torch.device, smoke: bool = False, presets=PRESETS) -> list[dict]:
    data = cifar_like(256 if smoke else 2048)
    out = []
    for preset in presets:
        r = measure(preset, device, rounds=1 if smoke else 2, overrides=SMOKE if smoke else None,
                    data=data, seconds=0.0 if smoke else 20.0)
        print(f"{preset:10s} trainer {r['trainer_it_s']:.3f} it/s | plain {r['plain_it_s']:.3f} it/s | "
              f"ratio {r['ratio_trainer_over_plain']:.3f}", flush=True)
        out.append(r)
    return out


def main(argv=None) -> int:
    p = preset_parser(__doc__, PRESETS)
    args = p.parse_args(argv)
    run_all(torch.device(args.device), args.smoke, args.preset)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
