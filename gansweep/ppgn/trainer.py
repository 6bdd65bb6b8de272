"""PPGNTrainer: the PPGN-h report's PPGN-h with latent discriminators, as a Task (gansweep.task).

One generator iteration k (section 4, WGAN-GP as footnote 9 says):

    critics  critic_steps(train, k) times (train.critic_schedule "wgan": 100 in the first 25
             iterations and every 500th, else n_critic = 5): a real batch x, h = E_fc1(x),
             x^ = G(h); D scores x vs x^, D_fc1 scores h vs E_fc1(x^); each trains on its
             own WGAN-GP loss with its own Adam.
    G        once: a fresh batch, L_G = beta_1 L_x + beta_2 L_h + beta_3 L_gan (ppgn/losses.py)
             with gradients flowing through the frozen E into G (the document's title).

The discriminators are data: a list of (name, the space it reads, lambda_j), and a net
exists only where its lambda_j > 0 (PPGN-h-D_fc1 "dispenses with the ordinary D").
PPGN-h-random draws one of D / D_fc1 with p = 1/2 per iteration: only that one trains and
only its term enters L_gan; in the schedule's burst iterations both train ("Both D and D_fc1
are updated regardless for the first 25 training iterations as well as every 500th",
footnote 15), while G still uses the drawn one alone (the footnote speaks of updates of
the discriminators; our reading). With beta_3 = 0 (the "without L_gan" variant) D_fc1 still
trains, so its Wasserstein estimate is logged as for the other variants (our choice).

Nothing in `step()` reads a value back to the host; `scalars()` gathers them in one sync.
The learning-rate schedule (optim.schedule) applies as in gansweep.trainer; the CUDA speed
switches (train.amp, channels_last, compile) are not used here: PPGN-h runs in fp32.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gansweep.checkpoint import load_modules_state, modules_state, preserved_rng, seed_everything
from gansweep.config import Config, steps_per_epoch
from gansweep.critic_schedule import critic_steps, is_burst
from gansweep.data import ImageDataset, load_dataset, to_float
from gansweep.models.layers import frozen, init_weights
from gansweep.optim import lr_factor, make_optimizer, set_lr
from gansweep.ppgn import losses as ppgn_losses
from gansweep.ppgn.encoder import load_encoder
from gansweep.ppgn.models import Critic, Generator, image_critic, latent_critic
from gansweep.ppgn.sampler import mala_approx
from gansweep.sampler import BatchSampler

MALA_NOISE_SEED = 20180301  # the sampler's eps3 noise: the same stream for every call


@dataclass
class Discriminator:
    name: str     # "D" (image space) or "D_fc1" (E's fc1)
    space: str    # which input it scores: "image" or a tap of E
    weight: float  # lambda_j of eq. 9
    net: Critic


class PPGNTrainer:
    conditional = True  # every sample is class-conditional (MALA-approx towards class y)

    def __init__(self, cfg: Config, device: torch.device | str = "cpu",
                 dataset: ImageDataset | None = None):
        self.cfg, self.device = cfg, torch.device(device)
        self.tf32 = self.device.type == "cuda" and cfg.train.tf32
        if self.device.type == "cuda":  # fp32 unless asked: cuDNN convolutions default to TF32
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = self.tf32
        seed_everything(cfg.train.seed)
        self.dataset = dataset if dataset is not None else load_dataset(cfg.data, "train")
        self.data = self.dataset.to(self.device)
        self.num_classes = self.dataset.num_classes
        self.E, self.encoder_accuracy = load_encoder(cfg, self.dataset, _test_split(cfg), self.device)
        m, c, size = cfg.model, self.dataset.channels, self.dataset.image_size
        self.G = Generator(c, size, m.width, m.g_width or m.width, m.z_dim).to(self.device)
        self.discriminators = self._build_discriminators(c, size)
        for net in self.nets().values():
            if net is not self.E:
                init_weights(net, m.init)
        o = cfg.optim
        self.opts = {"G": make_optimizer(self.G.parameters(), o.lr_g, o, self.device)}
        for d in self.discriminators:
            self.opts[d.name] = make_optimizer(d.net.parameters(), o.lr_d, o, self.device)
        self.sampler = BatchSampler(len(self.dataset), cfg.train.seed, self.device)
        self.choice = torch.Generator().manual_seed(cfg.train.seed)  # PPGN-h-random; CPU, no sync
        self.iteration = 0
        self._scalars: dict[str, torch.Tensor] = {}
        self._evaluator = None

    def _build_discriminators(self, channels: int, size: int) -> list[Discriminator]:
        p, w = self.cfg.ppgn, self.cfg.model.width
        out = []
        if p.lambda_image > 0:
            out.append(Discriminator("D", "image", p.lambda_image, image_critic(channels, size, w)))
        if p.lambda_fc1 > 0:
            out.append(Discriminator("D_fc1", "fc1", p.lambda_fc1, latent_critic(self.cfg.model.z_dim, w)))
        for d in out:
            d.net.to(self.device).train()
        return out

    def nets(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "E": self.E, **{d.name: d.net for d in self.discriminators}}

    # --- one iteration ----------------------------------------------------------------------

    def step(self) -> None:
        k, t = self.iteration, self.cfg.train
        factor = lr_factor(self.cfg.optim, t.iterations, k, steps_per_epoch(self.cfg))
        for name, opt in self.opts.items():
            set_lr(opt, self.cfg.optim.lr_g if name == "G" else self.cfg.optim.lr_d, factor)
        self._scalars = {}  # only this step's values: a resumed run logs what a straight one does
        adversaries = self._adversaries()
        critics = self.discriminators if is_burst(t, k) else adversaries
        steps = critic_steps(t, k)
        for _ in range(steps):
            self._critic_step(critics)
        self._generator_step(adversaries)
        self.iteration += 1

    def _adversaries(self) -> list[Discriminator]:
        """The discriminators whose adversarial terms G uses this iteration."""
        if not self.cfg.ppgn.random_discriminator:
            return self.discriminators
        pick = int(torch.randint(len(self.discriminators), (1,), generator=self.choice))
        return [self.discriminators[pick]]

    def _batch(self) -> torch.Tensor:
        return to_float(self.data.images[self.sampler.next(self.cfg.train.batch_size)])

    def _critic_step(self, critics: list[Discriminator]) -> None:
        x = self._batch()
        with torch.no_grad():
            real = {"image": x, **self.E.taps(x)}
            x_hat = self.G(real["fc1"])
            fake = {"image": x_hat}
            if any(d.space != "image" for d in critics):
                fake.update(self.E.taps(x_hat))
        total = 0.0
        for d in critics:
            loss, logged = ppgn_losses.critic_loss(d.net, real[d.space], fake[d.space], self.cfg.loss.eta)
            total = total + loss
            for key, value in logged.items():
                self._scalars[f"{key}_{d.name}"] = value.detach()
        for d in critics:
            self.opts[d.name].zero_grad(set_to_none=True)
        total.backward()  # the critics share no parameters: one backward trains each on its own loss
        for d in critics:
            self.opts[d.name].step()

    def _generator_step(self, adversaries: list[Discriminator]) -> None:
        p = self.cfg.ppgn
        x = self._batch()
        with torch.no_grad():
            h = self.E.taps(x)["fc1"]
        x_hat = self.G(h)
        h_hat = _Lazy(lambda: self.E.taps(x_hat)["fc1"])  # only if L_h or D_fc1 needs it

        def gan() -> torch.Tensor:
            scores = {}
            with frozen(*(d.net for d in adversaries)):
                for d in adversaries:
                    scores[d.name] = d.net(x_hat if d.space == "image" else h_hat())
            return ppgn_losses.adversarial_loss(scores, {d.name: d.weight for d in adversaries})

        terms = {"l_x": lambda: ppgn_losses.squared_error(x_hat, x),
                 "l_h": lambda: p.alpha_fc1 * ppgn_losses.squared_error(h_hat(), h),
                 "l_gan": gan}
        betas = {"l_x": p.beta_x, "l_h": p.beta_h * (p.alpha_fc1 > 0), "l_gan": p.beta_gan}
        loss, values = ppgn_losses.generator_loss(terms, betas)
        self.opts["G"].zero_grad(set_to_none=True)
        loss.backward()
        self.opts["G"].step()
        self._scalars.update({k: v.detach() for k, v in values.items()})
        self._scalars["g_loss"] = loss.detach()

    # --- Task protocol ----------------------------------------------------------------------

    def scalars(self) -> dict[str, float]:
        """The last step's scalars (L_x, L_h, L_gan, L_G; per critic wasserstein/gp/loss)."""
        names = list(self._scalars)
        values = torch.stack([self._scalars[n].float() for n in names]).tolist() if names else []
        out = dict(zip(names, values))
        out["critic_steps"] = float(critic_steps(self.cfg.train, max(self.iteration - 1, 0)))
        return out

    @torch.no_grad()
    def sample(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """MALA-approx samples of classes y (default: 0, 1, ..., K-1, 0, ...) from codes
        h_0 = relu(z); G's images (unbounded; the evaluator clamps to [-1, 1]). The eps3 noise
        has its own seeded stream, so sampling neither reads nor moves the global RNG."""
        p, z = self.cfg.ppgn, z.to(self.device)
        y = (torch.arange(len(z)) % self.num_classes if y is None else y).to(self.device)
        noise = torch.Generator(device=self.device).manual_seed(MALA_NOISE_SEED)
        self.G.eval()
        try:
            h = mala_approx(self.G, self._encode, torch.relu(z), y, p.mala_steps,
                            p.mala_eps1, p.mala_eps2, p.mala_eps3, generator=noise)
            return self.G(h)
        finally:
            self.G.train()

    def _encode(self, x: torch.Tensor):
        taps = self.E.taps(x)
        return taps["fc1"], taps["fc2"]

    def evaluate(self) -> dict[str, float]:
        """gansweep.metrics on MALA-approx samples of the evaluator's fixed (z, y) set
        (fid_/is_<dataset>, cond_acc, intra_fid, diversity, nn_ratio), plus E's test accuracy."""
        if self._evaluator is None:
            self._evaluator = self.make_evaluator()
        with preserved_rng():
            out = self._evaluator.evaluate(self.sample)
        out["encoder_test_acc"] = self.encoder_accuracy
        return out

    def make_evaluator(self, cfg: Config | None = None, **kwargs):
        """gansweep.metrics' image metrics of MALA-approx samples; `cfg` and `kwargs`
        (z_seed, samples, inception_weights) as in gansweep.trainer.Trainer.make_evaluator."""
        from gansweep.metrics.evaluator import Evaluator
        cfg = cfg or self.cfg
        return Evaluator(cfg, self.dataset, self.device, self.num_classes, self.conditional,
                         cfg.model.z_dim, numerics=self.numerics(), **kwargs)

    def numerics(self) -> str:
        """PPGN-h trains in fp32 without speed switches and samples by MALA-approx."""
        return f"amp=off tf32={'on' if self.tf32 else 'off'} channels_last=off compile=off sample=mala"

    def provenance(self) -> dict:
        return self._evaluator.provenance() if self._evaluator is not None else {}

    def state_dict(self) -> dict:
        return {"iteration": self.iteration,
                "nets": modules_state(self.nets()), "opts": modules_state(self.opts),
                "sampler": self.sampler.state_dict(), "choice": self.choice.get_state()}

    def load_state_dict(self, state: dict) -> None:
        load_modules_state(self.nets(), state["nets"])
        load_modules_state(self.opts, state["opts"])
        self.sampler.load_state_dict(state["sampler"])
        self.choice.set_state(state["choice"])
        self.iteration = state["iteration"]


def _test_split(cfg: Config) -> ImageDataset | None:
    """The test split for E's reported accuracy; None where the dataset has none on disk."""
    try:
        return load_dataset(cfg.data, "test")
    except FileNotFoundError:
        return None


class _Lazy:
    """A value computed on first use and then reused (E_fc1(G(h)) for L_h and D_fc1)."""

    def __init__(self, make):
        self.make, self.value = make, None

    def __call__(self):
        if self.value is None:
            self.value = self.make()
        return self.value

