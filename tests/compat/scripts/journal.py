# Optuna's journal storage: one append-only file that several processes share with no
# database server, here two processes optimizing one study at once. WORKDIR is a fresh
# directory; the child processes run this library (optuna, or nntune under its name).
import os
import subprocess
import sys

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

optuna.logging.set_verbosity(optuna.logging.WARNING)
RESULT = {}
path = os.path.join(WORKDIR, "journal.log")  # noqa: F821
library = optuna.__name__
child = f"""
import {library} as optuna
from {library}.storages import JournalStorage
from {library}.storages.journal import JournalFileBackend
optuna.logging.set_verbosity(optuna.logging.WARNING)
storage = JournalStorage(JournalFileBackend({path!r}))
study = optuna.create_study(study_name="shared", storage=storage, load_if_exists=True,
                            sampler=optuna.samplers.RandomSampler())
study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.5) ** 2, n_trials=6)
"""
optuna.create_study(study_name="shared", storage=JournalStorage(JournalFileBackend(path)))
procs = [subprocess.Popen([sys.executable, "-c", child]) for _ in range(2)]
RESULT["exit_codes"] = [p.wait(timeout=300) for p in procs]
study = optuna.load_study(study_name="shared", storage=JournalStorage(JournalFileBackend(path)))
RESULT["n_trials"] = len(study.trials)
RESULT["numbers"] = sorted(t.number for t in study.trials)
RESULT["states"] = sorted({t.state.name for t in study.trials})
RESULT["best_below"] = study.best_value < 0.25
RESULT["names"] = optuna.get_all_study_names(JournalStorage(JournalFileBackend(path)))
