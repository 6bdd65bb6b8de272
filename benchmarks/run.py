"""`make bench`: every benchmark in one run, one JSON record, and the README's table.

    python -m benchmarks.run            # full run (about 10 minutes on 2 CPU cores)
    python -m benchmarks.run --smoke    # every benchmark at toy size; no record written

Writes benchmarks/results/bench-<device>-<date>.json (machine, CPU, device, versions, git
commit, figures) and rewrites the table between the markers in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
import tempfile
from pathlib import Path

import torch

from benchmarks import eval_speed, memory, overhead, packing, scale, throughput
from benchmarks.common import NO_GPU, ROOT, machine, write_record

README = ROOT / "benchmarks" / "README.md"
BEGIN, END = "<!-- latest-figures:begin -->", "<!-- latest-figures:end -->"


def eval_seconds(device: torch.device, samples: list[int], smoke: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights, kind = eval_speed.weights_file(tmp, None)
        results = [eval_speed.run_one(n, min(100, n), weights, device, tmp, smoke) for n in samples]
    for r in results:
        print(f"eval N={r['samples']}: gansweep {r['gansweep']['total_s']:.1f} s | pytorch-fid "
              f"{r['pytorch_fid']['total_s']:.1f} s", flush=True)
    return {"weights": kind, "results": results}


def table(record: dict, path: str) -> str:
    m = record["machine"]
    rows = [f"Recorded {record['date']} on {m['cpu']} ({m['cpus']} cores), device `{m['device']}`, "
            f"torch {m['torch']}, commit `{m['git_commit'][:12]}`, by `{record['command']}` "
            f"(record: `{path}`). Load average at start: {m['load_average_at_start'][0]:.1f} on "
            f"{m['cpus']} cores (the machine is shared; figures move with it). FID timings use "
            f"{'random Inception weights of the real architecture' if 'RANDOM' in record['eval']['weights'] else 'the real Inception weights'}.",
            "",
            "| figure | value |", "|---|---|"]
    for r in record["throughput"]:
        g = f", G batch {r['batch_size_g']}" if r["batch_size_g"] != r["batch_size"] else ""
        rows.append(f"| throughput {r['preset']} (width {r['width']}, batch {r['batch_size']}{g}, n_D {r['n_critic']}): "
                    f"trainer / plain "
                    f"| {r['trainer_it_s']:.3f} / {r['plain_it_s']:.3f} it/s, ratio **{r['ratio_trainer_over_plain']:.2f}** |")
    for r in record["eval"]["results"]:
        rows.append(f"| FID eval, {r['samples']} samples: gansweep / pytorch-fid "
                    f"| {r['gansweep']['total_s']:.1f} / {r['pytorch_fid']['total_s']:.1f} s |")
    o = record["overhead"]
    rows.append(f"| sweep overhead, share of trial time outside train+eval ({o.get('spec', 'smoke quickstart')}) "
                f"| {100 * o['mean_trial_overhead_share']:.1f}% per trial; {100 * o['sweep_overhead_share']:.0f}% "
                f"of the sweep's wall time |")
    if "startup" in o:
        rows.append(f"| `gansweep run` to first training step | {o['startup']['seconds_to_first_training_step']:.1f} s |")
    for r in record["scale"]["runs"]:
        rows.append(f"| scale: {r['trials']} trials on {r['nodes']} simulated nodes (2 removed, 1 added) "
                    f"| {r['wall_s_per_trial']:.2f} s/trial, lost {r['lost']}, duplicated {r['duplicated']}; "
                    f"status {r['status_s']:.1f} s, collect {r['collect_s']:.1f} s (table: Scale, below) |")
    for r in record["memory"]:
        cuda = r["cuda_max_allocated_mb"]
        cuda = f"{cuda:.0f} MB" if isinstance(cuda, float) else cuda
        rows.append(f"| memory {r['preset']}: peak RSS / CUDA max allocated | {r['peak_rss_mb']:.0f} MB / {cuda} |")
    pk = record["packing"]
    if pk.get("measured"):
        rows.append("| packing (aggregate it/s, k = " + ", ".join(str(x["trials"]) for x in pk["results"]) + ") | "
                    + ", ".join(f"{x['aggregate_it_s']:.2f}" for x in pk["results"]) + " |")
    else:
        rows.append(f"| packing 1/2/4/8 trials per GPU | {pk['reason']} |")
    if record["machine"]["device"] == "cpu":
        rows.append(f"| GPU throughput, compile, bf16, channels-last speed-ups | {NO_GPU} |")
    return "\n".join(rows)


def update_readme(text: str) -> None:
    old = README.read_text()
    new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), f"{BEGIN}\n{text}\n{END}", old, flags=re.S)
    README.write_text(new)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--smoke", action="store_true", help="toy sizes; prints, writes nothing")
    p.add_argument("--eval-samples", type=int, nargs="+", default=None)
    args = p.parse_args(argv)
    device = torch.device(args.device)
    record = {"benchmark": "bench", "date": datetime.datetime.now().isoformat(timespec="seconds"),
              "command": "make bench" + (" (--smoke)" if args.smoke else ""), "machine": machine(device)}
    print("== throughput", flush=True)
    record["throughput"] = throughput.run_all(device, args.smoke)
    print("== evaluation", flush=True)
    samples = args.eval_samples or ([20] if args.smoke else [200 if device.type == "cpu" else 5000])
    record["eval"] = eval_seconds(device, samples, args.smoke)
    print("== sweep overhead", flush=True)
    record["overhead"] = overhead.run_all(args.smoke)
    print("== scale", flush=True)
    record["scale"] = scale.run_all([8] if args.smoke else [100], args.smoke)
    print("== memory", flush=True)
    record["memory"] = memory.run_all(args.device, args.smoke)
    print("== packing", flush=True)
    record["packing"] = packing.measure(device=args.device) if not args.smoke else {"measured": False,
                                                                                    "reason": "skipped in --smoke"}
    print(record["packing"].get("reason", ""), flush=True)
    if args.smoke:
        print(table(record, "(smoke: not written)"))
        return 0
    path = write_record("bench", device, record)
    update_readme(table(record, path.relative_to(ROOT).as_posix()))
    print(f"wrote {path} and the table in {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
