"""Evaluation during training: every metric that applies, on one fixed set of latents.

The z set (and y: classes cycled evenly, 0, 1, ..., K-1, 0, ...) is drawn once from a
dedicated CPU torch.Generator seeded with EVAL_Z_SEED, so every evaluation of every trial on
every device sees the same latents (the depth study 4.5: "a fixed set of 5000 noise vectors ...
reused throughout the training"; 5000 samples as the thesis 4.0.6). Real-data statistics come
from the shared cache (gansweep.metrics.cache), computed by the first trial that needs them.

Metric names (EvalConfig.metrics; empty = every one that applies), with D = the dataset:
    fid, is            pytorch-fid Inception (only when the weights file is found); is -> is, is_std
    fid_D, is_D        the domain classifier's features / classes (digits and mnist by default)
    cond_acc           conditional models: the domain classifier's accuracy on requested classes
    intra_fid_D        conditional models: mean per-class FID in the domain feature space
    diversity_D        within-class diversity ratio (conditional: requested classes; else
                       the classifier's predicted classes; default for digits/mnist)
    nn_ratio           memorisation: nn_dist, nn_dist_test, nn_ratio (needs the test split)
    is_lenet           the MNIST DCGAN report's LeNet (metrics/lenet.py) as the IS classifier (digits, mnist;
                       default for mnist)
    acc_lenet          conditional models: the MNIST DCGAN report's "Inception accuracy", the LeNet's
                       accuracy on requested classes (default for conditional mnist)
    aug_gain           conditional models, only when listed (it trains two LeNets): test
                       accuracy of a LeNet on real + generated minus real only, with
                       aug_acc, aug_acc_real (metrics/augmentation.py, the MNIST DCGAN report section 4)
"""

from __future__ import annotations

import time
import warnings

import torch

from gansweep.config import ConfigError
from gansweep.latent import sample_latents
from gansweep.metrics import cache, conditional as cond, registry
from gansweep.metrics.base import METRICS_VERSION, FeatureExtractor, quantize
from gansweep.metrics.domain import DOMAINS, load_domain_extractor
from gansweep.metrics.fid import fid_from_features, statistics
from gansweep.metrics.inception import InceptionExtractor, resolve_weights, weights_available
from gansweep.metrics.inception_score import SPLITS, inception_score
from gansweep.metrics.kid import kid
from gansweep.metrics.lenet import load_lenet
from gansweep.metrics.provenance import Provenance

EVAL_Z_SEED = 20170905       # the fixed latent set: the same constant for every trial
REAL_SUBSET_SEED = 20170906  # which real images when eval.real_samples < the dataset size


def default_metrics(dataset: str, conditional: bool, inception: bool) -> list[str]:
    names = ["fid", "kid", "is"] if inception else []  # KID beside every FID: unbiased at few samples
    spec = DOMAINS.get(dataset)
    if spec is not None and spec.reports_fid_is:
        names += [f"fid_{dataset}", f"kid_{dataset}", f"is_{dataset}"]
    if spec is not None and conditional:
        names += ["cond_acc", f"intra_fid_{dataset}"]
    if spec is not None and (conditional or spec.reports_fid_is):
        names.append(f"diversity_{dataset}")
    if dataset == "mnist":  # the MNIST DCGAN report judges its MNIST GANs by the LeNet (section 3)
        names += ["is_lenet"] + (["acc_lenet"] if conditional else [])
    return names + ["nn_ratio"]


def select_metrics(cfg, conditional: bool, samples: int, weights) -> list[str]:
    """The metrics an evaluation computes: cfg.eval.metrics, or every one that applies when
    it is empty. A request that cannot be met is a ConfigError (the trainer asks at
    construction, so a run fails before training, not at its first evaluation)."""
    requested, dataset = list(cfg.eval.metrics), cfg.data.name
    known = registry.requestable(dataset)
    bad = [m for m in requested if m not in known]
    if bad:
        raise ConfigError([f"eval.metrics: unknown {bad}; known for {dataset}: {', '.join(known)}"])
    if not requested:
        chosen = default_metrics(dataset, conditional, weights_available(weights))
        # IS needs a sample per split; a toy evaluation just goes without it.
        return [m for m in chosen if not (m.startswith("is") and samples < SPLITS)]
    if registry.needs_inception(requested):
        resolve_weights(weights)  # the one clear error, now rather than at iteration 2000
    if any(m.startswith("is") for m in requested) and samples < SPLITS:
        raise ConfigError([f"eval.samples: the Inception Score needs >= {SPLITS} samples "
                           f"(one per split), got {samples}"])
    needs_cond = [m for m in requested if "labels" in registry.lookup(m).needs]
    if needs_cond and not conditional:
        raise ConfigError([f"eval.metrics: {', '.join(needs_cond)} need a class-conditional "
                           "generator (model.g_cond), and this model has none"])
    if "aug_gain" in requested and cfg.eval.aug_generated > samples:
        raise ConfigError([f"eval.aug_generated: must be <= the {samples} generated samples "
                           f"per evaluation, got {cfg.eval.aug_generated}"])
    return requested


def fixed_latents(n: int, z_dim: int, num_classes: int, seed: int = EVAL_Z_SEED,
                  dist: str = "normal"):
    """(z (n, z_dim), y (n,)) on the CPU: the same numbers whatever the trial's device.
    `dist` is model.z_dist: the fixed set comes from the prior G was trained on."""
    g = torch.Generator().manual_seed(seed)
    z = sample_latents(n, z_dim, dist, generator=g)
    y = torch.arange(n) % max(num_classes, 1)
    return z, y


class Evaluator:
    """Scores a generator on the fixed latent set: `evaluate(sample_fn) -> {name: float}`.

    sample_fn(z (B, z_dim), y (B,) int64 or None) -> (B, C, H, W) floats in [-1, 1] on
    `device`. Construction resolves the metrics, loads or trains the feature extractors and
    loads or computes the real statistics (shared cache); `provenance()` says, for every key
    `evaluate` returns, how it was computed.
    """

    def __init__(self, cfg, dataset_train, device, num_classes: int, conditional: bool, z_dim: int,
                 *, z_seed: int = EVAL_Z_SEED, samples: int | None = None,
                 inception_weights: str | None = None, domain_data=None, test_images=None,
                 numerics: str | None = None):
        """`numerics`: how the generator was trained and is sampled (Trainer.numerics), for
        provenance. `domain_data` (train x, y, test x, y at native size) and `test_images` default to the
        dataset's own splits through gansweep.data; tests and tools may pass them."""
        e = cfg.eval
        self.cfg, self.data = cfg, dataset_train
        self.device = torch.device(device)
        self.num_classes, self.conditional, self.z_seed = num_classes, conditional, z_seed
        self.z_dim, self.numerics = z_dim, numerics
        self.dataset = cfg.data.name
        self.samples = samples or e.samples
        self.batch_size = e.batch_size
        self.cache_dir = cache.cache_dir(e.cache_dir)
        self.last_timings: dict[str, float] = {}
        # Building networks draws from the global RNG (default inits). The trainer builds its
        # evaluator lazily at the first evaluation, which after a resume comes at another
        # iteration: a consumed RNG would make resumed runs diverge from uninterrupted ones.
        with torch.random.fork_rng(devices=[]):
            self._setup(inception_weights or e.inception_weights, domain_data, test_images)

    def _setup(self, weights, domain_data, test_images) -> None:
        e = self.cfg.eval
        self.metrics = self._select(list(e.metrics), weights)
        self.z, self.y = fixed_latents(self.samples, self.z_dim, self.num_classes, self.z_seed,
                                       self.cfg.model.z_dist)
        self.real_images, self.real_labels = self._real_subset(e.real_samples)
        self.real_sha256 = cache.data_sha256(self.real_images, self.real_labels)
        self.extractors: dict[str, FeatureExtractor] = {}
        if registry.needs_inception(self.metrics):
            self.extractors["inception"] = InceptionExtractor(resolve_weights(weights), self.device)
        if any(m.endswith(f"_{self.dataset}") or m == "cond_acc" for m in self.metrics):
            self.extractors["domain"] = load_domain_extractor(
                self.dataset, self.cache_dir, self.device, data=domain_data, root=self.cfg.data.root)
        if {"is_lenet", "acc_lenet"} & set(self.metrics):
            self.extractors["lenet"] = load_lenet(self.dataset, self.cache_dir, self.device,
                                                  data=domain_data, root=self.cfg.data.root)
        # The LeNet's scores need no real statistics (it reports no Fréchet distance).
        self._real_pass: dict[str, torch.Tensor] = {}
        self.real = {k: self._real_stats(k) for k in self.extractors if k != "lenet"}
        for kind, ext in self.extractors.items():  # KID compares features, not statistics
            if f"kid{ext.suffix}" in self.metrics:
                self.real[kind]["features"] = self._real_features(kind)
        self._real_pass.clear()  # kept in the cache, not in memory
        self.memo = self._memorisation(test_images) if "nn_ratio" in self.metrics else None
        self.aug = self._augmentation(domain_data) if "aug_gain" in self.metrics else None

    # --- setup -------------------------------------------------------------------------------

    def _select(self, requested: list[str], weights) -> list[str]:
        return select_metrics(self.cfg, self.conditional, self.samples, weights)

    def _real_subset(self, n: int | None):
        images, labels = self.data.images, self.data.labels
        if n is not None and n < len(images):
            idx = torch.randperm(len(images), generator=torch.Generator().manual_seed(REAL_SUBSET_SEED))[:n]
            images, labels = images[idx], labels[idx]
        return images, labels

    def _real_stats(self, kind: str) -> dict:
        ext = self.extractors[kind]
        per_class = kind == "domain"
        key = {"kind": "real-stats", "dataset": self.dataset, "split": "train",
               "n": len(self.real_images), "shape": list(self.real_images.shape[1:]),
               "data_sha256": self.real_sha256, "extractor": ext.name,
               "weights_sha256": ext.weights_sha256, "per_class": per_class,
               "version": METRICS_VERSION}

        def compute():
            feats = self._run_on_real(kind)
            mu, sigma = statistics(feats)
            out = {"mu": mu.cpu().numpy(), "sigma": sigma.cpu().numpy()}
            if per_class:
                labels = self.real_labels.to(feats.device)
                cmu, csig, counts = cond.class_statistics(feats, labels, ext.num_classes)
                out.update(class_mu=cmu.cpu().numpy(), class_sigma=csig.cpu().numpy(),
                           class_counts=counts.cpu().numpy(),
                           class_div=cond.class_diversity(feats, labels, ext.num_classes).numpy())
            return out

        stem = f"{self.dataset}-train-n{len(self.real_images)}-{ext.name}"
        arrays = cache.cached_arrays(self.cache_dir, stem, key, compute)
        return {k: torch.from_numpy(v).to(self.device) for k, v in arrays.items()}

    def _run_on_real(self, kind: str) -> torch.Tensor:
        """The extractor on the real subset, once per evaluator: statistics and KID's
        features, when both are missing from the cache, share one pass."""
        if kind not in self._real_pass:
            self._real_pass[kind] = self.extractors[kind].run(self.real_images, self.batch_size)[0]
        return self._real_pass[kind]

    def _real_features(self, kind: str) -> torch.Tensor:
        """The real subset's features (float32) from the shared cache, for KID."""
        ext = self.extractors[kind]
        key = {"kind": "real-features", "dataset": self.dataset, "split": "train",
               "n": len(self.real_images), "data_sha256": self.real_sha256, "extractor": ext.name,
               "weights_sha256": ext.weights_sha256, "version": METRICS_VERSION}

        def compute():
            return {"features": self._run_on_real(kind).float().cpu().numpy()}

        stem = f"{self.dataset}-train-n{len(self.real_images)}-{ext.name}-features"
        arrays = cache.cached_arrays(self.cache_dir, stem, key, compute)
        return torch.from_numpy(arrays["features"]).to(self.device)

    def _memorisation(self, test_images):
        if test_images is None:
            try:
                from gansweep.data import load_dataset
                test_images = load_dataset(self.cfg.data, "test").images
            except Exception as err:  # noqa: BLE001 - any missing split: drop the metric, say why
                if self.cfg.eval.metrics:
                    raise
                warnings.warn(f"nn_ratio skipped: no test split for {self.dataset} ({err})")
                self.metrics.remove("nn_ratio")
                return None
        # Against every image the generator was trained on, not the statistics subset.
        return cond.Memorisation(self.data.images, test_images, self.device)

    def _augmentation(self, domain_data):
        from gansweep.metrics.augmentation import AugmentationGain

        if domain_data is not None:
            test = domain_data[2], domain_data[3]
        else:
            from gansweep.data import load_dataset
            split = load_dataset(self.cfg.data, "test")
            test = split.images, split.labels
        e = self.cfg.eval
        # The LeNets train on the evaluator's device (CPU: deterministic, one thread).
        return AugmentationGain((self.data.images, self.data.labels), test, e.aug_real,
                                e.aug_epochs, self.device)

    # --- evaluation --------------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, sample_fn) -> torch.Tensor:
        """The fixed latents through `sample_fn`, quantised to uint8 (N, C, H, W) on the device."""
        shape = tuple(self.data.images.shape[1:])
        out = torch.empty((self.samples, *shape), dtype=torch.uint8, device=self.device)
        for start in range(0, self.samples, self.batch_size):
            z = self.z[start:start + self.batch_size].to(self.device)
            y = self.y[start:start + self.batch_size].to(self.device) if self.conditional else None
            x = sample_fn(z, y)
            if tuple(x.shape[1:]) != shape:
                raise ValueError(f"sample_fn returned images of shape {tuple(x.shape[1:])}; "
                                 f"the dataset's are {shape}")
            out[start:start + len(x)] = quantize(x).to(self.device)
        return out

    def evaluate(self, sample_fn) -> dict[str, float]:
        """Flat metric name -> value for `self.metrics`; timings in `self.last_timings`."""
        clock = _Clock(self.device)
        images = self.generate(sample_fn)
        clock.lap("generate_s")
        out: dict[str, float] = {}
        for kind, ext in self.extractors.items():
            feats, logits = ext.run(images, self.batch_size)
            clock.lap("features_s")
            out.update(self._scores(kind, ext, feats, logits))
            clock.lap("distance_s")
        if self.memo is not None:
            out.update(self.memo(images))
            clock.lap("distance_s")
        if self.aug is not None:
            # The first aug_generated fixed latents: classes 0, 1, ..., K-1, 0, ... (balanced).
            n = self.cfg.eval.aug_generated
            out.update(self.aug(images[:n].cpu(), self.y[:n]))
            clock.lap("augment_s")
        self.last_timings = clock.laps
        return out

    def _scores(self, kind: str, ext: FeatureExtractor, feats, logits) -> dict[str, float]:
        s, real, want, out = ext.suffix, self.real.get(kind), set(self.metrics), {}
        if f"fid{s}" in want:
            out[f"fid{s}"] = fid_from_features(feats, real["mu"], real["sigma"])
        if f"kid{s}" in want:
            e = self.cfg.eval
            out[f"kid{s}"], out[f"kid{s}_std"] = kid(feats, real["features"], e.kid_subsets,
                                                     e.kid_subset_size)
        if f"is{s}" in want:
            out[f"is{s}"], out[f"is{s}_std"] = inception_score(logits, SPLITS)
        if kind == "lenet" and "acc_lenet" in want:
            out["acc_lenet"] = cond.conditional_accuracy(logits, self.y.to(feats.device))
        if kind != "domain":
            return out
        y = self.y.to(feats.device)
        if "cond_acc" in want:
            out["cond_acc"] = cond.conditional_accuracy(logits, y)
        if f"intra_fid{s}" in want:
            out[f"intra_fid{s}"] = cond.intra_fid(feats, y, real["class_mu"], real["class_sigma"],
                                                  real["class_counts"])
        if f"diversity{s}" in want:
            groups = y if self.conditional else logits.argmax(1)
            gen = cond.class_diversity(feats, groups, ext.num_classes)
            out[f"diversity{s}"] = cond.diversity_ratio(gen, real["class_div"])
        return out

    # --- provenance --------------------------------------------------------------------------

    def provenance(self) -> dict:
        """Reported name -> Provenance dict (implementation, extractor, weights, n, split)."""
        c, h, w = self.real_images.shape[1:]
        common = dict(n_generated=self.samples, real_split="train", dataset=f"{self.dataset}@{c}x{h}x{w}",
                      z_seed=self.z_seed, real_sha256=self.real_sha256, numerics=self.numerics)
        out = {}
        for name in self.metrics:
            kind = {"fid": "inception", "kid": "inception", "is": "inception", "is_lenet": "lenet",
                    "acc_lenet": "lenet"}.get(name, "domain")
            ext = self.extractors.get(kind)
            for reported in registry.companions(name, self.dataset):
                impl = registry.reference(reported)
                if reported.startswith("kid"):  # how many subsets of how many, as run
                    size = min(self.cfg.eval.kid_subset_size, self.samples, len(self.real_images))
                    impl += f", {self.cfg.eval.kid_subsets} subsets of {size}"
                if name == "nn_ratio":
                    prov = Provenance(reported, impl, "pixels-grey", None,
                                      n_real=len(self.data.images), **common)
                elif name == "aug_gain":
                    trained = f"lenet5-v1, {self.cfg.eval.aug_epochs} epochs per evaluation"
                    prov = Provenance(reported, impl, trained, None,
                                      n_real=min(self.cfg.eval.aug_real, len(self.data.images)),
                                      **{**common, "n_generated": self.cfg.eval.aug_generated})
                else:
                    prov = Provenance(reported, impl, ext.name, ext.weights_sha256,
                                      n_real=len(self.real_images), **common)
                out[reported] = prov.to_dict()
        return out


class _Clock:
    """Seconds per phase; synchronises CUDA so asynchronous kernels land in their own phase."""

    def __init__(self, device: torch.device):
        self.device, self.laps = device, {}
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self.t
        self.t = now
