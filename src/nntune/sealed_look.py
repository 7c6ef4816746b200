"""One look at the sealed test split per best trial (or per trial of the Pareto front), even
when several processes finish the same study at once (the same ``nntune tune`` started in
two terminals).

The process that ends a search claims the look in the study's storage, atomically
(``merge_study_attr``). Another process finishing with the same best trial finds the claim,
waits for the claimant's recorded result and shows it, so the split is opened once. A claim
whose process is gone (on this machine), or older than :data:`CLAIM_WAIT_S`, is taken over.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nntune.builtin import TestResult, evaluate_on_test, front_model_file, recorded_look, recorded_looks
from nntune.config import Config
from nntune.exceptions import ConfigError
from nntune.executors._common import is_gone, running_elsewhere, worker_identity
from nntune.kept_model import KeptModel
from nntune.study import Study
from nntune.trial import FrozenTrial, TrialState

CLAIM_KEY = "test_look_claim"
# How long another process's look is waited for: a test look retrains the best trial once,
# which for the networks tuned here takes minutes, not hours.
CLAIM_WAIT_S = 1800.0
POLL_S = 1.0


def check_search_ended(study: Study, name: str, *, host: str | None = None) -> None:
    """Refuse a deliberate look (``nntune test``) while a search of the study still trains
    trials: its best trial may yet change, and a look taken now would be of a trial the
    search then passes by, a look spent. A trial whose process on this machine is gone does
    not count (the next search re-queues it); one of another machine does until its
    heartbeat lapses and a search recovers it."""
    running = running_elsewhere(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)), host)
    if running:
        numbers = ", ".join(str(t.number) for t in running[:5]) + (", ..." if len(running) > 5 else "")
        raise ConfigError("study", f"{name!r} is still being tuned (trial{'s' if len(running) > 1 else ''} "
                                   f"{numbers} running): its best trial may yet change; look at the test "
                                   f"split once the search has ended")


def claim_look(study: Study, best: FrozenTrial, *, now: float, me: dict[str, Any]) -> dict[str, Any]:
    """The claim on ``best``'s test look that holds after this call: another live process's
    for the same trial, else ours."""
    host = socket.gethostname()

    def merge(current: Any) -> dict[str, Any]:
        if isinstance(current, dict) and current.get("trial") == best.number and current.get("by") != me \
                and now - float(current.get("at", 0.0)) < CLAIM_WAIT_S \
                and not (isinstance(current.get("by"), dict) and is_gone(current["by"], host)):
            return current
        return {"trial": best.number, "by": me, "at": now}

    return study.storage.merge_study_attr(study.id, CLAIM_KEY, merge)  # type: ignore[no-any-return]


def look_once(study: Study, cfg: Config, splits: Any, best: FrozenTrial, *, device: str | None = None,
              epochs: int | None = None, model_file: str | Path | None = None, kept: KeptModel | None = None,
              clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> TestResult:
    """``best``'s test look: the recorded one when there is one; else this process's own
    (of the model ``kept`` holds when it is ``best``'s, else retrained), unless another
    process claimed it, whose result is waited for."""
    return claimed_look(study, best, lambda: recorded_look(study, best),
                        lambda: evaluate_on_test(study, cfg, splits, best, device=device, epochs=epochs,
                                                 model_file=model_file, kept=kept), clock=clock, sleep=sleep)


def look_at_front(study: Study, cfg: Config, splits: Any, front: Sequence[FrozenTrial], *,
                  device: str | None = None, epochs: int | None = None, model_file: str | Path | None = None,
                  clock: Callable[[], float] = time.time,
                  sleep: Callable[[float], None] = time.sleep) -> list[TestResult]:
    """One look per trial of the Pareto front, in its order, each claimed as :func:`look_once`
    claims the best trial's: a trial looked at before shows that look again, and a trial
    another process is looking at is waited for, so the split is opened once per trial. Each
    newly evaluated trial's model is written beside ``model_file`` (``STEM-trialN``)."""
    def one(t: FrozenTrial) -> TestResult:
        return claimed_look(study, t, lambda: recorded_looks(study, [t]).get(t.number),
                            lambda: evaluate_on_test(study, cfg, splits, t, device=device, epochs=epochs,
                                                     model_file=front_model_file(model_file, t.number)),
                            clock=clock, sleep=sleep)

    return [one(t) for t in front]


def claimed_look(study: Study, trial: FrozenTrial, recorded: Callable[[], TestResult | None],
                 evaluate: Callable[[], TestResult], *, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> TestResult:
    """``trial``'s recorded look, else the one another live process claimed (waited for),
    else this process's own (``evaluate``) once its claim holds."""
    found = recorded()
    if found is not None:
        return found
    me = worker_identity()
    claim = claim_look(study, trial, now=clock(), me=me)
    while claim["by"] != me:  # another process is looking: wait for what it records
        sleep(POLL_S)
        found = recorded()
        if found is not None:
            return found
        claim = claim_look(study, trial, now=clock(), me=me)  # ours once it is gone or too old
    return evaluate()
