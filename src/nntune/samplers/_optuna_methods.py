"""Optuna's sampler methods on nntune's built-in samplers.

Scripts written for Optuna call a built-in sampler through Optuna's interface, most often
from their own ``BaseSampler`` that hands part of the work on (Optuna's tutorial on
user-defined samplers: ``RandomSampler().sample_independent(study, trial, name, dist)``).
nntune's samplers choose through the narrower seam of ``_base.py`` (space and history in,
parameters out); :class:`OptunaMethods` maps Optuna's methods onto it once for all of them.
The study gives the history, read as the study hands it to its own sampler (each trial's
place among the Pareto fronts for several objectives, infeasible trials last under
constraints), and the direction; the trial gives its number. So each method returns what
the sampler would have drawn for that trial had the study asked it directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nntune.samplers._constraints import ConstrainedView
from nntune.samplers._independent import asked, forward_hook, remember_asked
from nntune.search_space import infer_space
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, TrialState


def asked_like_optuna(sampler: Any, method: str) -> bool:
    """Whether the study asks ``sampler`` through Optuna's ``method`` (``sample_relative``,
    ``sample_independent``) rather than nntune's ``suggest``: a sampler written for Optuna
    has the method itself; one of nntune's has it from :class:`OptunaMethods` only, and stays
    on nntune's path, the only one that hands it the space the caller asked for
    (``study.ask(space)``, ``nntune ask``), the history read once per trial and the views for
    several objectives and constraints. A subclass of one of nntune's that overrides the
    method is asked through its override. The class is asked, not the object, so a wrapper
    that hands unknown names on to another sampler (``__getattr__``) is not mistaken for it."""
    own = getattr(type(sampler), method, None)
    if own is None:
        return False
    return not isinstance(sampler, OptunaMethods) or own is not getattr(OptunaMethods, method)


class _StudyTrials(Sequence[FrozenTrial]):
    """The study's trials, read the first time a sampler looks: one that draws from its seed
    alone (random search) then costs no read of the history per parameter."""

    def __init__(self, study: Any) -> None:
        self._study = study
        self._trials: list[FrozenTrial] | None = None

    def _load(self) -> list[FrozenTrial]:
        if self._trials is None:
            self._trials = list(self._study.get_trials(deepcopy=False))
        return self._trials

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())

    def __iter__(self) -> Iterator[FrozenTrial]:
        return iter(self._load())


class OptunaMethods:
    """Optuna's ``BaseSampler`` methods for a sampler with nntune's ``suggest`` and
    ``suggest_one``: ``sample_relative`` is ``suggest`` over the given space,
    ``sample_independent`` is ``suggest_one``, for the trial's number, on the study's history."""

    if TYPE_CHECKING:  # what the samplers this is mixed into provide
        def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                    direction: str = "minimize") -> dict[str, Any]: ...

        def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                        number: int, direction: str = "minimize") -> Any: ...

    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Distribution]:
        """What this sampler draws jointly: the space the study would hand it, that is the
        study's declared space, else the parameters every complete trial drew from the same
        distribution (Optuna's intersection search space, in the order trials asked for them)."""
        declared = getattr(study, "space", None)
        space = declared if isinstance(declared, Space) else infer_space(_StudyTrials(study))
        return dict(space.params)

    def sample_relative(self, study: Any, trial: FrozenTrial,
                        search_space: Mapping[str, Distribution]) -> dict[str, Any]:
        """Values for ``search_space`` drawn together: ``suggest`` for the trial's number.
        Called even for an empty space, since a grid gives its whole point whatever the space."""
        seen, direction = self._history(study)
        with asked(study, trial):  # for an independent sampler written for Optuna
            return dict(self.suggest(_as_space(study, search_space), seen, number=trial.number, direction=direction))

    def sample_independent(self, study: Any, trial: FrozenTrial, param_name: str,
                           param_distribution: Distribution) -> Any:
        """A value for one parameter outside the joint space: ``suggest_one``."""
        seen, direction = self._history(study)
        with asked(study, trial):
            return self.suggest_one(param_name, param_distribution, seen, number=trial.number, direction=direction)

    def before_trial(self, study: Any, trial: FrozenTrial) -> None:
        """Nothing to prepare for the draw itself (it depends on the seed, the trial's number
        and the history); an ``independent_sampler`` hears of the trial, as in Optuna, and
        one written for Optuna is later asked with this study and trial."""
        remember_asked(study, trial)
        forward_hook(self, "before_trial", study, trial)

    def after_trial(self, study: Any, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        """Stores the trial's constraint values where the study has not (this sampler has a
        ``constraints_func`` and the study's sampler is another: a user's sampler handing on
        to this one), as Optuna's samplers do here; the study stores them for its own. An
        ``independent_sampler`` hears of the end too, as in Optuna."""
        forward_hook(self, "after_trial", study, trial, state, values)
        func = getattr(self, "constraints_func", None)
        if func is None or state not in (TrialState.COMPLETE, TrialState.PRUNED) \
                or "constraints" in trial.system_attrs:
            return
        constraints = [float(c) for c in func(trial)]
        study.storage.set_trial_system_attr(study.id, trial.number, "constraints", constraints)
        trial.system_attrs["constraints"] = constraints

    def reseed_rng(self) -> None:
        """Nothing to reseed: every draw is keyed by (seed, trial number), so threads that
        share the sampler draw different values for different trials already."""

    def _history(self, study: Any) -> tuple[Sequence[FrozenTrial], str]:
        """The history and direction as the study hands them to its own sampler
        (``Study.sampler_view``): several objectives as one ranking, infeasible trials last."""
        from nntune.samplers._nsga import ParetoView  # _nsga's samplers build on this module

        directions = [str(d) for d in getattr(study, "directions", None) or [study.direction]]
        seen: Sequence[FrozenTrial] = _StudyTrials(study)
        direction = directions[0]
        if len(directions) > 1:
            seen, direction = ParetoView(seen, directions), "minimize"
        return ConstrainedView(seen, direction), direction


def _as_space(study: Any, search_space: Mapping[str, Distribution]) -> Space:
    """``search_space`` as a :class:`Space`; the study's declared space where it is that
    space, which keeps its conditions (a child drawn only where its parent switches it on)."""
    if isinstance(search_space, Space):
        return search_space
    declared = getattr(study, "space", None)
    if isinstance(declared, Space) and declared.params == dict(search_space):
        return declared
    return Space(dict(search_space))


__all__ = ["OptunaMethods", "asked_like_optuna"]
