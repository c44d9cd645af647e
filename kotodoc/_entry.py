"""The `kotodoc` script's entry point: answers `--version` before the command line is built.

Importing typer (and click) takes about 0.2 s, more than the rest of a `--version` start; a
pipeline that asks for the version (to key a cache, to log it) should not pay for it. Every
other command line goes to `kotodoc._cli`, which handles `--version` too (after other options).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `kotodoc` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        from kotodoc._version import __version__

        print(f"kotodoc {__version__}")
        return
    # Starting kotodoc is mostly importing; the garbage collector would go through everything
    # imported, again and again, for no garbage. kotodoc._cli resumes it as the command's work begins.
    gc.disable()
    from kotodoc._cli import main as cli_main

    cli_main(args, collector_paused=True)
