"""Every Optuna name nntune covers accepts Optuna's parameter names; the few it does not
are listed here with the reason, and the README says the same."""

from __future__ import annotations

import importlib
import inspect

import pytest

optuna = pytest.importorskip("optuna")
import nntune  # noqa: E402

NAMES = """create_study load_study delete_study copy_study get_all_study_names get_all_study_summaries create_trial
study.Study study.Study.optimize study.Study.ask study.Study.tell study.Study.get_trials study.Study.trials_dataframe
study.Study.add_trial study.Study.add_trials study.Study.enqueue_trial study.Study.set_user_attr study.Study.stop
study.MaxTrialsCallback trial.create_trial trial.Trial.suggest_float trial.Trial.suggest_int
trial.Trial.suggest_categorical trial.Trial.report trial.Trial.should_prune trial.Trial.set_user_attr
pruners.MedianPruner pruners.PercentilePruner pruners.SuccessiveHalvingPruner pruners.HyperbandPruner
pruners.NopPruner pruners.PatientPruner pruners.ThresholdPruner pruners.BasePruner.prune
samplers.TPESampler samplers.RandomSampler samplers.GridSampler samplers.QMCSampler samplers.GPSampler
samplers.BruteForceSampler samplers.PartialFixedSampler samplers.NSGAIISampler
samplers.BaseSampler.infer_relative_search_space samplers.BaseSampler.sample_relative
samplers.BaseSampler.sample_independent search_space.intersection_search_space
storages.RDBStorage storages.RetryFailedTrialCallback storages.RetryHeartbeatStaleTrialCallback artifacts.FileSystemArtifactStore artifacts.upload_artifact
artifacts.download_artifact distributions.FloatDistribution distributions.IntDistribution
distributions.CategoricalDistribution logging.set_verbosity logging.get_verbosity
visualization.plot_optimization_history visualization.plot_intermediate_values
visualization.plot_parallel_coordinate visualization.plot_contour visualization.plot_slice
visualization.plot_param_importances visualization.plot_edf visualization.plot_timeline
visualization.plot_pareto_front importance.get_param_importances importance.FanovaImportanceEvaluator
importance.MeanDecreaseImpurityImportanceEvaluator importance.FanovaImportanceEvaluator.evaluate trial.FixedTrial
trial.FixedTrial.suggest_float trial.FixedTrial.suggest_int trial.FixedTrial.suggest_categorical
trial.FixedTrial.report storages.JournalStorage storages.journal.JournalFileBackend samplers.CmaEsSampler
visualization.plot_rank visualization.plot_hypervolume_history importance.PedAnovaImportanceEvaluator
trial.Trial.suggest_uniform trial.Trial.suggest_loguniform trial.Trial.suggest_discrete_uniform
study.Study.set_metric_names storages.fail_stale_trials importance.BaseImportanceEvaluator.evaluate
pruners.WilcoxonPruner samplers.NSGAIIISampler
visualization.matplotlib.plot_optimization_history visualization.matplotlib.plot_intermediate_values
visualization.matplotlib.plot_parallel_coordinate visualization.matplotlib.plot_contour
visualization.matplotlib.plot_slice visualization.matplotlib.plot_param_importances visualization.matplotlib.plot_edf
visualization.matplotlib.plot_timeline visualization.matplotlib.plot_pareto_front visualization.matplotlib.plot_rank
visualization.matplotlib.plot_hypervolume_history visualization.matplotlib.is_available
visualization.plot_terminator_improvement visualization.matplotlib.plot_terminator_improvement
terminator.Terminator terminator.TerminatorCallback terminator.BaseTerminator.should_terminate
terminator.RegretBoundEvaluator terminator.EMMREvaluator terminator.BestValueStagnationEvaluator
terminator.BaseImprovementEvaluator.evaluate terminator.BaseErrorEvaluator.evaluate
terminator.CrossValidationErrorEvaluator terminator.StaticErrorEvaluator terminator.MedianErrorEvaluator
terminator.report_cross_validation_scores""".split()

# Optuna arguments nntune does not take, and why (a script passing one stops with a TypeError).
NOT_TAKEN = {
    # Optuna's crossovers and mutation are taken (samplers.nsgaii), not its strategy hooks.
    "samplers.NSGAIISampler": {"elite_population_selection_strategy", "child_generation_strategy",
                               "after_trial_strategy"},
    "samplers.NSGAIIISampler": {"elite_population_selection_strategy", "child_generation_strategy",
                                "after_trial_strategy"},
}


def resolve(module, dotted: str):
    """``module``'s ``dotted`` name, importing a submodule the package does not import itself
    (``import optuna`` leaves out ``optuna.terminator``, which another test's import had
    brought in, in the same process, by chance)."""
    obj = module
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            if not inspect.ismodule(obj):
                raise
            obj = importlib.import_module(f"{obj.__name__}.{part}")
    return obj


def accepted(fn) -> tuple[set[str], bool]:
    params = inspect.signature(fn).parameters
    return set(params), any(p.kind == p.VAR_KEYWORD for p in params.values())


@pytest.mark.parametrize("name", NAMES)
def test_optunas_parameters_are_accepted(name):
    theirs, _ = accepted(resolve(optuna, name))
    ours, takes_any = accepted(resolve(nntune, name))
    missing = theirs - ours - {"self", "args", "kwargs"}
    if takes_any:
        missing = set()
    assert missing == NOT_TAKEN.get(name, set())
