"""``python -m nntune``: the ``nntune`` command, for an environment whose scripts folder is
not on the PATH (a virtual environment not activated, ``pipx run``, a cluster's module)."""

from nntune.cli import main

if __name__ == "__main__":
    main()
