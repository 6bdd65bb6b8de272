"""gansweep: hyperparameter sweeps of PyTorch GAN training on Ray Tune + Optuna."""

__version__ = "0.1.0"
