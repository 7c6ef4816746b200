"""The state of one population run (:class:`Population`): its live stacks and members, and
what becomes of each member. :mod:`nntune.executors._population` asks the trials and runs the
loop; this module starts each asked trial in the stack of its structure, trains the stacks
an epoch at a time, reports every member's epochs as a solo trial's, and tells the members
that end (completed, stopped, diverged, past the trial timeout, failed).

PBT inside the stack: a replacement the PBT scheduler queued continues its parent by a slice
copy (``Stack.copy``: weights, batch-norm statistics, optimizer state, schedule) when the
parent is in a stack at the replacement's start epoch, else from the parent's snapshot of
that epoch; then its own perturbed hyperparameters are set in place (``Stack.set_params``).
The lineage is stored as under every executor (the queued trial's parent marks).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nntune.changes import STOP
from nntune.executors._common import Callback, WorkerOptions, timed_out, worker_identity
from nntune.executors._members import Live, MembersHeartbeat, Occupancy, slot_of, starting_capacity
from nntune.executors._memory import PeakMemory
from nntune.storage import TrialStateError, TrialTakenOver
from nntune.samplers._partial_fixed import StructureAsker
from nntune.trial import TrialState

if TYPE_CHECKING:
    from nntune._trial import Trial
    from nntune.builtin_stack import MemberPlan, StackTrainer
    from nntune.study import Study
    from nntune.train.stack import Stack, StackResult

# Each block's structure, stored with the study as asked (read back by asker_for on a resume).
STRUCTURES_ATTR = "population_structures"


class Population:
    """The state of one population run: live stacks and members, and what they did."""

    def __init__(self, study: Study, trainer: StackTrainer, capacity: int | str, options: WorkerOptions,
                 callbacks: Sequence[Callback], clock: Callable[[], float]) -> None:
        self.study, self.trainer, self.options, self.callbacks, self.clock = study, trainer, options, callbacks, clock
        self.population = capacity
        self.capacity: int | None = None if capacity == "auto" else int(capacity)
        self.stacks: dict[Hashable, Stack] = {}
        self.live: dict[int, Live] = {}
        self.stats = Occupancy(self.capacity or 0, held=0)
        # The best complete member's value, number and kept model (None: a file kept for good).
        self.best: tuple[float, int, str | None] | None = None
        self.identity = worker_identity()
        self.peak = PeakMemory()
        self.kept_structures = 0
        self.to_judge: list[int] = []  # members that reported this stack epoch, judged after it
        self.ended = 0  # members told so far (completed, pruned, diverged, failed)

    # ------------------------------------------------------------ starting members

    def room(self) -> int:
        """Members that may start now (one, to size the stacks, while ``auto`` is unsized)."""
        return (1 if self.capacity is None else self.capacity) - len(self.live)

    def start(self, trial: Trial, heartbeat: MembersHeartbeat) -> None:
        """Put an asked trial into the stack of its structure (a new one if none is live)."""
        plan = None
        try:
            plan = self.trainer.plan(trial)
            # Stored now, not at the first report: the next trial is asked before any member
            # trains, and a sampler that reads the running trials (a grid's unused points)
            # would otherwise give it this one's point again.
            trial._flush()
            self.keep_structures()
            if self.capacity is None:  # auto: timed on the device with this first structure
                sized = self.trainer.auto_size(plan)
                self.capacity = self.stats.capacity = sized.k
                self.stats.auto = sized.to_json()
            stack = self.stacks.get(plan.structure)
            if stack is None:  # as many slots as there is room now; it grows as older stacks drain
                stack = self.trainer.stack(plan, starting_capacity(self.capacity, self.capacity - len(self.live)))
                self.stacks[plan.structure] = stack
                self.stats.stacks_started += 1
            slot = stack.add(plan.params, seed=plan.seed, key=trial.number)
            self.live[trial.number] = Live(trial, plan, plan.structure, self.clock())
            heartbeat.numbers.add(trial.number)
            if plan.proposal is not None:
                self.inherit(trial, plan, stack, slot)
        except Exception as err:  # noqa: BLE001 - this trial fails; the others go on
            self.live.pop(trial.number, None)
            heartbeat.numbers.discard(trial.number)
            stack = self.stacks.get(plan.structure) if plan is not None else None
            slot = slot_of(stack, trial.number) if stack is not None else None
            if stack is not None and slot is not None:
                stack.remove(slot)
                if not stack.members:
                    del self.stacks[plan.structure]  # type: ignore[union-attr]
            self.fail(trial, err)

    def keep_structures(self) -> None:
        """Store each block's structure with the study once asked, so a resumed run (or a
        model-based sampler that would ask differently now) holds the same ones."""
        asker = self.study.sampler
        if isinstance(asker, StructureAsker) and len(asker.structures) != self.kept_structures:
            ours = {str(b): s for b, s in sorted(asker.structures.items())}
            # Blocks a sibling process stored first stay as stored.
            self.study.storage.merge_study_attr(self.study.id, STRUCTURES_ATTR, lambda stored: {
                **ours, **(stored if isinstance(stored, dict) else {})})
            self.kept_structures = len(asker.structures)

    def inherit(self, trial: Trial, plan: MemberPlan, stack: Stack, slot: int) -> None:
        """A PBT replacement continues its parent: a slice copy when the parent trains in this
        stack at the start epoch, else the parent's snapshot; then its own parameters."""
        from nntune.control import record_inherited

        proposal = plan.proposal
        assert proposal is not None
        parent = self.live.get(proposal.parent)
        parent_slot = slot_of(stack, proposal.parent) if parent is not None and parent.stack == plan.structure else None
        if parent_slot is not None and stack.members[parent_slot].epoch == proposal.parent_step:
            stack.copy(parent_slot, slot)
            trial.set_system_attr("inherited_by", "slice copy")
        else:
            state = self.trainer.parent_state(proposal)
            if state is None:
                raise RuntimeError(f"trial {proposal.parent}'s state at epoch {proposal.parent_step} "
                                   "is neither in a stack nor saved")
            # As a slice copy: the parent's optimizer state and schedule progress too, not its weights alone.
            stack.load_checkpoint(slot, state)
            trial.set_system_attr("inherited_by", "snapshot")
        stack.set_params(slot, plan.params)
        member = stack.members[slot]
        member.epoch = proposal.parent_step  # it reports the steps after its parent's
        member.iterations = proposal.parent_step * len(stack.starts)
        record_inherited(self.study.storage, self.study.id, trial.number, proposal.parent,
                         proposal.parent_step, plan.params, "pbt")

    # ------------------------------------------------------------ training

    def report(self, key: Hashable, epoch: int, record: dict[str, Any]) -> bool:
        """A member's epoch, reported as a solo trial reports it; True stops it."""
        live = self.live[int(key)]  # type: ignore[call-overload]
        trial = live.trial
        stack = self.stacks[live.stack]
        slot = slot_of(stack, trial.number)
        if slot is not None:
            self.trainer.snapshot(stack, slot, trial.number, epoch)
        try:
            trial.report(record["value"], epoch, metrics=record)
        except TrialTakenOver:  # taken from this process after a heartbeat gap: it runs elsewhere now
            live.stop = True
            return True
        taken = trial.take_changes(epoch, stack.members[slot].hp if slot is not None else live.plan.params)
        if taken.pop(STOP, False):
            live.stop = True
        if taken and slot is not None and not live.stop:
            # Now, before the stack judges whether the member has ended, as fit takes them:
            # more epochs taken at its last epoch train on, a shorter patience stops it now.
            try:
                stack.change_params(slot, taken)
            except Exception as err:  # noqa: BLE001 - this member fails, the stack's others go on
                live.refused = err
                return True
            live.dropout_taken = live.dropout_taken or float(taken.get("dropout") or 0) > 0
        if live.stop:
            trial.set_system_attr("stopped_by", "user")
            return True
        # One value per step cannot rank trials on several objectives: such a study prunes none.
        if self.study.is_multi_objective:
            return False
        if slot is not None and epoch < stack.members[slot].hp["epochs"]:
            # Judged once every member of the stack has reported this epoch (:meth:`judge`):
            # asked one by one, the first to report met no peer at its step, so a hopeless
            # member that reported first was never replaced by PBT's exploit.
            self.to_judge.append(trial.number)
            return False
        return trial._scheduler_stops()  # its last epoch: judged now, as a solo trial is

    def judge(self, stack: Stack, heartbeat: MembersHeartbeat) -> None:
        """The scheduler's word on each member that reported this epoch and trains on, now
        that its peers' reports of the epoch are stored; a member it stops ends pruned."""
        numbers, self.to_judge = self.to_judge, []
        for number in numbers:
            live = self.live.get(number)
            slot = slot_of(stack, number)
            if live is None or slot is None or not live.trial._scheduler_stops():
                continue
            stack.members[slot].stopped_by_report = True
            self.end(number, stack.remove(slot), heartbeat)

    def epoch(self, key: Hashable, heartbeat: MembersHeartbeat) -> None:
        """One epoch of one stack; its ended members told, their slots refilled by the caller."""
        stack = self.stacks[key]
        if len(stack.members) < stack.capacity:
            # No trial takes a free slot before this epoch (the refills came first), and a
            # stack trains every slot it holds: an empty one would cost a member's epoch for
            # nothing, dropping it costs one copy of the members' tensors.
            stack.compact()
        trained, computed = len(stack.members), stack.capacity
        self.peak.reset()
        self.to_judge = []
        try:
            ended = stack.run_epoch(self.report)
        except Exception as err:  # noqa: BLE001 - the stack's members fail, other stacks go on
            for number in [n for n, live in self.live.items() if live.stack == key]:
                heartbeat.numbers.discard(number)
                self.fail(self.live.pop(number).trial, err)
            del self.stacks[key]
            return
        self.stats.member_epochs += trained
        self.stats.slot_epochs += computed
        self.stats.stack_epochs += 1
        for result in ended:
            self.end(int(result.key), result, heartbeat)  # type: ignore[call-overload]
        self.judge(stack, heartbeat)
        for number, live in list(self.live.items()):
            if live.stack != key:
                continue
            slot = slot_of(stack, number)
            limit = self.options.trial_timeout
            if limit is not None and slot is not None and self.clock() - live.started > limit:
                stack.remove(slot)
                heartbeat.numbers.discard(number)
                del self.live[number]
                # Checked between epochs, told as a worker killed for it is (no traceback).
                self.fail(live.trial, message=timed_out(limit))

    def end(self, number: int, result: StackResult, heartbeat: MembersHeartbeat) -> None:
        self.ended += 1
        live = self.live.pop(number)
        heartbeat.numbers.discard(number)
        trial = live.trial
        if live.refused is not None:
            self.fail(trial, live.refused, record=False)
            return
        try:
            self.measure(trial)
            if result.diverged is not None:
                trial.set_system_attr("diverged_epoch", result.epochs)
                frozen = self.study.tell(trial, state=TrialState.DIVERGED, error=result.diverged)
            else:
                value = self.trainer.finish(trial, live.plan, result)
                if result.stopped_by_report:
                    frozen = self.study.tell(trial, state=TrialState.PRUNED)
                else:
                    self.keep(trial, live.plan, result, value, differs=live.dropout_taken)
                    frozen = self.study.tell(trial, value)
        except TrialStateError:
            return  # recovered elsewhere meanwhile (a heartbeat gap): it is no longer ours
        except Exception as err:  # noqa: BLE001 - as a solo objective's error: this trial fails, the others go on
            self.fail(trial, err)
            return
        for cb in self.callbacks:
            cb(self.study, frozen)

    def keep(self, trial: Trial, plan: MemberPlan, result: StackResult, value: float | tuple[float, ...], *,
             differs: bool = False) -> None:
        """Keep a complete member's model where the test look and ``export-model`` find it:
        every member that a solo retrain would not reproduce (dropout, augmentation, a PBT
        replacement), and otherwise the best member's alone (one file; the others are
        retrained exactly). A study of several objectives has no one best."""
        from nntune.kept_model import first_direction, improves  # torch: only once a member trained

        single = None if isinstance(value, tuple) else float(value)
        # The rule of every executor's kept model: finite, met the constraints, better (a tie
        # keeps the earlier member).
        better = single is not None and improves(single, None if self.best is None else self.best[0],
                                                 first_direction(self.study)) \
            and self.trainer.feasible(trial, single)
        kept_for_good = differs or self.trainer.retrain_differs(plan)
        if not (better or kept_for_good):
            return
        path = self.trainer.keep_model(trial, result)
        if path is None or single is None or not better:
            return
        if self.best is not None and self.best[2] not in (None, path):
            # The older best is retrained exactly from now on: its record says so first, since
            # a record naming a file that is gone reads as a lineage's weights lost (a warning).
            self.study.storage.set_trial_system_attr(self.study.id, self.best[1], "checkpoint", None)
            Path(self.best[2]).unlink(missing_ok=True)
        self.best = (single, trial.number, None if kept_for_good else path)

    def measure(self, trial: Trial) -> None:
        from nntune.executors._memory import gpu_peak_mb

        trial.set_system_attr("peak_rss_mb", self.peak.peak_mb())
        gpu = gpu_peak_mb()
        if gpu is not None:
            trial.set_system_attr("peak_gpu_mb", gpu)

    def fail(self, trial: Trial, err: BaseException | None = None, *, record: bool = True,
             message: str | None = None) -> None:
        """Tell ``trial`` failed by ``err`` (its first line, and its traceback where ``record``),
        or with ``message`` alone, as the supervisor of worker processes tells a trial it stopped."""
        if message is None:
            assert err is not None
            message = f"{type(err).__name__}: {err}".splitlines()[0][:500]
        self.ended += 1
        try:
            if record and err is not None:
                trial.set_system_attr("traceback", traceback.format_exc()[-4000:])
            frozen = self.study.tell(trial, state=TrialState.FAILED, error=message)
        except TrialStateError:
            return
        for cb in self.callbacks:
            cb(self.study, frozen)

    def round(self, heartbeat: MembersHeartbeat, fill: Callable[[], bool]) -> None:
        """Every live stack trains one epoch; freed slots are refilled after each."""
        from nntune.train.threads import use_threads

        use_threads(device=self.trainer.device)  # the solo trainer's thread rule, each round
        keys = list(self.stacks)
        before = self.stats.member_epochs
        self.stats.rounds += 1
        self.stats.split_rounds += len(keys) > 1
        for key in keys:
            if key in self.stacks:
                self.epoch(key, heartbeat)
                fill()  # the freed slots first: this structure's next trial reuses the stack
        # A place freed and refilled within the round may train twice in it: K places at most.
        self.stats.held = self.stats.places_held + min(self.capacity or 0, self.stats.member_epochs - before)
        for key in [k for k, stack in self.stacks.items() if not stack.members]:
            del self.stacks[key]  # drained: its structure has no trial left here
