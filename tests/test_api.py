"""The library API as a case system uses it: paths as str or Path, cases in memory, documents as bytes.

Only `import kotodoc` is used here.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from ruamel.yaml import YAML

import kotodoc

ROOT = Path(__file__).resolve().parent.parent
VAASA = ROOT / "samples" / "vaasa-employment-sv.yaml"
ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory of the test's own, so that leftovers can be counted."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def as_json_mapping(path: Path) -> dict[str, object]:
    """A case as a case system would hold it: parsed, then through JSON (dates become ISO strings)."""
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    result: dict[str, object] = json.loads(json.dumps(data, default=str))
    return result


def test_paths_may_be_str_or_path(tmp_path: Path) -> None:
    """This test ensures that render, validate and batch take str and Path alike (issue 16: a str
    output folder crashed with AttributeError)."""
    [checked] = kotodoc.validate([str(VAASA)])
    assert checked.status == "valid"
    [rendered] = kotodoc.render([str(VAASA)], str(tmp_path / "a"), formats=["docx"])
    assert rendered.status == "done" and rendered.outputs[0].parent == tmp_path / "a"
    result = kotodoc.batch([str(VAASA)], str(tmp_path / "b"), formats=["docx"], jobs=1)
    assert result.count("done") == 1


def test_a_mapping_renders_to_the_same_bytes_as_its_file(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that a case given as a mapping (through JSON, dates as strings) or as YAML text
    gives the same DOCX bytes as its file through `render`, and leaves nothing on disk."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")
    from_mapping = kotodoc.render_case(as_json_mapping(VAASA), formats=["docx"])
    from_text = kotodoc.render_case(VAASA.read_text(encoding="utf-8"), formats=["docx"])
    [from_file] = kotodoc.render([VAASA], tmp_path / "file", formats=["docx"])
    name = "VAS-TYO-2025-0088.integration-plan.sv.docx"
    assert from_mapping.status == from_text.status == "done"
    assert list(from_mapping.documents) == [name]
    assert from_mapping.documents[name] == from_text.documents[name] == from_file.outputs[0].read_bytes()
    text = "\n".join(p.text for p in Document(io.BytesIO(from_mapping.documents[name])).paragraphs)
    assert "Integrationsplan" in text
    assert list(private_tmp.iterdir()) == []


@pytest.mark.soffice
def test_render_case_returns_pdf_bytes(private_tmp: Path) -> None:
    """This test ensures that a case in memory comes back as PDF/A bytes, its notice included, and that
    no file of it is left in the temporary directory."""
    result = kotodoc.render_case(ESPOO.read_text(encoding="utf-8"), formats=["pdf"])
    assert result.status == "done", result.failures
    assert sorted(result.documents) == ["ESP-2025-0217.integration-plan.fi.pdf",
                                        "ESP-2025-0217.no-show-notice.2025-06-11.fi.pdf"]
    pdf = PdfReader(io.BytesIO(result.documents["ESP-2025-0217.integration-plan.fi.pdf"]))
    assert "Kotoutumissuunnitelma" in (pdf.metadata.title or "")
    assert list(private_tmp.iterdir()) == []


def test_an_invalid_case_in_memory_names_itself_and_writes_nothing(private_tmp: Path) -> None:
    """This test ensures that findings about a case in memory carry the name the caller gave, not a
    temporary path, and that an invalid case gives no documents."""
    case = as_json_mapping(VAASA)
    case["case_id"] = "bad id with spaces"
    result = kotodoc.render_case(case, name="system:4711", formats=["docx"])
    assert result.status == "invalid" and result.documents == {}
    assert [f.file for f in result.errors] == ["system:4711"]
    assert result.errors[0].path == "case_id" and result.errors[0].line is not None
    checked = kotodoc.validate_case(case, name="system:4711")
    assert checked.status == "invalid" and str(checked.file) == "system:4711"
    assert all(str(f).startswith("system:4711:") for f in checked.findings)
    assert list(private_tmp.iterdir()) == []
