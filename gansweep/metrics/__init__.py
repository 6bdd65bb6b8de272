"""Evaluation: FID and IS equal to their references, and what the seed theses judged by eye.

    fid.py              Fréchet distance (Heusel et al. 2017, as pytorch-fid), numpy and torch
    inception_score.py  Inception Score (Salimans et al. 2016, as openai/improved-gan)
    inception.py        pytorch-fid's InceptionV3 from a local weights file (pool3 + IS logits)
    domain.py           in-project classifiers for digits, MNIST (the depth study Table B.1), CIFAR
    conditional.py      cond_acc, intra-FID, within-class diversity, memorisation
    lenet.py            the MNIST DCGAN report's LeNet-5: is_lenet, acc_lenet, and its loss for G (alpha)
    augmentation.py     the MNIST DCGAN report section 4's real x generated LeNet grid; the aug_gain metric
    cache.py            real statistics and trained classifiers, shared across trials
    provenance.py       what every score was computed with; refuses mismatched comparisons
    evaluator.py        Evaluator: the metrics that apply, on a fixed latent set
    points.py           R² mode coverage (the depth study)
    registry.py         every metric: name, direction, needs, feature net, meaning, reference
    judges.py           the shipped digits judges (weights/), checked by sha256;
                        train_judges.py their recipe
(their commands, `gansweep fid | eval | augment`, are in gansweep/commands/)

Every metric's docstring names the reference it matches; tests/metrics checks each against
that reference on the same inputs. Nothing here downloads anything unless asked.
"""
