"""Driving a study from the shell: ``nntune create-study``, ``ask``, ``tell``, ``trials``,
``best-trial`` and ``best-trials``, with Optuna's options and output keys."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

import pytest
import yaml

from conftest import has, nntune_command
from nntune.cli_ask import flatten, render
from nntune.cli_ask_inputs import check_tell, make_sampler, parse_search_space, parse_state, parse_values
from nntune.exceptions import ConfigError
from nntune.space import Beta, Choice, Float, Int

X = {"x": {"name": "FloatDistribution", "attributes": {"low": -10.0, "high": 10.0, "log": False, "step": None}}}
MIXED = {"lr": {"name": "FloatDistribution", "attributes": {"low": 1e-4, "high": 1.0, "log": True, "step": None}},
         "units": {"name": "IntDistribution", "attributes": {"low": 16, "high": 256, "log": False, "step": 16}},
         "act": {"name": "CategoricalDistribution", "attributes": {"choices": ["relu", "tanh"]}}}
TRIAL_KEYS = ["number", "value", "datetime_start", "datetime_complete", "duration", "params", "state"]


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'ask.db'}"


def ok(call_cli, *args: str) -> str:
    code, out, err = call_cli(*args)
    assert code == 0, err
    return out


def ask(call_cli, url: str, *extra: str, study: str = "s") -> dict:
    return json.loads(ok(call_cli, "ask", "--storage", url, "--study", study, *extra))


def tell(call_cli, url: str, number: int, *extra: str, study: str = "s") -> None:
    ok(call_cli, "tell", "--storage", url, "--study-name", study, "--trial-number", str(number), *extra)


# ---------------------------------------------------------------- the search space, one parser for both shapes


def test_every_optuna_distribution_name_reads_as_nntune_distribution():
    old = {"u": ("UniformDistribution", {"low": 0, "high": 2}), "lu": ("LogUniformDistribution", {"low": 1e-3, "high": 1}),
           "du": ("DiscreteUniformDistribution", {"low": 0, "high": 1, "q": 0.25}),
           "iu": ("IntUniformDistribution", {"low": 1, "high": 9, "step": 2}),
           "ilu": ("IntLogUniformDistribution", {"low": 1, "high": 64})}
    doc = {**MIXED, **{k: {"name": n, "attributes": a} for k, (n, a) in old.items()}}
    space = parse_search_space(json.dumps(doc))
    assert list(space) == ["lr", "units", "act", "u", "lu", "du", "iu", "ilu"]
    assert space.params == {"lr": Float(1e-4, 1.0, log=True), "units": Int(16, 256, step=16),
                            "act": Choice(("relu", "tanh")), "u": Float(0, 2), "lu": Float(1e-3, 1, log=True),
                            "du": Float(0, 1, step=0.25), "iu": Int(1, 9, step=2), "ilu": Int(1, 64, log=True)}


def test_nntune_shape_in_json_yaml_a_file_or_a_config_gives_the_same_space(tmp_path):
    nntune_doc = {"lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
                  "units": {"type": "int", "low": 16, "high": 256, "step": 16},
                  "act": {"type": "choice", "values": ["relu", "tanh"]}}
    from_optuna = parse_search_space(json.dumps(MIXED))
    assert parse_search_space(json.dumps(nntune_doc)) == from_optuna
    assert parse_search_space(yaml.safe_dump(nntune_doc, sort_keys=False)) == from_optuna
    (tmp_path / "space.yaml").write_text(yaml.safe_dump(nntune_doc, sort_keys=False))
    assert parse_search_space(str(tmp_path / "space.yaml")) == from_optuna
    (tmp_path / "tune.yaml").write_text(yaml.safe_dump({"study": "s", "space": nntune_doc}, sort_keys=False))
    assert parse_search_space(str(tmp_path / "tune.yaml")) == from_optuna
    mixed = {"lr": MIXED["lr"], "beta1": {"type": "beta", "low": 0.8, "high": 0.999}}
    assert parse_search_space(json.dumps(mixed)).params["beta1"] == Beta(0.8, 0.999)


def test_a_condition_puts_its_parent_first_and_a_cycle_is_refused():
    doc = {"momentum": {"type": "float", "low": 0.5, "high": 0.99, "when": {"optimizer": ["sgd"]}},
           "optimizer": {"type": "choice", "values": ["adam", "sgd"]}}
    space = parse_search_space(json.dumps(doc))
    assert list(space) == ["optimizer", "momentum"]
    assert space.is_active("momentum", {"optimizer": "sgd"}) and not space.is_active("momentum", {"optimizer": "adam"})
    doc["optimizer"]["when"] = {"momentum": [0.9]}
    with pytest.raises(ConfigError, match="cycle"):
        parse_search_space(json.dumps(doc))


@pytest.mark.parametrize("text, field, problem", [
    ('{"x": ', "--search-space", "not JSON"),
    ("[1, 2]", "--search-space", "expected a mapping"),
    ('{"x": 3}', "--search-space.x", "FloatDistribution"),
    ('{"x": {"name": "NormalDistribution", "attributes": {}}}', "--search-space.x.name", "unknown distribution"),
    ('{"x": {"name": "FloatDistribution", "attributes": {"low": 0}}}', "--search-space.x.attributes.high", "needs"),
    ('{"x": {"name": "FloatDistribution", "attributes": {"lo": 0, "high": 1}}}', "--search-space.x.attributes.lo",
     "not an attribute"),
    ('{"x": {"name": "FloatDistribution", "attributes": {"low": 2, "high": 1}}}', "--search-space.x.attributes.low",
     "must not exceed"),
    ('{"x": {"name": "CategoricalDistribution", "attributes": {"choices": "ab"}}}',
     "--search-space.x.attributes.choices", "list"),
    ('{"x": {"type": "flot", "low": 0, "high": 1}}', "--search-space.x.type", "must be float"),
    ('{"x": {"type": "float", "low": 0, "high": 1, "log": true}}', "--search-space.x.low", "log-scale"),
    ('{"x": {"type": "float", "lo": 0, "high": 1}}', "--search-space.x.lo", "unknown key"),
    ('{"x": {"type": "choice"}}', "--search-space.x.values", "needs values"),
    ('{"x": {"type": "float", "low": 0, "high": 1, "prior": 0.5}}', "--search-space.x.prior", "priors"),
    ('{"x": {"type": "float", "low": 0, "high": 1, "when": {"y": [1]}}}', "--search-space.x.when", "'y'"),
])
def test_a_bad_search_space_names_the_parameter_and_the_problem(text, field, problem):
    with pytest.raises(ConfigError) as err:
        parse_search_space(text)
    assert err.value.field == field and problem in err.value.problem


# ---------------------------------------------------------------- samplers, values, states


@pytest.mark.parametrize("name, cls", [
    ("TPESampler", "TPESampler"), ("tpe", "TPESampler"), ("RandomSampler", "RandomSampler"),
    ("random", "RandomSampler"), ("GPSampler", "GPSampler"), ("QMCSampler", "QMCSampler"),
    ("CmaEsSampler", "CmaEsSampler"), ("cmaes", "CmaEsSampler"), ("NSGAIISampler", "NSGAIISampler"),
    ("nsga3", "NSGAIIISampler"), ("GridSampler", "GridSampler"), ("BruteForceSampler", "BruteForceSampler"),
])
def test_a_sampler_by_optuna_class_name_or_nntune_config_name(name, cls):
    sampler = make_sampler(name, '{"seed": 3}')
    assert type(sampler).__name__ == cls and sampler.seed == 3


@pytest.mark.parametrize("name, kwargs, field, problem", [
    ("BoTorchSampler", None, "--sampler", "unknown sampler"),
    ("TPESampler", '{"sed": 1}', "--sampler-kwargs.sed", "takes no 'sed'"),
    ("TPESampler", "[1]", "--sampler-kwargs", "JSON object"),
    ("TPESampler", '{"seed": ', "--sampler-kwargs", "not JSON"),
    ("CmaEsSampler", '{"sigma0": 5}', "--sampler-kwargs.sigma0", "0 < sigma0 <= 1"),
])
def test_a_bad_sampler_is_refused(name, kwargs, field, problem):
    with pytest.raises(ConfigError) as err:
        make_sampler(name, kwargs)
    assert err.value.field == field and problem in err.value.problem


def test_values_and_states_follow_optunas_rules():
    assert parse_values(["0.5", "-2", "1e3"]) == [0.5, -2.0, 1000.0]
    with pytest.raises(ConfigError, match="'abc' is not a number"):
        parse_values(["abc"])
    assert parse_state(None).value == "complete" and parse_state("fail").value == "failed"
    with pytest.raises(ConfigError, match="--state"):
        parse_state("crashed")
    check_tell(parse_state(None), [0.5, 1.0], 2)
    check_tell(parse_state("pruned"), [], 1)
    for state, values, n in (("complete", [], 1), ("complete", [1.0, 2.0], 1), ("fail", [1.0], 1)):
        with pytest.raises(ConfigError, match="--values"):
            check_tell(parse_state(state), values, n)


def test_flatten_and_the_table_keep_optunas_layout():
    rows = [{"number": 0, "value": 1.5, "params": {"b": 1, "a": "x"}, "state": "COMPLETE"},
            {"number": 1, "value": None, "params": {"a": "y"}, "state": "FAIL"}]
    flat, header = flatten(rows, ["number", "value", "params", "state"])
    assert header == ["number", "value", "params_a", "params_b", "state"]
    assert flat[1] == {"number": 1, "value": None, "params_a": "y", "state": "FAIL"}
    table = render(rows, ["number", "value", "params", "state"], "table", flat=True).splitlines()
    assert table[0] == table[2] == table[-1] and table[0].startswith("+--")
    assert table[1].split("|")[1:-1] == [" number ", " value ", " params_a ", " params_b ", " state    "]
    assert table[4].split("|")[2] == "       " and table[3].split("|")[1] == "      0 "  # numbers to the right
    assert render(rows, ["number", "value", "params", "state"], "value").splitlines()[1] == "1  {'a': 'y'} FAIL"


# ---------------------------------------------------------------- the commands


@pytest.mark.slow
def test_a_tpe_loop_of_40_asks_and_tells_closes_in_and_beats_random(call_cli, tmp_path):
    """Each ask is a fresh command, so the only memory is the storage: if the sampler did not
    see the told trials, TPE would do no better than random draws."""
    def loop(sampler: str, seed: int) -> list[float]:
        url = f"sqlite:///{tmp_path / f'{sampler}-{seed}.db'}"
        ok(call_cli, "create-study", "--storage", url, "--study-name", "s")
        xs = []
        for _ in range(40):
            trial = ask(call_cli, url, "--search-space", json.dumps(X), "--sampler", sampler,
                        "--sampler-kwargs", json.dumps({"seed": seed}))
            xs.append(trial["params"]["x"])
            tell(call_cli, url, trial["number"], "--values", repr((xs[-1] - 2) ** 2))
        best = json.loads(ok(call_cli, "best-trial", "--storage", url, "--study", "s", "-f", "json"))
        assert best["value"] == min((x - 2) ** 2 for x in xs)
        return xs

    tpe = [loop("TPESampler", seed) for seed in range(3)]
    rand = [loop("RandomSampler", seed) for seed in range(3)]
    best = [min(abs(x - 2) for x in xs) for xs in tpe]
    assert max(best) < 0.1, best
    assert statistics.mean(best) < statistics.mean(min(abs(x - 2) for x in xs) for xs in rand)
    # The later draws gather round the optimum: TPE is modelling the told values.
    assert all(statistics.median(abs(x - 2) for x in xs[-15:]) < 1.5 for xs in tpe)
    assert statistics.median(abs(x - 2) for xs in rand for x in xs[-15:]) > 2.5


@pytest.mark.slow
@pytest.mark.skipif(not has("bash"), reason="needs bash")
def test_a_bash_script_drives_the_study(tmp_path):
    # Three rounds: each command is a process start of its own, and the best trial's values are
    # checked against the told ones (TPE modelling the told values is the 40-round loop's check).
    script = tmp_path / "loop.sh"
    script.write_text("""set -eu
S=sqlite:///loop.db
"$NNTUNE" create-study --storage $S --study-name loop --direction minimize
for i in 1 2 3; do
  read -r n x < <("$NNTUNE" ask --storage $S --study loop -f value --flatten --sampler tpe \\
      --search-space '{"x": {"type": "float", "low": -10, "high": 10}}')
  "$NNTUNE" tell --storage $S --study loop --trial-number "$n" --values "$(python3 -c "print(($x - 2) ** 2)")"
done
"$NNTUNE" best-trial --storage $S --study loop -f json
""")
    env = {**os.environ, "NNTUNE": " ".join(nntune_command())}
    done = subprocess.run(["bash", str(script)], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "loop"
    best = json.loads(lines[-1])
    assert list(best) == TRIAL_KEYS and best["state"] == "COMPLETE"
    assert best["value"] == pytest.approx((best["params"]["x"] - 2) ** 2)
    assert done.stderr.count("told: complete") == 3


def test_ask_and_tell_as_optuna_then_show_and_load_study_open_it(call_cli, url):
    import nntune

    assert ok(call_cli, "create-study", "--storage", url, "--study-name", "s", "--direction", "maximize") == "s\n"
    told = {}
    for i in range(4):
        trial = ask(call_cli, url, "--search-space", json.dumps(MIXED))
        assert trial["number"] == i and list(trial["params"]) == ["lr", "units", "act"]
        told[i] = 0.5 + i / 10
        tell(call_cli, url, i, "--values", str(told[i]))
    running = ask(call_cli, url, "--search-space", json.dumps(MIXED))  # left running
    shown = json.loads(ok(call_cli, "show", "--storage", url, "--study", "s", "--json"))
    assert shown["best"] == 3 and shown["counts"]["complete"] == 4
    study = nntune.load_study(study_name="s", storage=url)
    assert study.best_trial.number == 3 and study.best_value == pytest.approx(0.8)
    stored = study.trials[running["number"]]
    assert stored.state.value == "running" and stored.params == running["params"]
    assert stored.distributions["lr"] == Float(1e-4, 1.0, log=True)
    # ask's params were stored then, not at tell: a trial never told keeps them too
    rows = json.loads(ok(call_cli, "trials", "--storage", url, "--study", "s", "-f", "json"))
    assert [r["state"] for r in rows] == ["COMPLETE"] * 4 + ["RUNNING"]
    assert rows[4]["params"] == dict(sorted(running["params"].items()))


def test_tell_fail_pruned_and_a_finished_trial(call_cli, url):
    ok(call_cli, "create-study", "--storage", url, "--study", "s")
    for _ in range(3):
        ask(call_cli, url, "--search-space", json.dumps(X))
    tell(call_cli, url, 0, "--state", "fail")
    tell(call_cli, url, 1, "--state", "pruned")
    tell(call_cli, url, 2, "--values", "nan")  # nntune's diverged: a value that is not finite
    code, out, err = call_cli("tell", "--storage", url, "--study", "s", "--trial-number", "0", "--values", "1")
    assert code == 2 and "--trial-number: trial 0 is failed already" in err
    tell(call_cli, url, 0, "--values", "1", "--skip-if-finished")
    rows = json.loads(ok(call_cli, "trials", "--storage", url, "--study", "s", "--json"))
    assert [r["state"] for r in rows] == ["FAIL", "PRUNED", "DIVERGED"] and all(r["value"] is None for r in rows)
    code, _, err = call_cli("best-trial", "--storage", url, "--study", "s")
    assert code == 2 and "no complete trial yet" in err


def test_several_objectives_take_several_values_and_best_trials_is_the_pareto_front(call_cli, url):
    assert ok(call_cli, "create-study", "--storage", url, "--study", "m", "--directions", "maximize", "minimize")
    for values in (("1", "1"), ("2", "2"), ("0.5", "-3"), ("0.4", "3")):
        trial = ask(call_cli, url, "--search-space", json.dumps(X), "--sampler", "NSGAIISampler", study="m")
        tell(call_cli, url, trial["number"], "--values", *values, study="m")
    front = json.loads(ok(call_cli, "best-trials", "--storage", url, "--study", "m", "-f", "json"))
    assert [t["number"] for t in front] == [0, 1, 2] and front[2]["values"] == [0.5, -3.0]
    flat = json.loads(ok(call_cli, "best-trials", "--storage", url, "--study", "m", "-f", "json", "--flatten"))
    assert list(flat[0])[:3] == ["number", "values_0", "values_1"]
    code, _, err = call_cli("best-trial", "--storage", url, "--study", "m")
    assert code == 2 and "best-trials" in err


def test_a_space_stored_at_create_study_and_an_enqueued_trial(call_cli, url):
    import nntune

    space = {"units": {"type": "int", "low": 16, "high": 64}}
    ok(call_cli, "create-study", "--storage", url, "--study", "s", "--search-space", json.dumps(space))
    assert list(ask(call_cli, url)["params"]) == ["units"]
    nntune.load_study(study_name="s", storage=url).enqueue_trial({"units": 42})
    assert ask(call_cli, url)["params"] == {"units": 42}


def test_formats_yaml_table_and_value(call_cli, url):
    ok(call_cli, "create-study", "--storage", url, "--study", "s")
    trial = ask(call_cli, url, "--search-space", json.dumps(MIXED))
    tell(call_cli, url, trial["number"], "--values", "0.25")
    args = ("--storage", url, "--study", "s")
    as_json = json.loads(ok(call_cli, "best-trial", *args, "-f", "json"))
    assert yaml.safe_load(ok(call_cli, "best-trial", *args, "-f", "yaml")) == as_json
    table = ok(call_cli, "trials", *args).splitlines()
    assert [c.strip() for c in table[1].split("|")[1:-1]] == TRIAL_KEYS
    assert ok(call_cli, "best-trial", *args, "-f", "value").startswith("0 0.25 ")
    number, *values = ok(call_cli, "ask", *args, "--search-space", json.dumps(MIXED), "-f", "value",
                         "--flatten").split()
    assert number == "1" and len(values) == 3


def test_ask_stays_light_no_torch_nor_scikit_learn(url):
    code = ("import sys, nntune.cli\n"
            f"sys.argv = ['nntune', 'create-study', '--storage', {url!r}, '--study', 's']\n"
            "nntune.cli.main()\n"
            f"sys.argv = ['nntune', 'ask', '--storage', {url!r}, '--study', 's', '--search-space', "
            "'{\"x\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}']\n"
            "nntune.cli.main()\n"
            "print([m for m in ('torch', 'sklearn') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


# ---------------------------------------------------------------- every bad input: one line, exit 2, nothing written


@pytest.mark.parametrize("args, field", [
    (["ask", "--study", "nope"], "study"),
    (["ask", "--study", "s", "--search-space", '{"x": '], "--search-space"),
    (["ask", "--study", "s", "--search-space", '{"x": {"type": "float", "low": 1, "high": 0}}'], "--search-space.x.low"),
    (["ask", "--study", "s", "--sampler", "Nope"], "--sampler"),
    (["ask", "--study", "s", "--sampler", "TPESampler", "--sampler-kwargs", '{"sed": 1}'], "--sampler-kwargs.sed"),
    (["ask", "--study", "s", "--sampler-kwargs", '{"seed": 1}'], "--sampler-kwargs"),
    (["ask", "--study", "s", "-f", "xml"], "--format"),
    (["ask", "--study", "s", "--search-space", json.dumps(X), "--sampler", "BruteForceSampler"], "--sampler.x"),
    (["tell", "--study", "s", "--trial-number", "1", "--values", "1", "2"], "--values"),
    (["tell", "--study", "s", "--trial-number", "1"], "--values"),
    (["tell", "--study", "s", "--trial-number", "1", "--values", "abc"], "--values"),
    (["tell", "--study", "s", "--trial-number", "1", "--state", "fail", "--values", "1"], "--values"),
    (["tell", "--study", "s", "--trial-number", "1", "--state", "crashed"], "--state"),
    (["tell", "--study", "s", "--trial-number", "7", "--values", "1"], "--trial-number"),
    (["tell", "--study", "s", "--trial-number", "0", "--values", "1"], "--trial-number"),
    (["tell", "--study", "s", "--values", "1"], "--trial-number"),
    (["tell", "--study", "nope", "--trial-number", "1", "--values", "1"], "study"),
    (["trials", "--study", "nope"], "study"),
    (["best-trial", "--study", "s", "-f", "csv"], "--format"),
    (["create-study", "--study", "s"], "--study-name"),
    (["create-study", "--study", "t", "--direction", "up"], "--direction"),
    (["create-study", "--study", "t", "--directions", "maximize", "down"], "--directions"),
    (["create-study", "--study", "s", "--skip-if-exists", "--direction", "maximize"], "--direction"),
])
def test_a_bad_input_is_one_line_with_exit_2_and_writes_nothing(call_cli, url, tmp_path, args, field):
    ok(call_cli, "create-study", "--storage", url, "--study", "s")
    tell(call_cli, url, ask(call_cli, url, "--search-space", json.dumps(X))["number"], "--values", "1")
    ask(call_cli, url, "--search-space", json.dumps(X))  # trial 1, running
    before, files = dump(tmp_path / "ask.db"), sorted(tmp_path.iterdir())
    code, out, err = call_cli(*args, "--storage", url)
    assert code == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    # ConfigError lines name the field first; click's own (a missing option) name it inside
    assert err.startswith(f"nntune: error: {field}: ") or err.startswith("nntune: error: Missing option") \
        and f"'{field}'" in err, err
    assert dump(tmp_path / "ask.db") == before and sorted(tmp_path.iterdir()) == files


def dump(db) -> str:
    """Every row of an SQLite database (the write-ahead log included), opened read-only."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_a_missing_storage_file_is_not_created(call_cli, tmp_path):
    code, _, err = call_cli("ask", "--storage", f"sqlite:///{tmp_path / 'none.db'}", "--study", "s")
    assert code == 2 and err.startswith("nntune: error: storage: no such SQLite file")
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("command", ["create-study", "ask", "tell", "trials", "best-trial", "best-trials"])
def test_every_ask_and_tell_command_has_help(call_cli, command):
    code, out, err = call_cli(command, "--help")
    assert code == 0 and "Usage" in out and "--study-name" in out and err == ""


# ---------------------------------------------------------------- the same sequence through Optuna's own CLI


def optuna_cli(capsys, *args: str) -> str:
    """Run ``optuna.cli.main`` in this process; its log handlers are removed again after."""
    import logging
    import warnings

    import optuna
    import optuna.cli

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    old_argv = sys.argv
    sys.argv = ["optuna", *args]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert optuna.cli.main() == 0
    finally:
        sys.argv = old_argv
        for handler in root.handlers[len(handlers):]:
            root.removeHandler(handler)
        root.setLevel(level)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    return capsys.readouterr().out


@pytest.mark.slow
def test_the_json_has_the_keys_optunas_cli_prints(call_cli, capsys, tmp_path):
    pytest.importorskip("optuna")
    sequence = [
        ["create-study", "--study-name", "s", "--direction", "minimize"],
        ["ask", "--study-name", "s", "--search-space", json.dumps(MIXED)],
        ["ask", "--study-name", "s", "--search-space", json.dumps(MIXED), "-f", "json"],
        ["ask", "--study-name", "s", "--search-space", json.dumps(MIXED), "--flatten"],
        ["ask", "--study-name", "s"],
        ["tell", "--study-name", "s", "--trial-number", "0", "--values", "1.5"],
        ["tell", "--study-name", "s", "--trial-number", "1", "--state", "fail"],
        ["tell", "--study-name", "s", "--trial-number", "2", "--state", "pruned"],
        ["tell", "--study-name", "s", "--trial-number", "2", "--values", "3", "--skip-if-finished"],
        ["trials", "--study-name", "s", "-f", "json"],
        ["trials", "--study-name", "s", "-f", "json", "--flatten"],
        ["best-trial", "--study-name", "s", "-f", "json"],
        ["best-trial", "--study-name", "s", "-f", "yaml"],
        ["best-trials", "--study-name", "s", "-f", "json", "--flatten"],
        ["create-study", "--study-name", "m", "--directions", "minimize", "maximize"],
        ["ask", "--study-name", "m", "--search-space", json.dumps(X)],
        ["tell", "--study-name", "m", "--trial-number", "0", "--values", "1", "2"],
        ["trials", "--study-name", "m", "-f", "json"],
        ["best-trials", "--study-name", "m", "-f", "json", "--flatten"],
    ]
    ours, theirs = [], []
    for args in sequence:
        ours.append(ok(call_cli, *args, "--storage", f"sqlite:///{tmp_path / 'nntune.db'}"))
        theirs.append(optuna_cli(capsys, *args, "--storage", f"sqlite:///{tmp_path / 'optuna.db'}"))

    def shape(text: str, step: list[str]) -> object:
        if not text.strip() or step[0] in ("create-study", "tell"):
            return text.strip()
        doc = yaml.safe_load(text) if "yaml" in step else json.loads(text)

        def keys(obj: object) -> object:  # every key and the type of every leaf, not the values
            if isinstance(obj, dict):
                return {k: keys(v) for k, v in obj.items()}, list(obj)
            if isinstance(obj, list):
                return [keys(v) for v in obj]
            return type(obj).__name__
        return keys(doc)

    for step, mine, optuna_out in zip(sequence, ours, theirs):
        assert shape(mine, step) == shape(optuna_out, step), (step, mine, optuna_out)
    assert json.loads(ours[9])[0]["state"] == "COMPLETE" and list(json.loads(ours[9])[0]) == TRIAL_KEYS


def test_a_sampler_that_fails_after_the_trial_started_leaves_it_failed_not_running(call_cli, url, monkeypatch):
    import nntune
    import nntune.cli_ask

    class Failing:
        seed = 0

        def suggest(self, space, history, *, number, direction="minimize"):
            if number > 0:  # the check before the trial starts draws for number 0 and passes
                raise ConfigError("x", "cannot draw")
            return {}

    ok(call_cli, "create-study", "--storage", url, "--study", "s")
    ask(call_cli, url, "--search-space", json.dumps(X))
    monkeypatch.setattr(nntune.cli_ask, "make_sampler", lambda name, kwargs, seed=None: Failing())
    code, out, err = call_cli("ask", "--storage", url, "--study", "s", "--search-space", json.dumps(X),
                              "--sampler", "failing")
    assert code == 2 and out == "" and err.strip() == "nntune: error: --sampler.x: cannot draw"
    trial = nntune.load_study(study_name="s", storage=url).trials[1]
    assert trial.state.value == "failed" and "cannot draw" in trial.error


def test_best_trials_of_one_objective_print_every_tie_and_best_trial_one(call_cli, url):
    ok(call_cli, "create-study", "--storage", url, "--study-name", "s", "--direction", "maximize")
    for number, value in enumerate(("1", "3", "3", "2")):
        ask(call_cli, url)
        tell(call_cli, url, number, "--values", value)
    ties = json.loads(ok(call_cli, "best-trials", "--storage", url, "--study", "s", "-f", "json"))
    assert [row["number"] for row in ties] == [1, 2]  # as optuna best-trials prints them
    best = json.loads(ok(call_cli, "best-trial", "--storage", url, "--study", "s", "-f", "json"))
    assert best["number"] == 1 and best["value"] == 3.0


def test_a_yaml_search_space_reads_1e_4_as_a_number():
    space = parse_search_space("{wd: {type: choice, values: [1e-5, 1e-4]}}")
    assert space.params["wd"].values == (1e-5, 1e-4)
