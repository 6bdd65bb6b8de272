"""Domain classifiers: deterministic training, Table B.1's shape, cached by key."""

import torch

from gansweep.metrics import domain


def test_digits_training_is_deterministic_and_accurate(digits):
    spec = domain.DOMAINS["digits"]
    before = torch.get_rng_state()
    a = domain.train_classifier(spec, digits.train, digits.train_labels)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's RNG is not consumed
    b = domain.train_classifier(spec, digits.train, digits.train_labels)
    sa, sb = a.state_dict(), b.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert domain.state_sha256(sa) == domain.state_sha256(sb)
    assert domain.accuracy(a, spec, digits.test, digits.test_labels) > 0.95


def test_mnist_classifier_is_table_b1():
    net = domain.MnistNet()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.padding) for c in convs] == [(32, (5, 5), (2, 2)),
                                                                            (64, (5, 5), (2, 2))]
    fcs = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(f.in_features, f.out_features) for f in fcs] == [(64 * 7 * 7, 1024), (1024, 10)]
    assert any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in net.modules())
    ext = domain.DomainExtractor(domain.DOMAINS["mnist"], net)
    feats, logits = ext.run(torch.zeros(3, 1, 28, 28, dtype=torch.uint8), batch_size=2)
    assert feats.shape == (3, 1024) and logits.shape == (3, 10)
    assert ext.suffix == "_mnist"


def test_extractor_is_cached_and_keyed_by_data(digits, tmp_path, monkeypatch):
    data = (digits.train[:300], digits.train_labels[:300], digits.test, digits.test_labels)
    trained = []
    real_train = domain.train_classifier
    monkeypatch.setattr(domain, "train_classifier", lambda *a: trained.append(1) or real_train(*a))
    e1 = domain.load_domain_extractor("digits", tmp_path, data=data)
    e2 = domain.load_domain_extractor("digits", tmp_path, data=data)
    assert len(trained) == 1 and e1.weights_sha256 == e2.weights_sha256
    other = (digits.train[:299], digits.train_labels[:299], digits.test, digits.test_labels)
    domain.load_domain_extractor("digits", tmp_path, data=other)
    assert len(trained) == 2


def test_inputs_at_another_size_are_resized():
    ext = domain.DomainExtractor(domain.DOMAINS["digits"], domain.DigitsNet())
    feats, _ = ext.run(torch.zeros(2, 1, 32, 32, dtype=torch.uint8), batch_size=2)
    assert feats.shape == (2, 128)
