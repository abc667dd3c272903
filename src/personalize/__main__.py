"""``python -m personalize`` runs the same CLI as the ``personalize`` command."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="personalize")
