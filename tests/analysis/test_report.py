"""report: Markdown + self-contained HTML, checked as files and in headless Chromium; the
sample figures from a real sweep's checkpoint, their numbers checked."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from analysis_fixtures import ERROR, REASON, trial_id

from analysis import samples
from analysis.experiment import read_experiment
from analysis.report import report
from gansweep.cli import main as cli

# Injected into a copy of the report: records every error (script errors and resources
# that failed to load, caught in the capture phase) and, once the page has loaded, writes
# each image's natural width and the errors into the DOM for --dump-dom to print.
PROBE_HEAD = ("<script>window.__errors=[];addEventListener('error',function(e){__errors.push("
              "String(e.message||(e.target&&(e.target.src||'').slice(0,60))))},true);</script>")
PROBE_BODY = ("<script>addEventListener('load',function(){var p=document.createElement('pre');"
              "p.id='probe';p.textContent=JSON.stringify({widths:[].map.call(document.images,"
              "function(i){return i.naturalWidth}),errors:__errors});document.body.appendChild(p)});</script>")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def open_in_chromium(html: Path, tmp: Path) -> dict:
    probe = tmp / "probe.html"
    text = html.read_text()
    probe.write_text(text.replace("</head>", PROBE_HEAD + "</head>", 1).replace("</body>", PROBE_BODY + "</body>", 1))
    done = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp / 'profile'}", "--virtual-time-budget=10000",
                           "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def markdown_images(md: Path) -> list[str]:
    return re.findall(r"\]\((images/[^)]+\.png)\)", md.read_text())


def html_images(html: Path) -> list[bytes]:
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', html.read_text())
    assert all(s.startswith("data:image/png;base64,") for s in srcs)  # nothing fetched from elsewhere
    return [base64.b64decode(s.split(",", 1)[1]) for s in srcs]


def check_self_contained(out: Path) -> list[str]:
    """Every image the Markdown references exists and is embedded, byte for byte, in the HTML."""
    refs = markdown_images(out / "report.md")
    assert refs and all((out / r).stat().st_size > 1000 for r in refs)
    assert html_images(out / "report.html") == [(out / r).read_bytes() for r in refs]
    assert not re.search(r'(src|href)="(?!data:)', (out / "report.html").read_text())
    return refs


def test_report_of_a_partly_failed_experiment(fx, tmp_path):
    out = Path(report(str(fx)))
    assert out == fx / "report"
    refs = check_self_contained(out)
    assert {Path(r).name for r in refs} == {"curve-fid_digits.png", "curve-is_digits.png", "params.png",
                                            "optuna-history.png", "optuna-slice.png", "optuna-importance.png",
                                            "optuna-contour.png", "wallclock.png"}
    md = (out / "report.md").read_text()
    for text in (ERROR.strip().splitlines()[-1], REASON, trial_id(2, 1), trial_id(3, 1),
                 "Failed trials (2)", "**best** `fid_digits` (`optimize: best`)",
                 "loss.sharing_lambda:", "No checkpoint of this trial was kept",
                 "## Best sampled configurations"):
        assert text in md, text
    assert md.count("median [25th, 75th percentile]") == 1
    # a second report replaces the first, figures included
    (out / "images" / "stale.png").write_bytes(b"old")
    report(str(fx), with_samples=False)
    assert not (out / "images" / "stale.png").exists()


def test_report_to_a_uri_and_cli(fx, tmp_path, capsys):
    assert report(f"file://{fx}", f"file://{tmp_path}/r") == f"file://{tmp_path}/r"
    check_self_contained(tmp_path / "r")
    assert cli(["report", str(fx), "-o", str(tmp_path / "cli"), "--no-samples"]) == 0
    assert str(tmp_path / "cli" / "report.html") in capsys.readouterr().out
    assert cli(["report", str(tmp_path / "missing")]) == 2


def test_html_opens_in_chromium(fx, tmp_path):
    if chromium() is None:
        pytest.skip("no chromium on PATH (`apt-get install chromium`; `make test` installs it)")
    out = Path(report(str(fx), str(tmp_path / "report")))
    seen = open_in_chromium(out / "report.html", tmp_path)
    assert seen["errors"] == []
    assert len(seen["widths"]) == len(markdown_images(out / "report.md")) == 8
    assert all(w > 0 for w in seen["widths"])


@pytest.mark.slow
def test_report_of_a_real_sweep_with_samples(real_sweep, tmp_path):
    out = Path(report(str(real_sweep), str(tmp_path / "report")))
    names = {Path(r).name.split("-", 1)[-1] for r in check_self_contained(out)}
    assert {"grid.png", "interpolation.png", "neighbours.png"} <= names
    if chromium():
        seen = open_in_chromium(out / "report.html", tmp_path)
        assert seen["errors"] == [] and len(seen["widths"]) == len(names) and min(seen["widths"]) > 0


@pytest.fixture(scope="module")
def task(real_sweep):
    from gansweep.run import load_trainer

    exp = read_experiment(str(real_sweep))
    newest = [t.checkpoints[max(t.checkpoints)] for t in exp.trials if t.checkpoints]
    return load_trainer(real_sweep / newest[0], device="cpu")


@pytest.mark.slow
def test_sample_figures(task, tmp_path):
    grid = samples.plot_sample_grid(task, tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 1000
    assert (grid["rows"], grid["cols"]) == (10, 10) and grid["images"].shape[0] == 100
    assert grid["classes"] == [r for r in range(10) for _ in range(10)]  # class k in row k

    strip = samples.plot_interpolation(task, tmp_path / "interp.png", rows=2)
    assert (tmp_path / "interp.png").stat().st_size > 1000
    assert strip["values"].tolist() == [-2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert len(set(strip["dims"])) == 2
    z = samples.latents(task, 2, 1)[1].repeat(11, 1)  # row 1 again, by hand
    z[:, strip["dims"][1]] = torch.as_tensor(strip["values"], dtype=z.dtype)
    assert np.array_equal(samples.sample(task, z, [1] * 11), strip["images"][1])


def test_nearest_neighbours_by_brute_force(tmp_path):
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (50, 4, 4, 3), dtype=np.uint8)
    queries = np.clip(train[[7, 3, 41]].astype(int) + rng.integers(-3, 4, (3, 4, 4, 3)), 0, 255).astype(np.uint8)
    index, dist = samples.nearest(queries, train, chunk=16)  # across chunks
    full = np.linalg.norm(queries.reshape(3, 1, -1) / 255.0 - train.reshape(1, 50, -1) / 255.0, axis=2)
    assert index.tolist() == [7, 3, 41] == full.argmin(1).tolist()
    assert np.allclose(dist, full.min(1), atol=1e-5)


@pytest.mark.slow
def test_nearest_neighbour_figure(task, tmp_path):
    from gansweep.data import load_dataset

    real = load_dataset(task.cfg.data, "train").images
    data = samples.plot_nearest_neighbours(task, real, tmp_path / "nn.png", n=4)
    assert (tmp_path / "nn.png").stat().st_size > 1000
    train = real.numpy().transpose(0, 2, 3, 1)
    assert np.array_equal(data["neighbours"], train[data["index"]])
    full = np.linalg.norm(data["samples"].reshape(4, 1, -1) / 255.0 - train.reshape(1, len(train), -1) / 255.0, axis=2)
    assert np.allclose(data["distance"], full.min(1), atol=1e-4)


def test_optuna_figures_come_from_the_stored_study(fx, tmp_path):
    """An experiment with its searcher's journal: the report draws Optuna's figures from it."""
    import optuna

    from gansweep.sweep.storage import Location
    from gansweep.sweep.study import STUDY_FILE, StudyFile

    f = StudyFile(Location(fx))
    study = optuna.create_study(study_name=f.name, storage=f.storage(), direction="minimize")
    for lam, b, value in ((0.1, 2, 12.0), (1.0, 1, 14.0), (0.01, 1, 15.0), (0.3, 2, 16.0)):
        study.enqueue_trial({"loss.sharing_lambda": lam, "model.shared_layers": b})
        trial = study.ask({"loss.sharing_lambda": optuna.distributions.FloatDistribution(0.01, 1.0, log=True),
                           "model.shared_layers": optuna.distributions.CategoricalDistribution([1, 2])})
        study.tell(trial, value)
    assert (fx / STUDY_FILE).exists()
    out = Path(report(str(fx), str(tmp_path / "r"), with_samples=False))
    md = (out / "report.md").read_text()
    assert f"Optuna's plot of the experiment's stored Optuna study ({STUDY_FILE})" in md
    assert (out / "images" / "optuna-history.pdf").exists()
    # Optuna's ggplot style stays inside its figures: later ones (the sample grids) got
    # grid lines drawn through their images (seen in the WGAN-variants study's report)
    import matplotlib
    assert matplotlib.rcParams["axes.grid"] is False and matplotlib.rcParams["axes.facecolor"] == "white"
