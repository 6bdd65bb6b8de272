"""The chapter-2 MTL classifier (the thesis, section 2.0.1): sharing, learning, schedule, resume."""

import io
import math

import numpy as np
import pytest
import torch

from gansweep import checkpoint as ckpt
from gansweep.classifier_trainer import ClassifierTrainer, TaskOrder
from gansweep.models.mtl_classifier import MTLClassifier, conv_params, soft_sharing_distance

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_thread():
    # Tiny convs on 2 cores: thread hand-off costs ~10x the work itself.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def trainer(tiny, preset="MTL-classifier", seed=0, **overrides):
    base = {"train.batch_size": 16, "model.classifier_widths": [4, 8, 8, 8], "train.seed": seed}
    cfg = tiny(preset, **{**base, **overrides})
    ckpt.seed_everything(seed)
    return ClassifierTrainer(cfg, CPU)


def small_model(sharing, b=3, lam=0.1):
    torch.manual_seed(0)
    return MTLClassifier(1, 8, 10, 5, (4, 8, 8, 8), 0.5, sharing, b, lam)


# --- sharing -----------------------------------------------------------------------------

def test_soft_penalty_matches_hand_computation_and_gradient():
    lam = 0.3
    model = small_model("soft", b=3, lam=lam)
    main, aux = model.shared_params()
    assert len(main) == 6  # weight and bias of each of the first 3 convs
    w = np.concatenate([p.detach().numpy().ravel() for p in main]).astype(np.float64)
    v = np.concatenate([p.detach().numpy().ravel() for p in aux]).astype(np.float64)
    dist = np.sqrt(np.sum((w - v) ** 2))  # Eq. 2.1: the L2 norm, not squared
    assert model.weight_distance().item() == pytest.approx(dist, rel=1e-5)

    model.sharing_penalty(0).backward()  # main's loss: d/dW λ‖W − V‖ = λ (W − V)/‖W − V‖
    grad = np.concatenate([p.grad.numpy().ravel() for p in main])
    np.testing.assert_allclose(grad, lam * (w - v) / dist, rtol=1e-4, atol=1e-9)
    assert all(p.grad is None for p in aux)  # the other network is held fixed
    model.zero_grad(set_to_none=True)
    model.sharing_penalty(1).backward()  # and the aux loss pulls V towards W
    grad = np.concatenate([p.grad.numpy().ravel() for p in aux])
    np.testing.assert_allclose(grad, lam * (v - w) / dist, rtol=1e-4, atol=1e-9)
    assert all(p.grad is None for p in main)


def test_distance_gradcheck():
    a = [torch.randn(3, 2, dtype=torch.float64, requires_grad=True), torch.randn(4, dtype=torch.float64, requires_grad=True)]
    b = [torch.randn(3, 2, dtype=torch.float64), torch.randn(4, dtype=torch.float64)]
    assert torch.autograd.gradcheck(lambda x, y: soft_sharing_distance([x, y], b), tuple(a))


def test_hard_sharing_shares_the_first_b_layers_only():
    model = small_model("hard", b=2)
    for i in range(4):
        assert (model.main.blocks[i] is model.aux.blocks[i]) == (i < 2)
    main, aux = model.shared_params()
    assert all(p is q for p, q in zip(main, aux))
    assert model.main.head is not model.aux.head and model.aux.head.out_features == 5
    own = {id(p) for p in model.aux.parameters()} - {id(p) for p in model.main.parameters()}
    expected = {id(p) for m in [*model.aux.blocks[2:], model.aux.head] for p in m.parameters()}
    assert own == expected
    assert model.weight_distance().item() == 0.0 and model.sharing_penalty(0) is None


def test_pooling_stops_at_one_pixel():
    model = MTLClassifier(1, 4, 10, None, (4, 8, 8, 8), 0.5, "none", 0)
    assert model(torch.zeros(2, 1, 4, 4)).shape == (2, 10)  # 4 -> 2 -> 1 -> 1 -> 1 (no pool)


def test_stl_has_no_aux_network(tiny):
    t = trainer(tiny, "STL-classifier", **{"data.aux": "none", "train.iterations": 3})
    assert t.model.aux is None and len(t.tasks) == 1
    for _ in range(3):
        t.step()
    assert set(t.scalars()) == {"train_loss", "train_acc", "lr"}
    assert set(t.evaluate()) == {"val_loss", "val_acc"}
    with pytest.raises(ValueError, match="model.sharing"):
        trainer(tiny, **{"data.aux": "none"})


def test_task_order_passes_each_dataset_once_per_epoch():
    order = TaskOrder([3, 5], seed=7)
    first = [order.next() for _ in range(8)]
    assert sorted(first) == [0] * 3 + [1] * 5 and order.epoch == 1
    again = TaskOrder([3, 5], seed=7)
    assert [again.next() for _ in range(8)] == first
    second = [order.next() for _ in range(8)]
    assert sorted(second) == sorted(first) and second != first  # reshuffled each epoch


# --- training ------------------------------------------------------------------------------

def test_learns_digits(tiny):
    # Dropout 0.5 on every layer (the thesis's rate) drowns a net of 8-16 channels; the
    # tiny net learns with 0.1 (dropout itself is covered by the resume test).
    t = trainer(tiny, **{"train.iterations": 300, "optim.lr_c": 0.05,
                         "model.classifier_widths": [8, 16, 16, 16],
                         "model.classifier_dropout": 0.1})
    for _ in range(300):
        t.step()
    metrics = t.evaluate()
    assert metrics["val_acc"] > 0.5, metrics  # chance is 0.1
    assert metrics["aux_val_acc"] > 0.4, metrics  # chance is 0.2
    assert t.model.training  # evaluate() restored train mode
    assert all(math.isfinite(v) for v in {**metrics, **t.scalars()}.values())


def test_higher_lambda_pulls_shared_weights_closer(tiny):
    """Figure 2.5: larger λ, smaller ‖W_main,b − W_aux,b‖ after the same steps."""
    dist = {}
    for lam in (0.01, 0.1, 1.0):
        t = trainer(tiny, **{"loss.sharing_lambda": lam, "train.iterations": 150,
                             "optim.lr_c": 0.05, "optim.schedule": "constant"})
        start = t.scalars()["weight_distance"]
        for _ in range(150):
            t.step()
        dist[lam] = t.evaluate()["weight_distance"]
    assert dist[1.0] < dist[0.1] < dist[0.01], dist
    assert dist[1.0] < 0.5 * start, (start, dist)  # a strong λ pulls the networks together


@pytest.mark.parametrize("preset, fraction, per_epoch", [
    ("MTL-classifier", 1.0, 188), ("STL-classifier", 1.0, 94), ("MTL-classifier", 0.5, 94)])
def test_step_schedule_drops_at_epochs_of_its_own_data(tiny, preset, fraction, per_epoch):
    # digits: 1500 images, 94 batches of 16 per task and pass; MTL's epoch passes both tasks.
    aux = "none" if preset == "STL-classifier" else "coarse"  # tiny() sets coarse for all
    t = trainer(tiny, preset, **{"train.iterations": 40, "data.fraction": fraction, "data.aux": aux,
                                 "optim.milestone_epochs": [0.1, 0.2]})
    used = []
    for _ in range(40):
        used.append(t.opt.param_groups[0]["lr"])
        t.step()
    a, b = math.ceil(0.1 * per_epoch), math.ceil(0.2 * per_epoch)
    expected = [0.01] * a + [0.001] * (b - a) + [0.0001] * (40 - b)
    assert used == pytest.approx(expected, rel=1e-9)


def test_chapter_2_budgets_are_200_epochs_of_each_variants_own_data():
    """Section 2.0.1: "Training ran for 200 epochs. [...] annealed to 0.001 and 0.0001 at
    epochs 66 and 133"; an MTL epoch passes both tasks' data, so it is twice an STL one."""
    from gansweep.config import resolve, steps_per_epoch
    from gansweep.optim import milestone_iterations

    def budget(preset, **data):
        cfg = resolve({"model": preset, "data": {"name": "cifar100", **data}})
        per_epoch = steps_per_epoch(cfg)
        assert cfg.train.iterations == 200 * per_epoch
        return cfg.train.iterations, milestone_iterations(cfg.optim, cfg.train.iterations, per_epoch)

    assert budget("MTL-classifier") == (78_400, [66 * 392, 133 * 392])  # 2 x ceil(50000/256)
    assert budget("MTL-classifier", aux="cifar10")[0] == 78_400         # AUX=10: CIFAR-10 passes too
    assert budget("STL-classifier") == (39_200, [66 * 196, 133 * 196])
    assert budget("MTL-classifier", fraction=0.25)[0] == 200 * 2 * 49    # 12,500 images each
    assert budget("STL-classifier", fraction=0.25)[0] == 200 * 49
    assert budget("MTL-classifier", fraction=0.5, aux="coarse")[0] == 200 * 2 * 98
    # Two unshared networks still train two tasks: an epoch is both passes.
    assert budget("MTL-classifier", aux="coarse")[0] == 78_400
    from gansweep.config import resolve as r
    assert r({"model": {"preset": "MTL-classifier", "sharing": "none", "shared_layers": 0},
              "data": {"name": "cifar100"}}).train.iterations == 78_400


@pytest.mark.parametrize("sharing", ["soft", "hard"])
def test_resume_is_bit_identical(tiny, sharing):
    n, k = 40, 17
    overrides = {"model.sharing": sharing, "train.iterations": n, "optim.momentum": 0.9}
    straight = trainer(tiny, seed=3, **overrides)
    for _ in range(n):
        straight.step()

    first = trainer(tiny, seed=3, **overrides)
    for _ in range(k):
        first.step()
    buf = io.BytesIO()
    torch.save({"task": first.state_dict(), "rng": ckpt.rng_state()}, buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=False)

    resumed = trainer(tiny, seed=99, **overrides)  # a different init, then overwritten
    resumed.load_state_dict(state["task"])
    ckpt.set_rng_state(state["rng"])
    for _ in range(n - k):
        resumed.step()
    assert resumed.iteration == n
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert resumed.scalars() == straight.scalars()
    assert resumed.order.state_dict() == straight.order.state_dict()
