"""The ``personalize`` command: ``preview``, ``check`` and ``batch``.

A thin layer over the library (house style 15): usage errors and bad input
data exit 2, refusals and failures exit 1, a broken template library exits 1
with its detailed message, and nothing ever ends in a traceback.  Each
command lives in its own module; this one only assembles the group.
"""

from __future__ import annotations

import click

from .. import __version__

# Imported under other names so that ``personalize.cli.check`` (and the
# others) stay the submodules, not the click commands.
from .batch import batch as _batch
from .check import check as _check
from .preview import preview as _preview

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="personalize")
def main() -> None:
    """Render personalized messages and check them before they go out.

    \b
    Examples:
      personalize preview birthday --customer templates/customers/ada.json
      personalize check templates --examples 200 --seed 1
      personalize batch birthday --customers campaign.jsonl --channel email --out out.jsonl

    Exit codes: 0 ok, 1 refusals or failures found, 2 usage or input errors.
    """


main.add_command(_preview)
main.add_command(_check)
main.add_command(_batch)
