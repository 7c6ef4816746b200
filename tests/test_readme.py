"""The README's examples of local data are configs nntune reads, naming every kind it has."""

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
