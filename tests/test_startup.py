"""How `kotodoc validate` starts: what it does not import, and that what it shows is the same for it.

`kotodoc validate FILE` is run as a user runs it (a subprocess, `python -m kotodoc`), and the
modules it imported are listed as it exits. Its start is mostly importing typer
and pydantic; these tests keep out what it has no use for.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .conftest import ESPOO, ROOT

TAMPERE = ROOT / "samples" / "tampere-2024-fi.yaml"  # valid, with two FEE warnings
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# `python -m kotodoc ARGS`, writing as it exits the modules it imported (`-X importtime` does not
# list those imported with importlib, as kotodoc's lazy packages are) and how many times the garbage
# collector ran while kotodoc was starting: once typer was imported, before the check step was.
RUN = ("import atexit, gc, json, runpy, sys\n"
       "listing = sys.argv.pop(1)\n"
       "starting = []\n"
       "def seen(phase, info):\n"
       "    if phase == 'start' and 'typer' in sys.modules and 'kotodoc.run._check' not in sys.modules:\n"
       "        starting.append(info['generation'])\n"
       "gc.callbacks.append(seen)\n"
       "atexit.register(lambda: open(listing, 'w').write(json.dumps({'modules': sorted(sys.modules),\n"
       "    'starting': len(starting), 'collecting': gc.isenabled()})))\n"
       "sys.argv[0] = 'kotodoc'\n"
       "runpy.run_module('kotodoc', run_name='__main__', alter_sys=True)\n")


def started(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """Run `python -m kotodoc ARGS` with stderr a pipe: its exit code, what RUN noted and what it wrote
    on stderr."""
    listing = Path(tempfile.mkstemp(suffix=".json")[1])
    try:
        done = subprocess.run([sys.executable, "-c", RUN, str(listing), *args], capture_output=True,
                              stdin=subprocess.DEVNULL, text=True, timeout=120, check=False,
                              env={**os.environ, **(env or {})})
        return done.returncode, json.loads(listing.read_text(encoding="utf-8")), done.stderr
    finally:
        listing.unlink()


def kotodoc(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str], str]:
    """Run `python -m kotodoc ARGS` with stderr a pipe: its exit code, the modules it imported and what
    it wrote on stderr."""
    code, noted, shown = started(*args, env=env)
    return code, noted["modules"], shown


def test_validate_imports_neither_rich_nor_typers_validators() -> None:
    """This test ensures that `kotodoc validate FILE` writing to a file or a pipe does not import rich's
    console (its output has no colour there: about 20 ms) and that typer makes no pydantic validator for
    options that were not given (eleven TypeAdapters, about 15 ms)."""
    code, imported, shown = kotodoc("validate", str(ESPOO))
    assert code == 0, shown
    assert shown == "1 of 1 case(s) valid\n"
    assert "kotodoc.model._cases" in imported  # the list is whole
    assert [m for m in imported if m.startswith("rich") or m == "typer._adapters"] == []


def test_the_garbage_collector_waits_until_kotodoc_has_started() -> None:
    """This test ensures that the garbage collector does not go through what typer, pydantic and the
    case model create as they are imported (none of it garbage; about 8 % of a `kotodoc validate`),
    and that it runs again once the command works: for validate, and for a command line that ends early."""
    for args in (["validate", str(ESPOO)], ["validate", "-h"], ["validate"]):
        _, noted, shown = started(*args)
        assert noted["starting"] == 0 and noted["collecting"], (args, noted["starting"], shown)


def test_what_validate_shows_is_the_same_with_or_without_rich(tmp_path: Path) -> None:
    """This test ensures that what `validate` writes without rich (stderr not a terminal) is, letter for
    letter, what rich writes on a terminal once its colours are taken out: findings (errors in red,
    warnings in yellow), a message quoting `[...]` and a backslash, the summary, and `error:` lines, in
    English and Finnish; and that a terminal still gets rich's colours."""
    bad = tmp_path / "bad [red] x\\.yaml"  # a name with markup and a backslash, quoted in every finding
    text = TAMPERE.read_text(encoding="utf-8")
    bad.write_text(text.replace("case_id:", "case_id: '[x]\\'\ncase_idd:", 1), encoding="utf-8")
    runs = [("validate", str(TAMPERE), str(bad)), ("--ui-lang", "fi", "validate", str(TAMPERE), str(bad)),
            ("validate", "-", str(TAMPERE)), ("--ui-lang", "fi", "validate", str(tmp_path / "missing.yaml"))]
    for args in runs:
        code, imported, plain = kotodoc(*args)
        colour_code, colour_imported, coloured = kotodoc(*args, env={"TTY_COMPATIBLE": "1"})
        assert code == colour_code and code in (1, 2), plain
        assert not any(m.startswith("rich") for m in imported)
        assert "rich.console" in colour_imported and ANSI.search(coloured), coloured
        assert ANSI.sub("", coloured) == plain
    assert "case_idd" in plain or "missing.yaml" in plain
    _, _, english = kotodoc("validate", str(TAMPERE), str(bad))
    assert "warning: FEE-" in english and "1 of 2 case(s) valid" in english
    assert "bad [red] x\\.yaml:" in english, english
    _, _, usage = kotodoc("validate", "-", str(TAMPERE))
    assert usage.startswith("error: - reads one case from standard input"), usage


def test_the_case_format_is_validated_without_pydantic_plugins(tmp_path: Path) -> None:
    """This test ensures that no pydantic plugin sees a case: an installed plugin (an entry point in the
    `pydantic` group) would be given every value validated, names and identity codes included. Neither
    `kotodoc validate` nor the library's `validate` loads one (nor, so, looks for one at every start)."""
    site = tmp_path / "site"
    info = site / "kotodoc_spy-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kotodoc-spy\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[pydantic]\nspy = kotodoc_spy:plugin\n", encoding="utf-8")
    seen = tmp_path / "seen.txt"
    (site / "kotodoc_spy.py").write_text(
        "import os\n"
        "class _Spy:\n"
        "    def new_schema_validator(self, schema, schema_type, path, kind, config, settings):\n"
        "        with open(os.environ['KOTODOC_SPY'], 'a') as fh:\n"
        "            fh.write(f'{path.module}.{path.name}\\n')\n"
        "        return None, None, None\n"
        "plugin = _Spy()\n", encoding="utf-8")
    env = {"PYTHONPATH": str(site), "KOTODOC_SPY": str(seen)}
    check = ("import sys; from pydantic import BaseModel\n"  # the spy works: it sees a model of its own
             "class Probe(BaseModel):\n    x: int\nProbe(x=1)\n")
    subprocess.run([sys.executable, "-c", check], env={**os.environ, **env}, check=True, timeout=60)
    assert seen.read_text(encoding="utf-8") == "__main__.Probe\n"
    seen.unlink()
    code, _, shown = kotodoc("validate", str(ESPOO), str(TAMPERE), env=env)
    assert code == 0, shown
    library = f"import kotodoc\nassert kotodoc.validate([{str(ESPOO)!r}])[0].status == 'valid'\n"
    subprocess.run([sys.executable, "-c", library], env={**os.environ, **env}, check=True, timeout=60)
    assert not seen.exists() or "kotodoc" not in seen.read_text(encoding="utf-8"), seen.read_text(encoding="utf-8")
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ


COMMAND_LINES = [
    *([command, "-h"] for command in ("render", "validate", "batch", "claim", "schema", "new", "config", "serve")),
    ["validate"], ["--ui-lang", "fi", "validate"], ["validate", "--nope", str(TAMPERE)],
    ["-q", "validate", str(TAMPERE)],
    ["--ui-lang=sv", "-v", "validate", str(TAMPERE)], ["--config", "missing.toml", "validate", str(TAMPERE)],
    ["render", str(TAMPERE), "--format", "PDF"], ["batch", str(TAMPERE), "--jobs", "0"], ["new", "plan"],
    ["schema", "--for", "nothing"], ["claim", str(TAMPERE)], ["--ui-lang", "xx", "validate", str(TAMPERE)],
    ["valid", str(TAMPERE)], ["-h"], ["templates", "-h"], ["--version"], [],
]


def test_a_command_says_the_same_built_alone(tmp_path: Path) -> None:
    """This test ensures that `kotodoc COMMAND ...`, for which only the command named is built (typer builds
    every command's options before parsing: about 25 ms), says and exits exactly as the whole command line
    does: help, usage errors, option errors, root options before the command, in three languages."""
    whole = "import sys\nfrom kotodoc._cli import app\napp(args=sys.argv[1:], prog_name='kotodoc')\n"
    built = tmp_path / "built.txt"  # the commands typer built, one a line
    counted = ("import runpy, sys, typer.main\n"
               "make = typer.main.get_command_from_info\n"
               "def counted(**kw):\n"
               "    open(BUILT, 'a').write(f'{kw[\"command_info\"].name}\\n')\n"
               "    return make(**kw)\n"
               "typer.main.get_command_from_info = counted\n"
               "runpy.run_module('kotodoc', run_name='__main__', alter_sys=True)\n").replace("BUILT", repr(str(built)))
    for args in COMMAND_LINES:
        built.write_text("", encoding="utf-8")
        alone = subprocess.run([sys.executable, "-c", counted, *args], capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=120, check=False, cwd=tmp_path)
        names = built.read_text(encoding="utf-8").split()
        named = args[args.index("validate")] if "validate" in args else args[0] if args else None
        if named in ("render", "validate", "batch", "claim", "schema", "new", "config", "serve"):
            assert names == [named], (args, names)
        elif args == ["--version"]:  # answered before typer is imported
            assert names == []
        else:
            assert {"render", "validate", "serve", "check"} <= set(names), (args, names)  # all, `templates check` too
        full = subprocess.run([sys.executable, "-c", whole, *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=120, check=False, cwd=tmp_path)
        said = [(done.returncode, done.stdout, re.sub(r"\d+\.\d+ s\b", "T s", done.stderr)) for done in (alone, full)]
        assert said[0] == said[1], args
