"""What the README and the docs show holds: its local-data lines are configs nntune reads, naming every
kind it has; its list of examples is the examples folder; the code of docs/few-trials.md runs."""

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
