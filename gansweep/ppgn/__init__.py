"""The PPGN-h report: PPGN-h (Noiseless Joint PPGN-h, Nguyen et al. 2016) with latent discriminators.

    models.py     E (frozen MNIST classifier with taps), G(h), D (image), D_fc1 (E's fc1)
    encoder.py    E's deterministic, cached classification pre-training
    losses.py     L_x, L_h, L_gan (eq. 3, 9, 10) and the critics' WGAN-GP losses
    trainer.py    PPGNTrainer: the Task (gansweep.task) that trains G and the critics
    sampler.py    MALA-approx (eq. 8): class-conditional samples from h-space

Its presets (Vanilla PPGN-h, PPGN-h-D_fc1 adv / full / no L_gan, -combined, -random) are
gansweep/config/presets/ppgn.py, and its config checks are in gansweep/config/checks.py.
"""
