# trainables: thin Ray Tune adapters around gansweep.trainer
