"""A coarse-to-fine stage whose best trial returned -inf (Optuna's best of a minimized study)."""

from __future__ import annotations

import json
import math

from nntune._json import dumps
from nntune.report.browse import stages_data
from nntune.samplers import CoarseToFineSampler
from nntune.space import Float, Space
from nntune.storage import InMemoryStorage
from nntune.trial import TrialState


def test_a_stage_best_valued_minus_inf_is_sent_as_minus_inf_not_as_no_value():
    space = Space({"x": Float(0.0, 10.0)})
    store = InMemoryStorage()
    conf = {"seed": 1, "stages": 2, "trials_per_stage": 4, "top_k": 2, "margin": 0.0}
    sid = store.create_study("c2f", "minimize", {"space": space.to_json(), "coarse_to_fine": conf})
    sampler = CoarseToFineSampler(**conf)
    for i in range(6):
        params = sampler.suggest(space, store.get_trials(sid), number=i, direction="minimize")
        n = store.create_trial(sid, params=params, distributions=dict(space.params))
        store.finish_trial(sid, n, TrialState.COMPLETE, -math.inf if i == 1 else params["x"])
    stages = json.loads(dumps(stages_data(store.get_trials(sid), store.load_study("c2f").attrs, "minimize")))
    assert stages[0]["best"] == {"number": 1, "value": "-inf"}
    assert isinstance(stages[1]["best"]["value"], float)  # a finite best stays a number
