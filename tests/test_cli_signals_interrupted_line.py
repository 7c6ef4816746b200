"""What ``nntune tune`` says on Ctrl-C: with several trials training at once (worker
processes, Ray actors, the population executor) every one of them is queued again, and the
line says so; "an interrupted one" was said of two interrupted workers' trials."""

from __future__ import annotations

from nntune.cli_signals import interrupted_line


def test_one_trial_at_a_time():
    assert interrupted_line("local", 1) == ("nntune: interrupted; finished trials are kept and an interrupted one "
                                            "is queued again: the same command continues")


def test_several_trials_at_once():
    for executor, workers in (("local", 2), ("ray", 4), ("population", 1), ("population", 2)):
        line = interrupted_line(executor, workers)
        assert "the interrupted ones are queued again" in line and "an interrupted one" not in line
