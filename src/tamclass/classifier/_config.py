"""The classifier's training settings, defined once.

The defaults of ``tc.tl.train``, ``tc.tl.classify`` and the training kernel
(:func:`tamclass.classifier._fit.fit_classifier`) are read from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

FIT_FIELDS = ("hidden", "epochs", "lr", "weight_decay", "batch_size", "calibration_fraction")


@dataclass(frozen=True)
class TrainingConfig:
    """Network size, optimiser schedule, calibration hold-out and per-class cell limits of one training run.

    Attributes
    ----------
    hidden
        ReLU units of the hidden layer (0 = softmax regression).
    epochs, lr, weight_decay, batch_size
        Adam schedule (L2 weight decay) and mini-batch size.
    calibration_fraction
        Share of each class held out, split half/half into a temperature-calibration and an evaluation part.
    min_per_class
        Cells a class needs to be trained on.
    max_per_class
        Larger classes are subsampled (seeded) to this many cells; None = all.
    """

    hidden: int = 32
    epochs: int = 30
    lr: float = 3e-3
    weight_decay: float = 1e-4
    batch_size: int = 256
    calibration_fraction: float = 0.2
    min_per_class: int = 10
    max_per_class: int | None = 5000

    def fit_kwargs(self) -> dict:
        """The keyword arguments of :func:`~tamclass.classifier._fit.fit_classifier` this config sets."""
        values = asdict(self)
        return {name: values[name] for name in FIT_FIELDS}


#: ``tc.tl.train``: a network trained on a labelled reference (also the kernel's defaults)
REFERENCE_TRAINING = TrainingConfig()
#: ``tc.tl.classify``: the state / subset networks trained on evidence calls (seed cells: fewer, so a
#: smaller network, a shorter schedule, a larger calibration share)
SEED_TRAINING = TrainingConfig(hidden=16, epochs=20, lr=5e-3, calibration_fraction=0.25, max_per_class=3000)
