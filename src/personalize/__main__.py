"""``python -m personalize`` runs the CLI."""

from .cli import main

main()
