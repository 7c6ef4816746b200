"""Stop a search once it cannot tell better from luckier: Optuna's terminator (Makarova et
al. 2022; Ishibashi et al. 2023), with errors made for neural networks.

``Terminator.should_terminate(study)`` compares the room left for improvement (a GP's
regret bound, the best value's stagnation, or EMMR) with the noise of the best value
(cross-validation scores, the validation split's sampling error, the best learning
curves' epoch noise, or a constant). ``TerminatorCallback`` does it after every trial;
``nntune tune`` does it with ``search.terminator``, and
``visualization.plot_terminator_improvement`` draws both over the trials.
"""

from nntune.terminator._errors import (AutoErrorEvaluator, BaseErrorEvaluator, CrossValidationErrorEvaluator,
                                       CurveNoiseErrorEvaluator, MedianErrorEvaluator, SplitNoiseErrorEvaluator,
                                       StaticErrorEvaluator, report_cross_validation_scores)
from nntune.terminator._improvement import (BaseImprovementEvaluator, BestValueStagnationEvaluator, EMMREvaluator,
                                            RegretBoundEvaluator)
from nntune.terminator._terminator import BaseTerminator, Reading, Terminator, TerminatorCallback

__all__ = [
    "AutoErrorEvaluator",
    "BaseErrorEvaluator",
    "BaseImprovementEvaluator",
    "BaseTerminator",
    "BestValueStagnationEvaluator",
    "CrossValidationErrorEvaluator",
    "CurveNoiseErrorEvaluator",
    "EMMREvaluator",
    "MedianErrorEvaluator",
    "Reading",
    "RegretBoundEvaluator",
    "SplitNoiseErrorEvaluator",
    "StaticErrorEvaluator",
    "Terminator",
    "TerminatorCallback",
    "report_cross_validation_scores",
]
