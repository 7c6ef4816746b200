"""What the README and the docs show holds: its default config is the embedded one; its lists of samplers,
schedulers, flags, labs and Python names are the ones there are; its local-data lines are configs nntune
reads, naming every kind it has; its list of examples is the examples folder; the code of
docs/few-trials.md runs."""

import re
from pathlib import Path

import yaml

from nntune.config import parse_config
from nntune.train.datasets import LOCAL

README = Path(__file__).resolve().parent.parent / "README.md"


def local_data_block() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.S)
    return next(b for b in blocks if "kind: csv" in b)


def test_every_local_data_line_of_the_readme_is_a_valid_task():
    lines = [line.strip().lstrip("# ") for line in local_data_block().splitlines() if "kind:" in line]
    kinds = []
    for line in lines:
        data = yaml.safe_load(line.split("#")[0].removeprefix("data:").strip())
        parse_config({"task": {"data": data}})
        kinds.append(data["kind"])
    assert sorted(kinds) == sorted(LOCAL)


def test_the_readme_names_every_shipped_example():
    text = README.read_text()
    start = text.index("`examples/` holds ready configs:")
    listing = text[start:text.index(". The last is", start)]
    examples = README.parent / "examples"
    assert {p.stem for p in examples.glob("*.yaml")} == set(re.findall(r"`([a-z0-9-]+)`", listing))


def test_the_scheduler_options_shown_in_few_trials_md_run():
    """docs/few-trials.md opens with ASHA's, Hyperband's and BOHB's options as code: it runs."""
    page = README.parent / "docs" / "few-trials.md"
    block = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)[0]
    exec(compile(block, str(page), "exec"), {})


def test_the_readme_config_is_the_embedded_default():
    """`nntune tune` without a file runs "the embedded default below": the block is that file."""
    from nntune.config_files import DEFAULT_YAML

    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.S)
    block = next(b for b in blocks if "study: digits-mlp" in b)
    assert yaml.safe_load(block) == yaml.safe_load(DEFAULT_YAML)


def test_the_samplers_and_schedulers_the_readme_lists_are_the_ones_there_are():
    from nntune.samplers import SAMPLERS
    from nntune.schedulers import SCHEDULERS

    text = README.read_text()
    listed = re.search(r"sampler: random +# (.*)\n", text).group(1).split(" | ")
    assert sorted(listed) == sorted(SAMPLERS)
    start = text.index("Early stopping of poor trials (`--scheduler`)")
    named = set(re.findall(r"`([a-z]+)`", text[start:text.index("(learning-curve extrapolation, below)", start)]))
    assert set(SCHEDULERS) - {"none"} <= named


def test_the_flags_the_readme_says_override_the_file_are_options_of_tune():
    from typer.testing import CliRunner

    from nntune.cli import app

    text = README.read_text()
    start = text.index("command-line flags override the file (")
    flags = re.findall(r"`(--[a-z-]+)`", text[start:text.index(")", start)])
    assert len(flags) >= 9
    shown = CliRunner().invoke(app, ["tune", "--help"], env={"COLUMNS": "200"}).output
    assert [f for f in flags if f not in shown] == []


def test_every_python_name_the_readme_gives_in_full_exists():
    import importlib

    names = sorted(set(re.findall(r"\b(nntune(?:\.\w+)+)", " ".join(re.findall(r"`([^`]*)`", README.read_text())))))
    names = [n for n in names if n != "nntune.db"]
    assert "nntune.tune" in names
    for name in names:
        parts = name.split(".")
        obj = importlib.import_module(parts[0])
        for i, part in enumerate(parts[1:], start=2):
            obj = getattr(obj, part, None) or importlib.import_module(".".join(parts[:i]))
        assert obj is not None, name


def test_the_readme_counts_the_labs_there_are():
    from nntune.labs import LABS

    count = re.search(r"the (\d+) lecture experiments", README.read_text()).group(1)
    assert int(count) == len(LABS)


def test_the_rare_class_warning_is_given_where_the_readme_says():
    """"(two classes: under 20%; ten: under 5%)": just under each warns, just over does not."""
    import numpy as np

    from nntune.metric_choice import imbalance_warning

    text = " ".join(README.read_text().split())
    two, ten = map(int, re.search(r"\(two classes: under (\d+)%; ten: under (\d+)%\)", text).groups())
    for n_classes, limit in ((2, two), (10, ten)):
        for share, warns in ((limit - 1, True), (limit + 1, False)):
            rare = int(share * 10)  # of 1,000 labels
            y = np.concatenate([np.zeros(rare), np.arange(1, n_classes).repeat((1000 - rare) // (n_classes - 1) + 1)])
            assert (imbalance_warning("accuracy", y[:1000], n_classes) is not None) is warns, (n_classes, share)
    suggested = text[text.index("warns (the rare-disease argument) and suggests"):text.index("is a metric too")]
    assert "`specificity` or" not in suggested


def test_the_readme_lists_every_hyperparameter_a_trial_set_may_change():
    """"Changeable: `lr` and its schedule (...), ...": each name outside the schedule's is listed."""
    from nntune.changes import CHANGEABLE

    text = README.read_text()
    start = text.index("Changeable: ")
    listed = set(re.findall(r"`(\w+)`", text[start:text.index("Structural ones", start)]))
    schedule = {n for n in CHANGEABLE if n.startswith(("lr_", "warmup_"))}
    assert sorted(CHANGEABLE - schedule - listed) == []
    assert listed <= CHANGEABLE


def test_the_population_bound_the_docs_give_is_the_one_auto_uses():
    from nntune.builtin_stack import AUTO_LIMIT

    for page in (README, README.parent / "docs" / "architecture.md"):
        text = " ".join(page.read_text().split())
        cuda, cpu = map(int, re.search(r"at most (\d+) members on CUDA, (\d+) on a CPU", text).groups())
        assert {"cuda": cuda, "cpu": cpu} == AUTO_LIMIT, page.name


def test_the_default_sampler_the_readme_gives_for_several_objectives_is_the_one_create_study_makes():
    """"`TPESampler` on the non-dominated sorting without stopping for several (Optuna:
    `TPESampler` too, ...)": nntune's and Optuna's create_study(directions=[...]) both give it."""
    import optuna

    import nntune
    from nntune.schedulers import NoScheduler

    text = " ".join(README.read_text().split())
    ours, theirs = re.search(r"`(\w+)` on the non-dominated sorting without stopping for several "
                             r"\(Optuna: `(\w+)`", text).groups()
    study = nntune.create_study(directions=["maximize", "minimize"])
    assert type(study.sampler).__name__ == ours
    assert isinstance(study.pruner, NoScheduler)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    assert type(optuna.create_study(directions=["maximize", "minimize"]).sampler).__name__ == theirs


def test_every_config_the_readme_shows_is_read_and_names_its_own_study(own_module):
    """Each YAML block is a config nntune reads (the own-model one beside the README's
    mynets.py), and each but the embedded default names its own study: one without a name is
    the quick start's digits-mlp, which refuses another task."""
    from nntune.config import Config

    text = README.read_text()
    source = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if b.startswith("# mynets.py"))
    own_module("mynets", source)
    studies = []
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
        studies.append(parse_config(yaml.safe_load(block)).study)
    default = Config().study
    assert studies.count(default) == 1 and len(set(studies)) == len(studies), studies


def test_the_journal_url_the_readme_calls_relative_is_relative_to_the_working_folder(tmp_path, monkeypatch):
    from nntune.storage import get_storage

    text = " ".join(README.read_text().split())
    absolute = re.search(r"`--storage (journal:///[\w/.]+)` \(unlike `sqlite:///`", text).group(1)
    relative = re.search(r"`(journal://[\w.]+)` is relative to where `nntune` runs", text).group(1)
    assert absolute.startswith("journal:///") and not relative.startswith("journal:///")
    monkeypatch.chdir(tmp_path)
    get_storage(relative).create_study("s", "maximize")
    assert (tmp_path / relative.removeprefix("journal://")).is_file()
    get_storage(f"journal://{tmp_path / 'abs.log'}").create_study("s", "maximize")
    assert (tmp_path / "abs.log").is_file()


def _nntune_invocations(text: str) -> list[list[str]]:
    """The words after ``nntune`` in each command the page shows: its code spans and the lines
    of its bash blocks (up to a pipe, a comment or another program's ``$(...)``)."""
    spans = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    lines = [line for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S) for line in block.splitlines()]
    found = re.compile(r"""(?<![\w./'-])(?<!import )nntune((?:\s+(?![#"]?\$\()[^\s|;&)#]+)+)""")
    return [m.group(1).split() for chunk in spans + lines for m in found.finditer(chunk)]


def test_every_nntune_command_the_docs_show_exists_with_the_options_they_give_it():
    """`nntune CMD [SUB] ... --flag` in the README, docs/few-trials.md and the examples: CMD is
    a command and each flag one of its options (Optuna's global --storage may come first)."""
    import typer.main

    from nntune.cli import app

    root = typer.main.get_command(app)

    def options(command) -> set[str]:
        return {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}

    pages = [README, README.parent / "docs" / "few-trials.md", *sorted((README.parent / "examples").iterdir())]
    seen, wrong = 0, []
    for page in pages:
        for words in _nntune_invocations(page.read_text()):
            i = 0
            while i < len(words) and words[i].startswith("-"):  # nntune --storage URL trials ...
                i += 2 if words[i] in ("--storage", "--storage-class") else 1
            if i == len(words) or not re.fullmatch(r"[a-z][a-z-]*", words[i]):
                continue  # `nntune` beside a file name or a value, not a command
            command = root.commands.get(words[i])
            if command is None:
                wrong.append(f"{page.name}: nntune {words[i]}")
                continue
            i += 1
            sub = getattr(command, "commands", {})
            if sub and (i == len(words) or words[i] not in sub):
                wrong.append(f"{page.name}: nntune {' '.join(words[:i + 1])}: no such sub-command")
                continue
            if sub:
                command, i = sub[words[i]], i + 1
            seen += 1
            for word in words[i:]:
                flag = re.match(r"\[?(--?[A-Za-z][\w-]*)", word)
                if flag and flag.group(1) not in options(command):
                    wrong.append(f"{page.name}: nntune {' '.join(words)}: {flag.group(1)}")
    assert seen > 60 and wrong == []


def test_every_extra_the_readme_installs_is_one_nntune_has():
    import tomllib

    extras = tomllib.loads((README.parent / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    named = set(re.findall(r"nntune\[(\w+)\]", README.read_text()))
    assert len(named) >= 8 and sorted(named - set(extras)) == []


def test_the_quick_start_says_how_the_bare_nntune_of_the_page_is_found():
    """The page writes `nntune show ...`; the set-up leaves the command in .venv/bin only, so
    the quick start names the activation that puts it on the PATH, and ./dev runs it there."""
    text = " ".join(README.read_text().split())
    quick = text[text.index("## Quick start"):text.index("## Tuning from a config")]
    dev = (README.parent / "dev").read_text()
    assert "venv=.venv" in dev and 'python3 -m venv "$venv"' in dev
    assert "`source .venv/bin/activate`" in quick and "`./dev nntune ...`" in quick
    assert text.index("`source .venv/bin/activate`") < text.index("`nntune show")


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation but - and _ dropped,
    spaces as hyphens."""
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.*)$", markdown, flags=re.M)}


def test_every_link_of_the_readme_and_few_trials_md_reaches_its_file_and_heading():
    """docs/benchmarks.md's headings change as its runs are added: a link to one renamed lands
    at the top of that long page."""
    links = 0
    for page in (README, README.parent / "docs" / "few-trials.md"):
        for target, anchor in re.findall(r"\]\(([\w./-]*?)(?:#([\w-]+))?\)", page.read_text()):
            if target.startswith("http"):
                continue
            linked = page.parent / target if target else page
            assert linked.is_file(), f"{page.name}: {target}"
            assert not anchor or anchor in _anchors(linked.read_text()), f"{page.name}: {target}#{anchor}"
            links += 1
    assert links >= 10
