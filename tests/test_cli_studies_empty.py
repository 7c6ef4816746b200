"""``nntune studies`` on a storage that holds no study says so, where it printed a table
of headers alone."""

from __future__ import annotations

import json

import nntune


def test_a_storage_without_studies_says_so_and_how_one_is_made(call_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    nntune.create_study(study_name="gone", storage=url)
    nntune.delete_study(study_name="gone", storage=url)
    code, out, err = call_cli("studies", "--storage", url)
    assert (code, out, err) == (0, f"no studies in {url} yet (nntune tune or nntune create-study makes one)\n", "")
    code, out, _ = call_cli("studies", "--storage", url, "--json")  # a script's answer is unchanged
    assert code == 0 and json.loads(out) == {"storage": url, "studies": []}
