"""The RLHF bridge, core layer (no torch needed): preference reward models
(Bradley–Terry), token-level TD errors and GAE for language-model rollouts, KL
estimators, and an over-optimisation monitor with the Gao, Schulman & Hilton
(2023) functional forms. The torch / TRL layers of the issue are not built yet."""

from .overoptimisation import fit_gao, from_log_history, overoptimisation_report
from .preferences import bradley_terry_loglik, fit_bradley_terry, sample_preferences
from .tokens import kl_estimates, token_advantages

__all__ = ["bradley_terry_loglik", "fit_bradley_terry", "sample_preferences", "token_advantages", "kl_estimates",
           "fit_gao", "from_log_history", "overoptimisation_report"]
