"""``nntune export-model``: a stored study's trained model as a file, the test split shut;
and the config a command reads for a stored study (the YAML given, else the stored one)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from nntune import _json
from nntune._files import check_writable_file, given_path
from nntune._words import counted
from nntune.config_overrides import _override
from nntune.exceptions import ConfigError


def study_config(config: Optional[str | Path], storage: Optional[str], study: Optional[str]) -> Any:
    """The config of a stored study: ``config`` (checked to describe the same model as the
    one the study stored) or, without it, the stored config itself."""
    from nntune.config import parse_config, read_raw
    from nntune.show import open_study as open_stored

    stored: Any = None
    if config is not None:
        raw = read_raw(config)
        _override(raw, None, "storage", storage)
        _override(raw, None, "study", study)
        if raw.get("storage") != "memory":
            _, rec = open_stored(raw.get("storage", "sqlite:///nntune.db"), raw.get("study", "digits-mlp"))
            stored = stored_config(rec.attrs)
    else:
        url, name = storage or "sqlite:///nntune.db", study or "digits-mlp"
        _, rec = open_stored(url, name)
        kept = stored_config(rec.attrs)
        if kept is None:
            raise ConfigError("config", f"study {name!r} stores no config; give the YAML it was tuned with")
        raw = {**kept, "storage": url, "study": name}
    cfg = parse_config(raw, str(config) if config else "stored")
    if isinstance(stored, dict):
        from nntune.config_compare import check_same_model

        check_same_model(cfg, stored)
    return cfg


def stored_config(attrs: Any) -> dict[str, Any] | None:
    """The config a study keeps: ``nntune tune``'s, or the one ``nntune babysit`` started it with."""
    for kept in (attrs.get("config"), (attrs.get("babysit") or {}).get("config")):
        if isinstance(kept, dict):
            return kept
    return None


def export_model(
    config: Optional[Path] = typer.Argument(None, path_type=str, help="The YAML the study was tuned with; without it, "
                                                                      "the config stored with the study."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Storage URL (default sqlite:///nntune.db)."),
    study: Optional[str] = typer.Option(None, "--study", help="Study name (default digits-mlp)."),
    trial: Optional[int] = typer.Option(None, "--trial", help="A complete trial (default: the best)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", path_type=str,  # "" kept, not "."
                                          help="File to write (default models/STUDY.pt; with --trial N, "
                                               "models/STUDY-trialN.pt)."),
    json_out: bool = typer.Option(False, "--json", help="End stdout with one JSON line."),
) -> None:
    """Write a trial's trained model (the best by default) as a file for nntune.load_model;
    the test split stays shut."""
    from nntune.builtin import front_model_file, rebuild_model, recorded_looks, save_trial_model
    from nntune.builtin_repeats import value_words
    from nntune.config_data import check_same_data
    from nntune.config_storage import check_not_input, check_not_storage_file, run_inputs
    from nntune.control import trained_changes
    from nntune.kept_model import weights_continued_from
    from nntune.runner import prepare
    from nntune.samplers import is_feasible
    from nntune.study import load_study
    from nntune.trial import TrialState, best_trial

    given = given_path(output, "--output", "give a file name", file=True)
    cfg = study_config(config, storage, study)
    if given is None:
        from nntune._default_files import model_path_for

        # tune's file for the study: never another study's that shares its safe name
        given = model_path_for(cfg.study, "--output")
        # A trial named by number gets a file of its own, as tune names a Pareto front's: the
        # study's own file is the best model tune wrote, and must not become another trial's.
        if trial is not None:
            given = front_model_file(given, trial) or given
    path = check_writable_file(given, "--output")
    check_not_storage_file(path, cfg.storage, "--output")  # -o nntune.db would overwrite the studies
    check_not_input(path, "--output", run_inputs(config, cfg.task.data))  # nor the config or data it rebuilds from
    p = prepare(cfg)
    st = load_study(cfg.study, cfg.storage)
    check_same_data(st.storage.load_study(cfg.study).attrs, cfg.study, p.splits)  # a model of these rows, not others
    trials = st.get_trials(deepcopy=False)
    if trial is None:
        if st.is_multi_objective:
            # which numbers to give: the front the tune printed may have scrolled away
            front = [str(t.number) for t in st.best_trials]
            if not front:
                raise ConfigError("study", f"{cfg.study!r} has no complete trial on its front to export")
            raise ConfigError("--trial", f"{cfg.study!r} has several objectives; name a trial of its front "
                                         f"({'trial' if len(front) == 1 else 'trials'} {', '.join(front)})")
        chosen = best_trial([t for t in trials if is_feasible(t)], st.direction)
        if chosen is None:
            raise ConfigError("study", f"{cfg.study!r} has no complete trial to export")
    else:
        chosen = next((t for t in trials if t.number == trial), None)
        if chosen is None or chosen.state != TrialState.COMPLETE:
            state = "no such trial" if chosen is None else f"it is {chosen.state.value}"
            raise ConfigError("--trial", f"trial {trial} of {cfg.study!r} cannot be exported: {state}")
    look = recorded_looks(st, [chosen]).get(chosen.number)  # shown in the file, never a new one
    model = rebuild_model(st, cfg, p.splits, chosen, epochs=p.epochs)
    warn_if_another_model(cfg, p.splits, model, chosen, p.epochs)
    save_trial_model(path, model, st, cfg, p.splits, chosen, epochs=p.epochs,
                     test=look.metrics if look else None, field="--output")
    # A trial of several executions is worth their mean; the file holds one of them (its meta's value).
    words = value_words(chosen.user_attrs, cfg.task.trained_metric, chosen.value)
    said = sys.stderr if json_out else sys.stdout
    print(f"trial {chosen.number} of {cfg.study} ({words}) written to {path}; the test split stays shut", file=said)
    changes = trained_changes(chosen, st.storage.get_param_changes(st.id, chosen.number))  # as the file has them
    origin = weights_continued_from(chosen)  # none where its weights were retrained from scratch
    if changes or origin:  # whoever retrains from its params must hear of the rest
        print(changes_line(chosen.number, changes, origin), file=said)
    if json_out:
        print(_json.dumps({"study": cfg.study, "trial": chosen.number, "path": str(path), "changes": changes,
                           "continued_from": origin}),
              flush=True)


def changes_line(number: int, changes: list[dict[str, Any]], origin: dict[str, int] | None = None) -> str:
    """One line of how a model file's trial trained beyond its params: the trial whose
    weights it started from (``origin``), and the changes it trained with, in the words of
    babysit's view, those taken together (after one epoch, by one hand) said together."""
    from itertools import groupby

    from nntune.cli_text import _fmt

    said = "; ".join(f"after epoch {epoch} ({who}) " + ", ".join(f"{c['param']} {_fmt(c['old'])} -> {_fmt(c['new'])}"
                                                                 for c in group)
                     for (epoch, who), group in groupby(changes, key=lambda c: (c["epoch"], c["who"])))
    if origin is None:
        return (f"trial {number} changed while it trained: {said}; the file's params are its start, "
                "final_params what its last epoch trained with")
    # A fork's or a PBT copy's params are what it trained with from its parent's epoch on: its
    # first epochs are the parent's, trained with the parent's settings (nntune show --trial).
    step = origin["epoch"]
    before = "epoch 1" if step == 1 else f"epochs 1-{step}"
    first = f"trial {number} started from trial {origin['trial']}'s weights after epoch {step}"
    return (f"{first} ({before} trained there, with that trial's settings)"
            + (f", then changed: {said}" if said else "")
            + "; the file's params are what it trained with from there, final_params what its last epoch trained with")


def warn_if_another_model(cfg: Any, splits: Any, model: Any, trial: Any, epochs: Optional[int]) -> None:
    """Say so when the rebuilt model does not score the trial's recorded validation value:
    the data file (or the code) changed since the study ran, so the file would hold another
    model than the one the trial describes. A retrain on CPU matches to rounding; a GPU's
    nondeterminism stays well inside the 1% allowed. A trial of several executions is worth
    their mean; its model is one of them, held to that execution's own value."""
    import math

    from nntune.builtin_repeats import kept_value
    from nntune.ensemble_study import validation_score

    own = kept_value(trial.user_attrs)
    recorded = trial.value if own is None else own
    if recorded is None or not math.isfinite(recorded):
        return
    measured = validation_score(cfg, splits, model, dict(trial.params), epochs)
    if not math.isclose(measured, recorded, rel_tol=1e-2, abs_tol=1e-6):
        metric = cfg.task.trained_metric
        print(f"warning: the rebuilt model of trial {trial.number} scores validation {metric} {measured:.4g}, "
              f"not the {recorded:.4g} the trial recorded: the data (or nntune) changed since the study ran",
              file=sys.stderr)


def predict(
    # path_type=str: each path as typed, "" kept (a Path would make it "."), still shown as <path>.
    model: Path = typer.Argument(..., path_type=str, help="A model file (nntune tune's models/STUDY.pt, or "
                                                          "export-model's)."),
    inputs: Path = typer.Argument(..., path_type=str, help="New rows: a CSV with the training's columns, an .npz "
                                                           "file of x, or image files (one, or a folder of them)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", path_type=str, help="File to write: .csv, "
                                          ".parquet or .json (default: CSV on stdout)."),
) -> None:
    """A model file's predictions for new data: each row's prediction, and each class's
    probability for a classification."""
    from nntune.model_file import load_model
    from nntune.predict import predict_file
    from nntune.studies import export_format, frame_bytes

    model_file = given_path(model, "model", "give a model file")
    rows = given_path(inputs, "inputs", "give a CSV, an .npz file, an image or a folder of images")
    output = given_path(output, "--output", "give a file name, or leave it out for stdout", file=True)
    try:
        fmt = export_format(output)
    except ConfigError:
        raise ConfigError("--output", f"write .csv, .parquet or .json, got {output.name!r}") from None
    if output is not None:
        from nntune.config_storage import check_not_input

        check_writable_file(output, "--output")
        check_not_input(output, "--output", [(rows, "input file"), (model_file, "model file")])
    try:
        tuned = load_model(model_file)
    except ConfigError as err:  # load_model names its parameter, path; here the argument is model
        raise ConfigError("model", err.problem) if err.field == "path" else err from None
    table = predict_file(tuned, rows)
    data = frame_bytes(table, fmt)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from nntune._files import write_atomic

    write_atomic(output, data, field="--output")
    print(f"{counted(len(table), 'prediction')} written to {output}", file=sys.stderr)
