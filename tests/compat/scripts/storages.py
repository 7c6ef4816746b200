# A database storage with heartbeats, so a trial whose process died is run again: the
# setup of Optuna's "fault tolerance" recipe. WORKDIR is a fresh directory.
import os

import optuna
from optuna.storages import RDBStorage, RetryFailedTrialCallback

optuna.logging.set_verbosity(optuna.logging.WARNING)
RESULT = {}

storage = RDBStorage(url="sqlite:///" + os.path.join(WORKDIR, "fault.db"),  # noqa: F821
                     heartbeat_interval=1, grace_period=20,
                     failed_trial_callback=RetryFailedTrialCallback(max_retry=3))
study = optuna.create_study(study_name="fault", storage=storage, direction="minimize")
study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=4)
RESULT["states"] = [t.state.name for t in study.trials]
