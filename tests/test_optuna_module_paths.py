"""Optuna's module paths, imported as a fresh script would: before anything else is loaded."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from nntune.trial import TrialState, FrozenTrial, Trial
from nntune.exceptions import TrialPruned
from nntune.study import StudyDirection, MaxTrialsCallback
from nntune.distributions import FloatDistribution, IntDistribution, CategoricalDistribution
from nntune.logging import set_verbosity, get_verbosity, DEBUG, INFO, WARNING, ERROR, CRITICAL
import nntune as optuna

assert Trial is optuna.Trial and optuna.trial.Trial is Trial
assert TrialState.COMPLETE.name == "COMPLETE" and StudyDirection.MAXIMIZE.name == "MAXIMIZE"
set_verbosity(INFO)
assert get_verbosity() == INFO
print("ok")
"""


def test_a_script_imports_optunas_names_from_their_submodules_first_thing():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_optunas_private_trial_state_path_imports_first_thing():
    # Optuna's tutorial 20_recipes/006_user_defined_pruner imports TrialState from here.
    script = ("from nntune.trial._state import TrialState\nimport nntune.trial\n"
              "assert TrialState is nntune.trial.TrialState is nntune.trial._state.TrialState\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_an_unknown_name_is_still_an_import_error():
    done = subprocess.run([sys.executable, "-c", "from nntune.trial import Trail"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "cannot import name 'Trail'" in done.stderr
