"""Build a model preset's networks from the config: one builder, one family per file.

    families.py  the one table: model.arch -> builder, task, checks, smoke size
    networks.py  DataShape, GANNetworks: what every builder takes and gives
    dcgan.py   Table 4.3 G, D, C and the conditionings of Table 4.1 (the thesis)
    acgan.py   Odena et al.'s discriminator (AC-GAN.b, section 4.0.5)
    resnet.py  the Appendix D ResNet WGAN with conditional instance norm
    mtl_classifier.py  the chapter-2 multitask classifier (trained by ClassifierTrainer)
    depth.py   the depth study's residual MLP (R^2) and residual DCGAN (MNIST, CIFAR-10)
    radford.py Radford et al.'s DCGAN family of the MNIST DCGAN report (MNIST, CDCGAN) and the GAN vs WGAN report (CIFAR-10)
    dense.py   the MNIST DCGAN report's dense (fully connected) CGAN

The package itself imports nothing, and families.py loads a family's network file (and
torch) only when it builds one: the sweep driver reads the table (a smoke test's sizes)
without paying for torch. Import names from the modules: gansweep.models.families.build_gan,
gansweep.models.networks.DataShape.
"""
