"""Optional PDF encryption (issue 6, point 4): AES-256 with pypdf, the password from a file or the
environment, never the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app

from .conftest import ESPOO, VAASA, norm, read_case

PASSWORD_ENV = "KOTODOC_PDF_PASSWORD"  # documented in the README

PASSWORD = "Kotoutuminen-2025!"
runner = CliRunner()


def check_encrypted(pdf: Path, password: str, names: list[str]) -> None:
    """The PDF is AES-256 encrypted (V5 R6), opens with the password only, and then reads as the case."""
    reader = PdfReader(pdf)
    assert reader.is_encrypted
    encrypt = reader.trailer["/Encrypt"]
    assert (encrypt["/V"], encrypt["/R"]) == (5, 6)  # AES-256
    assert not PdfReader(pdf).decrypt("wrong password")
    assert reader.decrypt(password)
    text = norm(" ".join(page.extract_text() or "" for page in reader.pages))
    for name in names:
        assert name in text
    assert reader.metadata is not None and reader.metadata.title


@pytest.mark.soffice
def test_render_encrypts_every_pdf_with_the_password_from_a_file(tmp_path: Path) -> None:
    """This test ensures that `kotodoc render --encrypt --password-file F` writes AES-256 PDFs that open with
    that password only and hold the case, and that the password is never printed."""
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(tmp_path / "out"), "--format", "pdf",
                                 "--encrypt", "--password-file", str(secret), "--json"])
    assert result.exit_code == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert [p.name for p in pdfs] == ["ESP-2025-0217.integration-plan.fi.pdf",
                                      "ESP-2025-0217.no-show-notice.2025-06-11.fi.pdf"]
    case = read_case(ESPOO)
    for pdf in pdfs:
        check_encrypted(pdf, PASSWORD, [case.person.family_name])  # type: ignore[union-attr]
    assert not list((tmp_path / "out").glob("*.docx"))


@pytest.mark.soffice
def test_batch_encrypts_with_the_password_from_the_environment(tmp_path: Path) -> None:
    """This test ensures that `kotodoc batch --encrypt` takes the password from $KOTODOC_PDF_PASSWORD, encrypts
    every PDF, keeps it out of the report, and that a rerun reuses the encrypted outputs."""
    command = [sys.executable, "-m", "kotodoc", "batch", str(VAASA), str(ESPOO), "-o", str(tmp_path / "out"),
               "--format", "pdf", "--encrypt", "--json", "--jobs", "2"]
    env = {**os.environ, PASSWORD_ENV: PASSWORD}
    first = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert PASSWORD not in first.stdout + first.stderr
    report = json.loads(first.stdout)
    assert report["summary"]["done"] == 2
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert len(pdfs) == 3
    for pdf in pdfs:
        check_encrypted(pdf, PASSWORD, [])
    assert PASSWORD not in (tmp_path / "out" / ".kotodoc-manifest.jsonl").read_text(encoding="utf-8")
    again = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and json.loads(again.stdout)["summary"]["reused"] == 2


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--encrypt", "--format", "pdf"], {}, "--encrypt needs a password"),
    (["--encrypt", "--format", "both"], {PASSWORD_ENV: PASSWORD}, "encryption needs --format pdf"),
    (["--password-file", "x"], {}, "--password-file is used with --encrypt"),
    (["--encrypt", "--format", "pdf", "--password-file", "/nonexistent/pw"], {}, "cannot read the password file"),
    (["--encrypt", "--format", "pdf", "--password", PASSWORD], {}, "No such option: --password"),
])
def test_encryption_usage_errors(tmp_path: Path, args: list[str], env: dict[str, str], message: str) -> None:
    """This test ensures that encryption without a password, beside a DOCX, or with the password on the
    command line is refused with exit 2 before anything is written."""
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(tmp_path / "out"), *args], env=env)
    assert result.exit_code == 2
    assert message in norm(result.stderr + result.stdout)
    assert not (tmp_path / "out").exists()


def test_bundle_and_encryption_are_refused_together(tmp_path: Path) -> None:
    """This test ensures that a batch does not write an unencrypted bundle of encrypted documents."""
    with pytest.raises(kotodoc.errors.UsageError, match="--bundle and --encrypt"):
        kotodoc.batch([ESPOO], tmp_path / "out", formats=("pdf",), password=PASSWORD, bundle=tmp_path / "b.pdf")
