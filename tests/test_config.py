"""The configuration file (issue 7, point 5): `kotodoc.toml` or `[tool.kotodoc]` in `pyproject.toml`
for defaults; flags override the environment, which overrides the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kotodoc._cli import app
from kotodoc._config import find_config, load_config

from .conftest import ESPOO

runner = CliRunner()
PLAN = "ESP-2025-0217.integration-plan"


def written(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(PLAN))


def test_file_then_environment_then_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that the file's settings are used, that an environment variable overrides the file,
    and that a flag overrides both; and that the file's relative paths are relative to the file."""
    (tmp_path / "kotodoc.toml").write_text('lang = "sv"\nformat = "docx"\nout = "from-file"\n', encoding="utf-8")
    work = tmp_path / "deeper" / "still"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)  # found from a subdirectory; `out` still relative to the file
    result = runner.invoke(app, ["render", str(ESPOO)])
    assert result.exit_code == 0, result.stderr
    assert written(tmp_path / "from-file") == [f"{PLAN}.sv.docx"]
    result = runner.invoke(app, ["render", str(ESPOO)], env={"KOTODOC_LANG": "fi+en"})
    assert result.exit_code == 0, result.stderr
    assert written(tmp_path / "from-file") == [f"{PLAN}.fi+en.docx", f"{PLAN}.sv.docx"]
    result = runner.invoke(app, ["render", str(ESPOO), "--lang", "en", "-o", str(tmp_path / "flag")],
                           env={"KOTODOC_LANG": "fi", "KOTODOC_OUT": str(tmp_path / "env")})
    assert result.exit_code == 0, result.stderr
    assert written(tmp_path / "flag") == [f"{PLAN}.en.docx"] and not (tmp_path / "env").exists()


def test_pyproject_tool_table_and_explicit_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that `[tool.kotodoc]` in pyproject.toml is found, that a pyproject.toml without it
    is passed over, and that `KOTODOC_CONFIG` names a file explicitly."""
    (tmp_path / "pyproject.toml").write_text('[tool.kotodoc]\nlang = "fi+sv"\nformat = "docx"\nout = "o"\n',
                                             encoding="utf-8")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(inner)
    assert find_config(inner) == tmp_path / "pyproject.toml"
    result = runner.invoke(app, ["render", str(ESPOO)])
    assert result.exit_code == 0, result.stderr
    assert written(tmp_path / "o") == [f"{PLAN}.fi+sv.docx"]
    other = tmp_path / "other.toml"
    other.write_text('lang = "en"\nformat = "docx"\nout = "elsewhere"\n', encoding="utf-8")
    result = runner.invoke(app, ["render", str(ESPOO)], env={"KOTODOC_CONFIG": str(other)})
    assert result.exit_code == 0, result.stderr
    assert written(tmp_path / "elsewhere") == [f"{PLAN}.en.docx"]


def test_templates_and_profile_from_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that `templates` in the file reaches render, so the directory's profile fills in a
    case that gives only its official."""
    city = Path(__file__).resolve().parent.parent / "samples" / "municipality"
    (tmp_path / "kotodoc.toml").write_text(f'templates = "{city}"\nformat = "docx"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["render", str(city / "cases" / "esimerkkila-fi-sv.yaml")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "EKL-2025-0042.integration-plan.fi+sv.docx").is_file()
    result = runner.invoke(app, ["validate", str(city / "cases" / "esimerkkila-fi-sv.yaml")])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(("text", "message"), [
    ('langs = "fi"\n', "unknown setting 'langs'"),
    ("jobs = \"four\"\n", "jobs must be a number"),
    ("lang = [\n", "not valid TOML"),
])
def test_a_bad_file_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                     message: str) -> None:
    """This test ensures that an unknown setting, a wrong type or broken TOML stops every command with exit 2
    and a message naming the file, before anything is written."""
    (tmp_path / "kotodoc.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["render", str(ESPOO), "--format", "docx"])
    assert result.exit_code == 2
    assert message in result.stderr and "kotodoc.toml" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_jobs_is_read_as_a_number(tmp_path: Path) -> None:
    """This test ensures that the batch's `jobs` setting is taken as a number and paths are made absolute."""
    config = tmp_path / "kotodoc.toml"
    config.write_text('jobs = 3\nout = "x"\n', encoding="utf-8")
    assert load_config(config) == {"jobs": 3, "out": str((tmp_path / "x").resolve())}
