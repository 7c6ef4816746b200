"""A reading command given a folder for its journal says so, not that there is no file."""


def test_a_folder_given_as_the_journal_of_a_reading_command_is_named_a_folder(call_cli, tmp_path):
    code, out, err = call_cli("studies", "--storage", f"journal://{tmp_path}")
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"nntune: error: storage: {tmp_path} is a folder; a journal is a file"
