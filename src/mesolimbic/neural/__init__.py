"""Recordings to parameters: fit Pavlovian learners to dopamine recordings and behaviour.

* :mod:`.io` — trial-aligned recordings from NWB files or a tidy table onto a design's grid;
* :mod:`.observation` — the readouts as observation models (photometry/voltammetry,
  spikes, conditioned responding);
* :mod:`.fit` — per-session MLE/MAP with the package's batched L-BFGS, Laplace draws,
  model comparison by AIC/BIC and PSIS-LOO;
* :mod:`.recovery` — simulated recordings and parameter recovery;
* :mod:`.glm` — model-based fMRI: regressors to BIDS events to a nilearn design matrix.

NWB needs the ``neural`` extra (``pynwb``, ``ndx-fiber-photometry``); the GLM needs ``nilearn``.
"""

from .fit import NeuralFit, compare_models, fit_neural
from .io import NeuralData, read_nwb, read_table, to_table, write_nwb
from .observation import NEURAL_MODELS, NeuralModel
from .recovery import parameter_recovery, simulate_recordings

__all__ = ["NeuralData", "read_table", "read_nwb", "write_nwb", "to_table", "NeuralModel", "NEURAL_MODELS",
           "fit_neural", "NeuralFit", "compare_models", "simulate_recordings", "parameter_recovery"]
