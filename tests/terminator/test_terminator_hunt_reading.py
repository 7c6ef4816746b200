"""The terminator's reading in words, before EMMR and its median error have numbers to
give, says so instead of showing their stand-ins (1.8e+307, -2.2e-308) as measurements."""

from __future__ import annotations

import nntune
from nntune.terminator import EMMREvaluator, StaticErrorEvaluator, Terminator, TerminatorCallback
from nntune.terminator._terminator import reading_data


def _text(n_trials: int, terminator: Terminator, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = nntune.create_study(storage=url, sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_trials, callbacks=[TerminatorCallback(terminator)])
    stored = nntune.load_study(study_name=study.study_name, storage=url).system_attrs["terminator"]
    return reading_data(stored)["text"]


def test_emmr_before_its_first_numbers_reads_as_not_yet(tmp_path) -> None:
    text = _text(1, Terminator(EMMREvaluator(seed=0), min_n_trials=1), tmp_path)
    assert text == ("the terminator's last check, after 1 complete trial: room left for improvement not measured yet "
                    "(the change of the expected minimum model regret), the noise of the best value is not known yet "
                    "(a share of the improvement's early median); more trials may still find a better model")


def test_a_measured_improvement_is_shown_beside_an_unknown_median(tmp_path) -> None:
    text = _text(4, Terminator(EMMREvaluator(seed=0), min_n_trials=1), tmp_path)
    assert "room left for improvement not measured yet" not in text and "e-308" not in text
    assert "the noise of the best value is not known yet" in text


def test_numbers_are_shown_once_both_are_known(tmp_path) -> None:
    text = _text(3, Terminator(EMMREvaluator(seed=0), StaticErrorEvaluator(-1.0), min_n_trials=3), tmp_path)
    assert "not below the noise of the best value -1 (a fixed threshold)" in text
