"""One training loop for every GAN of the seeds: the variants are data, not code paths.

A generator iteration k runs three phases (Algorithms 2-4 of the thesis):

    D  n_D times: critic loss (+ eta GP | weight clipping) (+ omega_d L_C for aux heads)
                  (+ lambda ||W_D,b - W_C,b|| when D and C soft-share, SC-WGAN.b)
    G  once:      generator loss (+ omega_g L_CF for aux heads)
                  (+ alpha CE(LeNet(G(z, y)), y) with a frozen real-trained LeNet, the MNIST DCGAN report 6.2)
    C  if k % s == 0 and the model has separate classifiers (SC-*): one classifier's
                  L_C = (L_CR + L_CF)/2 trains that classifier and, through L_CF, G
                  (Algorithm 4 lines 18-29); SC-WGAN.c picks one of its two with p = 1/2.
                  loss.sc_g_update = joint moves G's part into the G phase of those
                  iterations instead: L_G + omega_g L_C in one Adam step, as AC-WGAN's
                  Algorithm 3 line 31 (then C's step trains C alone).

Which phases exist, and what each adds to its loss, follows from the config alone.
The trainer knows nothing about Ray or files: the run loop (gansweep.run) drives it.
Nothing in `step()` reads a value back to the host: scalars stay on the device until
`scalars()` gathers them in one transfer.

Speed switches (train.amp, train.channels_last, optim.fused, train.compile) take effect on
CUDA only, so a CPU run is bit-identical to one without them (`train.fast_paths_on_cpu`
forces amp and channels_last on for the CPU tests of the CUDA code path). bf16 autocast
covers the forward passes and losses; backward runs outside it (as torch recommends) and
the gradient penalty is computed in fp32 (losses.gradient_penalty). bf16 has fp32's
exponent range, so no loss scaling is needed. The dataset already lives on the device
(`dataset.to(device)`), so there is no loader and nothing to pin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import contextlib

import torch

from gansweep import losses
from gansweep.checkpoint import load_modules_state, modules_state, preserved_rng, seed_everything
from gansweep.config import Config, steps_per_epoch
from gansweep.critic_schedule import critic_steps
from gansweep.data import ImageDataset, load_dataset, to_float
from gansweep.latent import sample_latents
from gansweep.models.families import build_gan
from gansweep.models.networks import data_shape
from gansweep.models.layers import frozen
from gansweep.optim import lr_factor, make_optimizer, set_lr
from gansweep.sampler import BatchSampler
from gansweep.stability import LossWindow, probabilities


@dataclass
class Phase:
    name: str
    update: Callable[[int], None]  # one optimisation step; gets the generator iteration k
    repeats: int | Callable[[int], int] = 1  # or a function of k (train.critic_schedule)
    every: int = 1

    def repeats_at(self, k: int) -> int:
        return self.repeats(k) if callable(self.repeats) else self.repeats


class Trainer:
    def __init__(self, cfg: Config, device: torch.device | str = "cpu", dataset: ImageDataset | None = None):
        self.cfg, self.device = cfg, torch.device(device)
        seed_everything(cfg.train.seed)
        dataset = dataset if dataset is not None else load_dataset(cfg.data, "train")
        self.dataset = dataset
        self.data = dataset.to(self.device)  # whole dataset on the device: batches are an index
        self.shape = data_shape(dataset)  # images, or the depth study's points in R^2
        t = cfg.train
        fast = self.device.type == "cuda" or t.fast_paths_on_cpu
        self.amp = fast and t.amp == "bf16"
        self.channels_last = fast and t.channels_last
        self.tf32 = self.device.type == "cuda" and t.tf32
        if self.device.type == "cuda":  # explicit both ways: cuDNN convolutions default to TF32
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = self.tf32
        self.nets = build_gan(cfg.model, self.shape)
        for net in self.nets.named().values():
            net.to(self.device).train()
            if self.channels_last:
                net.to(memory_format=torch.channels_last)
        # Compiled callables beside the modules: state_dicts keep their plain keys, and the
        # GP calls the eager D (AOTAutograd cannot do the penalty's double backward).
        self.G = torch.compile(self.nets.G) if t.compile else self.nets.G
        self.D = torch.compile(self.nets.D) if t.compile else self.nets.D
        o, dev = cfg.optim, self.device
        self.opts = {"D": make_optimizer(self.nets.D.parameters(), o.lr_d, o, dev),
                     "G": make_optimizer(self.nets.G.parameters(), o.lr_g, o, dev)}
        for i, c in enumerate(self.nets.classifiers):
            self.opts[f"C{i}"] = make_optimizer(c.parameters(), o.lr_c, o, dev)
        self.sc_joint = bool(self.nets.classifiers) and cfg.loss.sc_g_update == "joint"
        if self.nets.classifiers and not self.sc_joint:
            # Algorithm 4 line 29 updates theta with Adam on L_C, written apart from line 17's
            # update on L_G; as in a TF1 `minimize` per loss, it has its own moment estimates.
            # Adam normalises the gradient's scale away, so omega_g barely acts here (up to
            # Adam's eps); sc_g_update = joint is the variant in which it does.
            self.opts["G_via_C"] = make_optimizer(self.nets.G.parameters(), o.lr_g, o, dev)
        self.base_lr = {name: self._base_lr(name) for name in self.opts}
        self.lenet_loss = self._lenet_loss() if cfg.loss.classifier_alpha else None
        self.sampler = BatchSampler(len(dataset), cfg.train.seed, self.device)
        self.choice = torch.Generator().manual_seed(cfg.train.seed)  # SC-WGAN.c; CPU, no sync
        self._picked: tuple[int, int] | None = None  # (k, classifier) drawn for iteration k
        self.iteration = 0
        self._scalars: dict[str, torch.Tensor] = {}
        self._evaluator = None  # built at the first evaluation; its metrics are checked now
        if cfg.eval.every and not self.dataset.is_points:
            from gansweep.metrics.evaluator import select_metrics
            select_metrics(cfg, self.conditional, cfg.eval.samples, cfg.eval.inception_weights)
        self.loss_window = LossWindow(t.loss_window, self.device) if t.loss_window else None
        self.phases = [Phase("D", self._critic_step, repeats=lambda k: critic_steps(cfg.train, k)),
                       Phase("G", self._generator_step)]
        if self.nets.classifiers:
            self.phases.append(Phase("C", self._classifier_step, every=cfg.train.classifier_every))

    # --- public -------------------------------------------------------------------------

    @property
    def conditional(self) -> bool:
        return self.cfg.model.g_cond != "none"

    @property
    def num_classes(self) -> int:
        return self.shape.num_classes

    def step(self) -> None:
        k = self.iteration
        factor = lr_factor(self.cfg.optim, self.cfg.train.iterations, k, steps_per_epoch(self.cfg))
        for name, opt in self.opts.items():
            set_lr(opt, self.base_lr[name], factor)
        self._scalars = {}  # only this step's values: a resumed run logs what a straight one does
        for phase in self.phases:
            if k % phase.every == 0:
                for _ in range(phase.repeats_at(k)):
                    phase.update(k)
        if self.loss_window is not None:
            self.loss_window.push(self._scalars)
        self.iteration += 1

    def scalars(self) -> dict[str, float]:
        """The last step's scalars, gathered in one device-to-host transfer."""
        scalars = dict(self._scalars)
        if self.loss_window is not None and self.loss_window.filled:
            scalars.update(self.loss_window.variances())
        names = list(scalars)
        values = torch.stack([scalars[n].detach().float() for n in names]).tolist() if names else []
        out = dict(zip(names, values))
        out["lr_factor"] = lr_factor(self.cfg.optim, self.cfg.train.iterations, max(self.iteration - 1, 0),
                                     steps_per_epoch(self.cfg))
        return out

    @torch.no_grad()
    def sample(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1] from G, its batch norm as eval.sample_bn says: running statistics
        (eval mode), or each batch's own (train mode; the running buffers are put back, so
        evaluating never changes what training continues with)."""
        G = self.nets.G
        batch_stats = self.cfg.eval.sample_bn == "batch"
        kept = {k: v.clone() for k, v in G.state_dict().items() if "running" in k or "num_batches" in k}
        G.train(batch_stats)
        try:
            return G(z.to(self.device), None if y is None else y.to(self.device))
        finally:
            G.train()
            if batch_stats and kept:
                G.load_state_dict(kept, strict=False)

    def numerics(self) -> str:
        """Every switch that changes the numbers, as in effect on this device (provenance)."""
        t = self.cfg.train
        return (f"amp={'bf16' if self.amp else 'off'} tf32={'on' if self.tf32 else 'off'} "
                f"channels_last={'on' if self.channels_last else 'off'} "
                f"compile={'on' if t.compile else 'off'} sample_bn={self.cfg.eval.sample_bn}")

    def evaluate(self) -> dict[str, float]:
        """Every metric that applies (gansweep.metrics), on the evaluator's fixed z set.

        Evaluation must not perturb training: the global RNG state is restored afterwards,
        so a run evaluated at iteration k continues exactly as one that was not.
        """
        if self._evaluator is None:
            self._evaluator = self.make_evaluator()
        with preserved_rng():
            return self._evaluator.evaluate(self.sample)

    def make_evaluator(self, cfg: Config | None = None, **kwargs):
        """The evaluator of this task's samples: mode coverage for the depth study's points, else
        gansweep.metrics' image metrics. `cfg` (default the run's) and `kwargs` (z_seed,
        samples, inception_weights) let `gansweep eval` score fresh latents."""
        cfg = cfg or self.cfg
        if self.dataset.is_points:
            from gansweep.metrics.points import PointEvaluator
            kwargs.pop("inception_weights", None)  # no Inception network on points
            return PointEvaluator(cfg, self.dataset, self.device, numerics=self.numerics(), **kwargs)
        from gansweep.metrics.evaluator import Evaluator
        return Evaluator(cfg, self.dataset, self.device, self.num_classes, self.conditional,
                         cfg.model.z_dim, numerics=self.numerics(), **kwargs)

    def provenance(self) -> dict:
        return self._evaluator.provenance() if self._evaluator is not None else {}

    def state_dict(self) -> dict:
        return {"iteration": self.iteration,
                "nets": modules_state(self.nets.named()), "opts": modules_state(self.opts),
                "sampler": self.sampler.state_dict(),
                "choice": self.choice.get_state(),
                **({"loss_window": self.loss_window.state_dict()} if self.loss_window else {})}

    def load_state_dict(self, state: dict) -> None:
        load_modules_state(self.nets.named(), state["nets"])
        load_modules_state(self.opts, state["opts"])
        self.sampler.load_state_dict(state["sampler"])
        self.choice.set_state(state["choice"])
        if self.loss_window is not None:
            self.loss_window.load_state_dict(state["loss_window"])
        self.iteration = state["iteration"]

    # --- phases ---------------------------------------------------------------------------

    def _autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def _batch(self, size: int):
        idx = self.sampler.next(size)
        if self.data.is_points:  # float points, no labels
            return self.data.points[idx], None, None
        aux = self.data.aux_labels[idx] if self.data.aux_labels is not None else None
        x = to_float(self.data.images[idx])
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, self.data.labels[idx], aux

    def _noise(self, n: int) -> torch.Tensor:
        return sample_latents(n, self.cfg.model.z_dim, self.cfg.model.z_dist, self.device)

    def _critic_step(self, k: int) -> None:
        x, y, y_aux = self._batch(self.cfg.train.batch_size)
        with self._autocast():
            loss = self._critic_loss(x, y, y_aux)
        self._update(loss, ["D"], self.nets.D)
        if self.cfg.loss.kind == "wgan-clip":
            losses.clip_weights_(self.nets.D.parameters(), self.cfg.loss.clip)

    def _critic_loss(self, x, y, y_aux) -> torch.Tensor:
        cfg, D, G = self.cfg, self.D, self.G
        with torch.no_grad():
            fake = G(self._noise(x.shape[0]), y)  # Algorithm 3 line 7: G(z, c) with real c
        d_real, aux_real = D(x, y)
        d_fake, aux_fake = D(fake, y)
        d_real, d_fake = d_real.float(), d_fake.float()  # no-ops in fp32
        s = self._scalars
        s["d_real"], s["d_fake"] = d_real.mean(), d_fake.mean()
        if cfg.train.loss_window and cfg.loss.kind == "gan":
            s.update(probabilities(d_real, d_fake))
        if cfg.loss.kind == "gan":
            loss = losses.gan_discriminator_loss(d_real, d_fake, cfg.loss.real_label)
        else:
            loss = losses.wgan_critic_loss(d_real, d_fake)
            s["wasserstein"] = losses.wasserstein_estimate(d_real, d_fake)
            if cfg.loss.kind == "wgan-gp":
                s["gp"] = losses.gradient_penalty(lambda xh: self.nets.D(xh, y)[0], x, fake)
                loss = loss + cfg.loss.eta * s["gp"]
        if aux_real:
            labels = [y, y_aux][:len(aux_real)]
            s["d_cls_loss"] = losses.classifier_loss(aux_real, aux_fake, labels, labels)
            loss = loss + cfg.loss.omega_d * s["d_cls_loss"]
            for i, (lr_, lf, t) in enumerate(zip(aux_real, aux_fake, labels)):
                s[f"d_acc_real_h{i}"], s[f"d_acc_fake_h{i}"] = losses.accuracy(lr_, t), losses.accuracy(lf, t)
        if cfg.model.shared_layers:
            s["sharing_distance"] = self._sharing_distance(train="D")
            loss = loss + cfg.loss.sharing_lambda * s["sharing_distance"]
        s["d_loss"] = loss
        return loss

    def _generator_step(self, k: int) -> None:
        # Classes ~ p_data (Algorithm 3 line 29): the labels of the next real batch.
        n = self.cfg.train.batch_size_g or self.cfg.train.batch_size
        _, y, y_aux = self._batch(n)
        with self._autocast():
            loss = self._generator_loss(n, y, y_aux, k)
        self._update(loss, ["G"], self.nets.G)

    def _generator_loss(self, n, y, y_aux, k: int = 0) -> torch.Tensor:
        cfg, D, G = self.cfg, self.D, self.G
        fake = G(self._noise(n), y)
        with frozen(self.nets.D):
            d_fake, aux_fake = D(fake, y)
        d_fake = d_fake.float()
        if cfg.loss.kind == "gan":
            loss = losses.gan_generator_loss(d_fake)
        else:
            loss = losses.wgan_generator_loss(d_fake)
        if aux_fake:
            labels = [y, y_aux][:len(aux_fake)]
            self._scalars["g_cls_loss"] = losses.classifier_loss(None, aux_fake, None, labels)
            loss = loss + cfg.loss.omega_g * self._scalars["g_cls_loss"]
        if self.sc_joint and k % cfg.train.classifier_every == 0:
            which = self._pick_classifier(k)
            with frozen(self.nets.classifiers[which]):
                logits = self.nets.classifiers[which](fake)
            # L_C's fake half, as the AC heads' term above: L_CR has no gradient w.r.t. G.
            self._scalars["g_sc_loss"] = losses.classifier_loss(None, [logits], None, [[y, y_aux][which]])
            loss = loss + cfg.loss.omega_g * self._scalars["g_sc_loss"]
        if self.lenet_loss is not None:
            self._scalars["g_lenet_loss"] = self.lenet_loss(fake, y)
            loss = loss + cfg.loss.classifier_alpha * self._scalars["g_lenet_loss"]
        self._scalars["g_loss"] = loss
        return loss

    def _classifier_step(self, k: int) -> None:
        cfg, G = self.cfg, self.nets.G
        which = self._pick_classifier(k)
        C = self.nets.classifiers[which]
        x, y, y_aux = self._batch(cfg.train.batch_size)
        t = [y, y_aux][which]
        with self._autocast():
            with torch.set_grad_enabled(not self.sc_joint):  # joint: G learnt in its own phase
                fake = self.G(self._noise(x.shape[0]), y)
            logits_real, logits_fake = C(x), C(fake)
            loss = losses.classifier_loss([logits_real], [logits_fake], [t], [t])
        s = self._scalars
        s[f"c{which}_loss"] = loss
        s[f"c{which}_acc_real"] = losses.accuracy(logits_real, t)
        s[f"c{which}_acc_fake"] = losses.accuracy(logits_fake, t)
        if cfg.model.shared_layers and which == 0:
            loss = loss + cfg.loss.sharing_lambda * self._sharing_distance(train="C")
        if self.sc_joint:  # G took its part of L_C in this iteration's G phase
            self._update(loss, [f"C{which}"], C)
            return
        # L_C trains phi and theta alike (Algorithm 4 lines 28-29); omega_g weights what G
        # takes from it (1 in the thesis), applied to G's gradient alone.
        self._update(loss, [f"C{which}", "G_via_C"], C, G, g_scale=cfg.loss.omega_g)

    def _pick_classifier(self, k: int) -> int:
        """The classifier of iteration k: SC-WGAN.c draws one of its two with p = 1/2, once
        per iteration, so the joint G phase and the C phase use the same one."""
        if len(self.nets.classifiers) < 2:
            return 0
        if self._picked is None or self._picked[0] != k:
            self._picked = (k, int(torch.randint(2, (1,), generator=self.choice)))
        return self._picked[1]

    # --- helpers -----------------------------------------------------------------------------

    def _lenet_loss(self):
        """The MNIST DCGAN report 6.2 writes G's loss as -(log D(G(z)) + Inception_score * alpha) and calls
        the added term "the classification error of the LeNet": we read it as the frozen
        LeNet's cross-entropy on G(z, y) against y (a score to maximise would have the
        opposite sign), added to G's loss only: D's loss has no term through G(z)'s class.
        The LeNet is the cached one of the is_lenet/acc_lenet metrics (metrics/lenet.py),
        trained on the dataset's full real training split; it is not part of checkpoints.
        So with alpha > 0, G is trained against the very judge of is_lenet/acc_lenet (as in
        the MNIST DCGAN report): those two stop being independent; fid_* and aug_gain are not affected.
        """
        from gansweep.metrics.cache import cache_dir
        from gansweep.metrics.lenet import LeNetClassLoss, load_lenet

        lenet = load_lenet(self.cfg.data.name, cache_dir(self.cfg.eval.cache_dir), self.device,
                           root=self.cfg.data.root)
        return LeNetClassLoss(lenet)

    def _sharing_distance(self, train: str) -> torch.Tensor:
        """||W_D,b - W_C,b|| over the first b conv layers; only the `train` side gets grads."""
        b = self.cfg.model.shared_layers
        d_convs = self.nets.D.conv_layers()[:b]
        c_convs = self.nets.classifiers[0].conv_layers()[:b]
        d_params = [p for conv in d_convs for p in (conv.weight, conv.bias)]
        c_params = [p for conv in c_convs for p in (conv.weight, conv.bias)]
        if train == "D":
            c_params = [p.detach() for p in c_params]
        else:
            d_params = [p.detach() for p in d_params]
        return losses.soft_sharing_distance(d_params, c_params)

    def _update(self, loss: torch.Tensor, opt_names: list[str], *nets: torch.nn.Module,
                g_scale: float = 1.0) -> None:
        opts = [self.opts[n] for n in opt_names]
        for opt in opts:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        if g_scale != 1.0:
            for p in self.nets.G.parameters():
                if p.grad is not None:
                    p.grad.mul_(g_scale)
        for net, name in zip(nets, opt_names):
            grads = [p.grad.pow(2).sum() for p in net.parameters() if p.grad is not None]
            if grads:
                self._scalars[f"grad_norm_{name}"] = torch.stack(grads).sum().sqrt()
        for opt in opts:
            opt.step()

    def _base_lr(self, name: str) -> float:
        o = self.cfg.optim
        return {"D": o.lr_d, "G": o.lr_g, "G_via_C": o.lr_g}.get(name, o.lr_c)

