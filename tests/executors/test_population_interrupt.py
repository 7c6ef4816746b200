"""Ctrl-C under the population executor: every running member back in the queue at once (no
failure counted, its epochs dropped), the interrupt raised again, and the same run continues
to the total with nothing lost or duplicated; on the command line, exit 130 and one line."""

import json
import signal

import pytest
import yaml

from conftest import ctrl_c_when, nntune_command
from nntune.builtin_stack import StackTrainer
from nntune.config import parse_config
from nntune.executors import run_population
from nntune.executors._running import INTERRUPTED
from nntune.runner import open_study, prepare
from nntune.storage import SQLStorage
from nntune.trial import TrialState

LR = {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}}


def raw_config(storage: str, total: int, epochs: int) -> dict:
    return {"study": "pop", "storage": storage,
            "task": {"data": "digits", "model": "mlp", "metric": "accuracy", "train_size": 0.3},
            "search": {"executor": "population", "population": 3, "seed": 4, "trials": total},
            "space": LR, "fixed": {"epochs": epochs, "batch_size": 128, "layers": 1, "units": 16}}


def test_ctrl_c_in_a_stack_requeues_every_running_member_and_the_next_run_continues():
    total = 6
    p = prepare(parse_config(raw_config("memory", total, 3), "test"))
    study = open_study(p)

    def trainer() -> StackTrainer:
        return StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs, checkpoints=p.checkpoints)

    def ctrl_c_at_the_first_end(_study, frozen):  # noqa: ANN001, ANN202
        raise KeyboardInterrupt  # as a terminal's SIGINT lands: anywhere in the loop

    with pytest.raises(KeyboardInterrupt):
        run_population(study, trainer(), total=total, population=3, callbacks=[ctrl_c_at_the_first_end])
    trials = study.storage.get_trials(study.id, with_metrics=True)
    states = [t.state for t in trials]
    assert TrialState.RUNNING not in states and TrialState.FAILED not in states
    assert states.count(TrialState.COMPLETE) == 1 and states.count(TrialState.WAITING) == 2
    finished = {t.number: (t.params, t.value) for t in trials if t.state == TrialState.COMPLETE}
    for t in trials:
        if t.state == TrialState.WAITING:
            assert t.system_attrs["interrupted"] == INTERRUPTED and t.system_attrs["interruptions"] == 1
            assert "retries" not in t.system_attrs  # those are for crashes
            assert t.intermediate_values == {} and t.error is None

    assert run_population(study, trainer(), total=total, population=3) == f"the study holds {total} trials"
    again = study.storage.get_trials(study.id)
    assert [t.number for t in again] == list(range(total))
    assert all(t.state == TrialState.COMPLETE for t in again)
    for number, record in finished.items():
        assert (again[number].params, again[number].value) == record


@pytest.mark.slow
def test_ctrl_c_on_the_command_line_exits_130_in_one_line_and_the_same_command_continues(tmp_path, call_cli):
    # SIGTERM (kill, a batch scheduler's preemption) ends the search as Ctrl-C does: before,
    # the process died and its members stayed running until a later run found them dead.
    # Ctrl-C, then kill of the run that continues (its members interrupted a second time),
    # then the run that finishes: each process start costs seconds, so one chain covers both.
    total = 4
    url = f"sqlite:///{tmp_path / 'pop.db'}"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw_config(url, total, 60)))
    cmd = [*nntune_command(), "tune", "c.yaml", "--json"]
    store = SQLStorage(url)

    def trials(with_metrics: bool = False) -> list:
        rec = store.load_study("pop")
        return [] if rec is None else store.get_trials(rec.id, with_metrics=with_metrics)

    interrupted: dict[int, int] = {}  # trial number: the runs it was interrupted in
    finished: dict[int, tuple] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Two epochs reported: the first stack epoch has then surely ended and been counted
        # (its members' reports are written inside it, its count just after).
        code, out, err = ctrl_c_when(
            cmd, tmp_path, lambda: sum(t.state == TrialState.RUNNING and len(t.intermediate_values) >= 2
                                       for t in trials(with_metrics=True)) >= 2, "a stack training", sig=sig)
        assert code == 130, (sig, err)
        last = err.strip().splitlines()[-1]
        assert last.startswith("nntune: interrupted;") and "the interrupted ones are queued again" in last
        assert "Traceback" not in err and out == ""  # no JSON summary for a run that did not finish
        figures = store.load_study("pop").attrs["population"]  # the stacks that trained are the study's too
        assert figures["capacity"] == 3 and figures["member_epochs"] >= 2
        left = trials(with_metrics=True)
        assert all(t.state in (TrialState.COMPLETE, TrialState.WAITING) for t in left), [(t.state, t.system_attrs) for t in left]
        waiting = [t for t in left if t.state == TrialState.WAITING]
        assert len(waiting) >= 2  # every member of the stack, at once: no stale-heartbeat wait
        # A member queued by the earlier run and left waiting by this one (it did not train)
        # keeps its count; the others count this interruption once more.
        was_running = {t.number for t in waiting if t.system_attrs.get("interruptions", 0) > interrupted.get(t.number, 0)}
        assert len(was_running) >= 2, [t.system_attrs for t in waiting]
        for number in was_running:
            interrupted[number] = interrupted.get(number, 0) + 1
        assert all(t.system_attrs["interrupted"] == INTERRUPTED and t.system_attrs["interruptions"] == interrupted[t.number]
                   and "retries" not in t.system_attrs and t.intermediate_values == {} for t in waiting), [t.system_attrs for t in waiting]
        for number, record in finished.items():  # what an earlier run finished stays as it was
            assert (left[number].params, left[number].value) == record
        finished = {t.number: (t.params, t.value) for t in left if t.state == TrialState.COMPLETE}
    assert 2 in interrupted.values()  # the second run trained the queued members and was interrupted in them

    # The run that finishes, in this process (the interrupted ones were the real executable,
    # whose exit code and lines are checked above): a third start of torch adds nothing here.
    code, out, err = call_cli(*cmd[len(nntune_command()):])
    assert code == 0, err[-3000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"] == {"complete": total, "pruned": 0, "failed": 0, "diverged": 0}
    after = trials()
    assert [t.number for t in after] == list(range(total))
    for number, record in finished.items():
        assert (after[number].params, after[number].value) == record
