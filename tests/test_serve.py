"""kotodoc serve: every endpoint and every refusal, through FastAPI's test client, and the lanes.

The app is the real one (`kotodoc.serve.create_app`), with the real runner, templates and (for the
tests marked soffice) real warm LibreOffice lanes. Tests without LibreOffice render DOCX only,
with `warm=False`: no lane is started.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app as cli
from kotodoc.serve import ServeConfig, create_app

ROOT = Path(__file__).resolve().parent.parent
HELSINKI = ROOT / "samples" / "helsinki-later-plan-fi.yaml"  # a plan with two warnings
ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"  # a plan and a no-show fee notice
CLAIMANT = ROOT / "samples" / "claims" / "claimant-espoo.yaml"
YAML = {"Content-Type": "application/yaml"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def bad_case() -> str:
    """The Helsinki plan with a mistyped identity code: invalid, with a located error."""
    return HELSINKI.read_text(encoding="utf-8").replace("220785-562W", "220785-562X")


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The app without LibreOffice lanes (DOCX renders and everything else)."""
    with TestClient(create_app(ServeConfig(warm=False))) as c:
        yield c


def findings_header(response: httpx.Response) -> dict[str, Any]:
    """The findings of X-Kotodoc-Findings: base64url of compact JSON."""
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(response.headers["x-kotodoc-findings"]))
    return decoded


# -- validate -------------------------------------------------------------------------------------


def test_validate_gives_the_entry_of_validate_json(client: TestClient, tmp_path: Path) -> None:
    """This test ensures that /v1/validate answers a case with the entry `kotodoc validate --json`
    gives for it: status, errors and warnings with rule, path, line, column and message."""
    response = client.post("/v1/validate", content=HELSINKI.read_bytes(), headers=YAML)
    assert response.status_code == 200
    got = response.json()
    result = CliRunner().invoke(cli, ["validate", str(HELSINKI), "--json"])
    [expected] = json.loads(result.stdout)
    for entry in (got, expected):
        entry.pop("seconds")
        entry.pop("file")
        for finding in entry["warnings"]:
            finding.pop("file")
    assert got == expected
    assert got["status"] == "valid" and [w["rule"] for w in got["warnings"]] == ["FEE-SCOPE", "FEE-REASON"]
    assert got["warnings"][0]["line"] == 130


def test_validate_an_invalid_case_is_200_with_located_errors_and_no_personal_data(client: TestClient) -> None:
    """This test ensures that an invalid case is a valid request (200, status invalid) whose error
    is located, and that neither the identity code nor the person's name is in the answer."""
    response = client.post("/v1/validate?ui_lang=sv", content=bad_case().encode(), headers=YAML)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "invalid"
    [error] = body["errors"]
    assert error["path"] == "person.personal_id" and error["line"] == 29 and error["column"] == 16
    assert "562X" not in response.text and "Warsame" not in response.text


@pytest.mark.parametrize("ui_lang", ["fi", "sv", "en"])
def test_validate_speaks_the_officials_language(client: TestClient, ui_lang: str) -> None:
    """This test ensures that /v1/validate gives the findings' messages in `ui_lang`, the same words
    as `kotodoc --ui-lang L validate --json`, with the same codes, and names the language in
    Content-Language (the page marks the messages' language by it)."""
    response = client.post(f"/v1/validate?ui_lang={ui_lang}", content=bad_case().encode(), headers=YAML)
    assert response.status_code == 200 and response.headers["content-language"] == ui_lang
    [error] = response.json()["errors"]
    with tempfile.TemporaryDirectory() as folder:
        case = Path(folder) / "case.yaml"
        case.write_text(bad_case(), encoding="utf-8")
        result = CliRunner().invoke(cli, ["--ui-lang", ui_lang, "validate", str(case), "--json"])
    [expected] = json.loads(result.stdout)["errors"] if isinstance(json.loads(result.stdout), dict) \
        else json.loads(result.stdout)[0]["errors"]
    assert (error["code"], error["message"]) == (expected["code"], expected["message"])
    english = client.post("/v1/validate", content=bad_case().encode(), headers=YAML).json()["errors"][0]
    assert (error["message"] == english["message"]) == (ui_lang == "en")


def test_validate_takes_json(client: TestClient) -> None:
    """This test ensures that a case sent as JSON is checked like its YAML (JSON is YAML)."""
    from ruamel.yaml import YAML as Reader

    data = Reader(typ="safe").load(HELSINKI.read_text(encoding="utf-8"))
    text = json.dumps(data, default=str, ensure_ascii=False, indent=1)
    response = client.post("/v1/validate", content=text.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["status"] == "valid"


@pytest.mark.parametrize(("body", "headers", "status", "code"), [
    (b"x" * 2_000, YAML, 413, "too-large"),
    (b"\xff\xfe\x00k\x00o", YAML, 400, "not-text"),
    (b"kotodoc: 1\x00", YAML, 400, "not-text"),
    (b"  \n", YAML, 400, "empty"),
    (b"kotodoc: 1", {"Content-Type": "application/pdf"}, 415, "unsupported-media-type"),
])
def test_validate_refuses_what_is_not_a_case(body: bytes, headers: dict[str, str], status: int, code: str) -> None:
    """This test ensures that a body too large (413), not UTF-8 text (400) or of another media type
    (415) is refused with a JSON error and a stable code, before anything reads it as a case."""
    with TestClient(create_app(ServeConfig(warm=False, max_body=1_000))) as c:
        response = c.post("/v1/validate", content=body, headers=headers)
        assert response.status_code == status
        assert response.json()["code"] == code and response.json()["message"]


def test_a_body_sent_in_chunks_is_limited_too() -> None:
    """This test ensures that the size limit holds for a body without Content-Length (chunked)."""
    with TestClient(create_app(ServeConfig(warm=False, max_body=1_000))) as c:
        response = c.post("/v1/validate", content=iter([b"a: 1\n" * 150, b"b: 2\n" * 150]), headers=YAML)
        assert response.status_code == 413 and response.json()["code"] == "too-large"


# -- render (DOCX: no LibreOffice) ------------------------------------------------------------------


def test_render_docx_gives_the_document_with_its_findings_in_a_header(client: TestClient) -> None:
    """This test ensures that /v1/render?format=docx answers one document as itself, named by its
    case id (no personal data), with the findings as base64url JSON in X-Kotodoc-Findings."""
    response = client.post("/v1/render?format=docx", content=HELSINKI.read_bytes(), headers=YAML)
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX
    assert response.headers["content-disposition"] == \
        'attachment; filename="HEL-2025-1108.integration-plan.fi.docx"'
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("word/document.xml").count(b"Warsame") >= 1
    findings = findings_header(response)
    assert findings["status"] == "done"
    assert [w["rule"] for w in findings["warnings"]] == ["FEE-SCOPE", "FEE-REASON"]


def test_render_gives_a_zip_when_a_case_gives_several_documents(client: TestClient) -> None:
    """This test ensures that a plan with a no-show fee notice comes back as a ZIP of both
    documents and findings.json."""
    response = client.post("/v1/render?format=docx", content=ESPOO.read_bytes(), headers=YAML)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["ESP-2025-0217.integration-plan.fi.docx", "ESP-2025-0217.no-show-notice.2025-06-11.fi.docx",
                     "findings.json"]
    inside = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("findings.json"))
    assert inside == findings_header(response)


def test_render_an_invalid_case_is_422_with_the_findings(client: TestClient) -> None:
    """This test ensures that an invalid case is not rendered: 422 and its located findings."""
    response = client.post("/v1/render?format=docx", content=bad_case().encode(), headers=YAML)
    assert response.status_code == 422
    assert response.json()["status"] == "invalid" and response.json()["errors"][0]["line"] == 29


def test_render_with_a_bad_language_is_400(client: TestClient) -> None:
    """This test ensures that an unknown document language is a refused request, with its code."""
    response = client.post("/v1/render?format=docx&lang=de", content=HELSINKI.read_bytes(), headers=YAML)
    assert response.status_code == 400 and response.json()["code"] == "bad-request"


def test_a_bad_query_parameter_is_400_in_the_service_s_error_shape(client: TestClient) -> None:
    """This test ensures that a query parameter out of its list is 400 {code, message} naming the
    parameter, not FastAPI's 422 (which means an invalid case here), and not echoing the value."""
    response = client.post("/v1/render?format=220785-562W", content=HELSINKI.read_bytes(), headers=YAML)
    assert response.status_code == 400 and response.json()["code"] == "bad-request"
    assert response.json()["message"].startswith("format: ") and "220785" not in response.text
    assert client.get("/v1/skeleton").status_code == 400  # kind is required


def test_render_in_another_language(client: TestClient) -> None:
    """This test ensures that `lang` replaces the case's languages (fi,sv: two documents)."""
    response = client.post("/v1/render?format=docx&lang=fi,sv", content=HELSINKI.read_bytes(), headers=YAML)
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["HEL-2025-1108.integration-plan.fi.docx", "HEL-2025-1108.integration-plan.sv.docx",
                     "findings.json"]


def test_each_request_works_in_a_private_folder_that_is_gone_when_it_is_answered(
        client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that a render and a claim leave nothing behind in the temporary folder
    (each request's own directory is removed before the answer), and a validation writes nothing."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[list[Path]] = []
    original = Path.replace

    def spy(self: Path, target: Any) -> Path:
        seen.append(list(tmp_path.rglob("*")))  # each file written into place: the request's folder exists
        return original(self, target)

    monkeypatch.setattr(Path, "replace", spy)
    assert client.post("/v1/validate", content=HELSINKI.read_bytes(), headers=YAML).status_code == 200
    assert list(tmp_path.iterdir()) == []
    assert client.post("/v1/render?format=docx", content=ESPOO.read_bytes(), headers=YAML).status_code == 200
    assert client.post("/v1/claims", json=claim_body(format="docx")).status_code == 200
    assert list(tmp_path.iterdir()) == []
    folders = {p.relative_to(tmp_path).parts[0] for found in seen for p in found}
    # The requests did work there (so the empty folder above is not for want of trying).
    assert any(name.startswith("kotodoc-claim-") for name in folders)
    assert any(name.startswith("kotodoc-case-") for name in folders)


# -- claims ----------------------------------------------------------------------------------------


def claim_body(**extra: object) -> dict[str, object]:
    cases = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").glob("*.yaml"))]
    return {"cases": cases, "claimant": CLAIMANT.read_text(encoding="utf-8"), "period": "2025-01-01..2025-06-30",
            "submitted": "2027-01-15", **extra}


def test_claims_builds_the_claim_as_kotodoc_claim_does(client: TestClient, tmp_path: Path) -> None:
    """This test ensures that /v1/claims builds the same claim as `kotodoc claim` from the same
    plans (the claim file byte for byte), and answers a ZIP with its document, CSV and report."""
    response = client.post("/v1/claims", json=claim_body(format="docx"))
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    stem = "ESP-KEHA-20250101-20250630.interpretation-claim"
    assert sorted(archive.namelist()) == sorted([f"{stem}.yaml", f"{stem}.fi+sv.docx", f"{stem}.csv", "report.json"])
    report = json.loads(archive.read("report.json"))
    assert report["status"] == "done" and report["claimed"] == 10 and report["totals"]["rows"] == 10
    assert "/tmp" not in archive.read("report.json").decode()  # the request's folder is not named
    result = CliRunner().invoke(cli, ["claim", *map(str, sorted((ROOT / "samples").glob("*.yaml"))),
                                      "--claimant", str(CLAIMANT), "--period", "2025-01-01..2025-06-30",
                                      "--submitted", "2027-01-15", "--format", "docx", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert archive.read(f"{stem}.yaml") == (tmp_path / f"{stem}.yaml").read_bytes()


def test_claims_with_an_invalid_plan_is_422_and_names_the_plan_by_its_place(client: TestClient) -> None:
    """This test ensures that an invalid plan stops the claim (422) and is named cases/case-N.yaml."""
    body = claim_body(format="docx")
    body["cases"] = [bad_case()]
    response = client.post("/v1/claims", json=body)
    assert response.status_code == 422
    [entry] = response.json()["inputs"]
    assert entry["file"] == "cases/case-1.yaml" and entry["status"] == "invalid"


@pytest.mark.parametrize(("body", "fragment"), [
    ({"cases": [], "claimant": "x", "period": "2025-01-01..2025-06-30"}, "cases"),
    ({"cases": ["a: 1"], "claimant": "x"}, "period"),
    ({"cases": ["a: 1"], "claimant": "x", "period": "2025-01-01..2025-06-30", "hetu": "x"}, "unknown field"),
    ({"cases": ["a: 1"], "claimant": 5, "period": "2025-01-01..2025-06-30"}, "claimant"),
    ({"cases": ["a: 1"], "claimant": "x", "period": "2025", "format": "docx"}, "START..END"),
])
def test_claims_refuses_a_request_of_the_wrong_shape(client: TestClient, body: dict[str, object],
                                                     fragment: str) -> None:
    """This test ensures that a claim request of the wrong shape is 400 with a message saying what."""
    response = client.post("/v1/claims", json=body)
    assert response.status_code == 400 and response.json()["code"] == "bad-request"
    assert fragment in response.json()["message"]


# -- skeleton, kinds, health, metrics, OpenAPI ---------------------------------------------------


def test_skeleton_and_kinds(client: TestClient) -> None:
    """This test ensures that /v1/kinds lists the kinds and /v1/skeleton gives each one's skeleton
    as `kotodoc new` does; an unknown kind is 400."""
    kinds = client.get("/v1/kinds").json()
    assert kinds == {"kinds": ["integration-plan", "minor-plan", "family-plan", "interpretation-claim"],
                     "languages": ["fi", "sv", "en"]}
    for kind in kinds["kinds"]:
        response = client.get(f"/v1/skeleton?kind={kind}&lang=sv")
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/yaml")
        assert response.text == CliRunner().invoke(cli, ["new", kind, "--lang", "sv"]).stdout
    response = client.get("/v1/skeleton?kind=integration-plann")
    assert response.status_code == 400 and "did you mean 'integration-plan'" in response.json()["message"]


def test_health_metrics_and_openapi(client: TestClient) -> None:
    """This test ensures that /healthz answers, /metrics counts requests by endpoint and status and
    documents made, /openapi.json describes every endpoint, and no page loads from a CDN."""
    assert client.get("/healthz").json() == {"status": "ok"}
    client.post("/v1/validate", content=HELSINKI.read_bytes(), headers=YAML)
    client.post("/v1/render?format=docx", content=ESPOO.read_bytes(), headers=YAML)
    client.get("/no/such/path")
    text = client.get("/metrics").text
    assert 'kotodoc_requests_total{endpoint="/v1/validate",status="200"} 1.0' in text
    assert 'kotodoc_documents_total{format="docx"} 2.0' in text
    assert 'kotodoc_requests_total{endpoint="other",status="404"} 1.0' in text
    assert 'kotodoc_request_duration_seconds_count{endpoint="/v1/render"} 1.0' in text
    assert "kotodoc_libreoffice_restarts_total 0.0" in text
    # Without lanes (warm=False: DOCX only) the service is ready at once.
    assert client.get("/readyz").json() == {"status": "ready", "lanes_ready": 0, "lanes": 0}
    assert client.get("/docs").status_code == 404  # its page would load scripts from a CDN
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/validate", "/v1/render", "/v1/claims", "/v1/skeleton", "/v1/kinds", "/healthz", "/readyz",
            "/metrics"} <= set(paths)


def test_the_access_log_has_no_body_names_or_query_values(client: TestClient,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """This test ensures that the access log gives method, path, status and duration, keeps a query
    value only from a closed list, and never a case's content."""
    with caplog.at_level(logging.INFO, logger="kotodoc.serve.access"):
        client.post("/v1/render?format=docx&lang=fi&x=220785-562W", content=HELSINKI.read_bytes(), headers=YAML)
        client.post("/v1/validate", content=bad_case().encode(), headers=YAML)
    lines = [r.getMessage() for r in caplog.records if r.name == "kotodoc.serve.access"]
    assert lines[0].startswith("POST /v1/render?format=docx&lang=fi 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("POST /v1/validate 200 ")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("220785", "Warsame", "Hodan", "HEL-2025-1108"):
        assert secret not in logged


# -- the token and the address ------------------------------------------------------------------


def test_a_token_is_required_when_configured() -> None:
    """This test ensures that with a token every /v1 request and /metrics need `Authorization:
    Bearer <token>` (401 otherwise), while /healthz and /readyz stay open for probes."""
    token = "s3cret-token-0123456789"
    with TestClient(create_app(ServeConfig(warm=False, token=token))) as c:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": token}):
            response = c.post("/v1/validate", content=HELSINKI.read_bytes(), headers={**YAML, **headers})
            assert response.status_code == 401 and response.json()["code"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")
        assert c.get("/metrics").status_code == 401
        assert c.get("/v1/kinds", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        ok = c.post("/v1/validate", content=HELSINKI.read_bytes(), headers={**YAML, "Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert c.get("/healthz").status_code == 200


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    """This test ensures that `kotodoc serve` refuses to listen beyond loopback without
    --token-file, and refuses a token file others can read or a short token (exit 2)."""
    def serve(*options: str) -> subprocess.CompletedProcess[str]:
        # A subprocess with a time limit: if the check were missing, the service would listen for ever.
        return subprocess.run([sys.executable, "-m", "kotodoc", "serve", "--host", "0.0.0.0", "--port", "8",
                               *options], capture_output=True, text=True, timeout=60, check=False)

    result = serve()
    assert result.returncode == 2 and "--token-file" in result.stderr
    token = tmp_path / "token"
    token.write_text("a-long-enough-token-0123\n")
    token.chmod(0o644)
    result = serve("--token-file", str(token))
    assert result.returncode == 2 and "owner-only" in result.stderr
    token.chmod(0o600)
    token.write_text("short\n")
    result = serve("--token-file", str(token))
    assert result.returncode == 2 and "at least 16" in result.stderr


def test_serve_refuses_templates_it_would_refuse_on_the_command_line(tmp_path: Path) -> None:
    """This test ensures that the template trust rules hold at the start: a missing template
    directory stops `kotodoc serve` (exit 2) before it listens."""
    result = CliRunner().invoke(cli, ["serve", "--templates", str(tmp_path / "none")])
    assert result.exit_code == 2 and "none" in result.output


# -- LibreOffice: warm lanes, timeouts, the queue, a killed lane ---------------------------------------


def descendants(pid: int) -> dict[int, str]:
    """The processes under `pid` (from /proc), with their names."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        names[int(entry.name)] = name
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = names[child]
            todo.append(child)
    return found


def wait_ready(c: TestClient, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while c.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the lanes did not become warm"
        time.sleep(0.2)


@pytest.mark.soffice
def test_render_pdf_on_warm_lanes_and_readiness(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that /readyz is 503 until the LibreOffice lanes are warm and 200 then, and
    that a PDF render on the warm lanes is the plan, byte for byte the PDF that `render_case` makes
    with a LibreOffice of its own (under SOURCE_DATE_EPOCH): the same runner, the same options."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    with TestClient(create_app(ServeConfig(lanes=2))) as c:
        assert c.get("/readyz").status_code == 503
        wait_ready(c)
        assert c.get("/readyz").json() == {"status": "ready", "lanes_ready": 2, "lanes": 2}
        started = time.perf_counter()
        response = c.post("/v1/render", content=HELSINKI.read_bytes(), headers=YAML)
        seconds = time.perf_counter() - started
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        assert "HEL-2025-1108" in "".join(page.extract_text() for page in reader.pages)
        assert "pdfaid:part" in reader.xmp_metadata.rdf_root.toxml()  # type: ignore[union-attr]
        assert seconds < 10  # a cold LibreOffice takes 2–4 s here; the warm one some 0.3–1 s
        alone = kotodoc.render_case(HELSINKI.read_text(encoding="utf-8"), formats=["pdf"])
        assert alone.documents == {"HEL-2025-1108.integration-plan.fi.pdf": response.content}
        assert "kotodoc_libreoffice_lanes_ready 2.0" in c.get("/metrics").text


@pytest.mark.soffice
def test_a_killed_lane_is_restarted_and_no_request_fails() -> None:
    """This test ensures that when LibreOffice of a lane is killed during requests, the lane is
    restarted, the request it was converting is retried, and every request succeeds."""
    with TestClient(create_app(ServeConfig(lanes=2))) as c:
        wait_ready(c)
        statuses: list[int] = []

        def client_loop() -> None:
            for _ in range(4):
                r = c.post("/v1/render", content=HELSINKI.read_bytes(), headers=YAML)
                statuses.append(r.status_code)

        threads = [threading.Thread(target=client_loop) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(1.0)  # requests are converting now
        offices = [pid for pid, name in descendants(os.getpid()).items() if name == "soffice.bin"]
        assert len(offices) == 2
        os.kill(offices[0], signal.SIGKILL)
        for t in threads:
            t.join()
        assert statuses == [200] * 12
        metrics = c.get("/metrics").text
        assert "kotodoc_libreoffice_restarts_total 1.0" in metrics
        assert "kotodoc_failures_total" not in metrics.replace("# HELP kotodoc_failures_total", "") \
            .replace("# TYPE kotodoc_failures_total", "")


@pytest.mark.soffice
def test_a_hung_lane_is_restarted_and_its_request_retried() -> None:
    """This test ensures that when a lane's LibreOffice hangs (stopped with SIGSTOP), the lane is
    killed after a third of the time limit, restarted, and the request retried and answered."""
    with TestClient(create_app(ServeConfig(lanes=1, render_timeout=45))) as c:
        wait_ready(c)
        [office] = [pid for pid, name in descendants(os.getpid()).items() if name == "soffice.bin"]
        os.kill(office, signal.SIGSTOP)
        started = time.perf_counter()
        response = c.post("/v1/render", content=HELSINKI.read_bytes(), headers=YAML)
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")
        assert time.perf_counter() - started > 15  # it waited for the hang to be noticed
        assert "kotodoc_libreoffice_restarts_total 1.0" in c.get("/metrics").text
        assert office not in descendants(os.getpid())


@pytest.mark.soffice
def test_a_lane_writes_over_the_lock_file_a_killed_libreoffice_left(tmp_path: Path) -> None:
    """This test ensures that a PDF is made although a LibreOffice killed while writing it left its
    lock file (`.~lock.NAME#`) beside it: the retry after a kill writes the same file, and the lock
    made it fail (found by killing lanes under load); and that a lane, stopped with a kill, leaves no
    LibreOffice pipe socket in /tmp."""
    from kotodoc.pdf import WarmLanes, uno_python
    from kotodoc.run import templates_root

    python = uno_python()
    assert python is not None
    docx = kotodoc.render_case(HELSINKI.read_text(encoding="utf-8"), formats=["docx"]).documents
    [(name, payload)] = docx.items()
    source = tmp_path / name
    source.write_bytes(payload)
    target = tmp_path / "out" / source.with_suffix(".pdf").name
    target.parent.mkdir()
    (target.parent / f".~lock.{target.name}#").write_text("1,kotodoc,host,29.11.2026 12:00,file:///x;\n")
    pipes = f"OSL_PIPE_{os.getuid()}_kotodoc-*"
    before = set(Path("/tmp").glob(pipes))
    lanes = WarmLanes(1, python=python, warmup=templates_root() / "fi" / "integration-plan.docx")
    try:
        lanes.start()
        result = lanes.convert(source, target)
    finally:
        lanes.shutdown()
    assert result.error is None and target.read_bytes().startswith(b"%PDF-")
    # A lane is stopped with a kill, and LibreOffice left its pipe's socket in /tmp at every stop.
    assert set(Path("/tmp").glob(pipes)) <= before


@pytest.mark.soffice
def test_a_render_over_the_time_limit_is_504() -> None:
    """This test ensures that a render that takes longer than the limit is answered 504 timeout."""
    with TestClient(create_app(ServeConfig(lanes=1, render_timeout=0.05))) as c:
        wait_ready(c)
        response = c.post("/v1/render", content=HELSINKI.read_bytes(), headers=YAML)
        assert response.status_code == 504 and response.json()["code"] == "timeout"


@pytest.mark.soffice
def test_requests_beyond_the_queue_are_503_with_retry_after() -> None:
    """This test ensures that a render request beyond the queue bound is refused at once with 503
    busy and Retry-After, while the one being served succeeds."""
    with TestClient(create_app(ServeConfig(lanes=1, queue=1))) as c:
        wait_ready(c)
        first: list[int] = []
        thread = threading.Thread(target=lambda: first.append(
            c.post("/v1/render", content=ESPOO.read_bytes(), headers=YAML).status_code))
        thread.start()
        time.sleep(0.1)
        response = c.post("/v1/render", content=HELSINKI.read_bytes(), headers=YAML)
        thread.join()
        assert response.status_code == 503 and response.json()["code"] == "busy"
        assert response.headers["retry-after"] == "1"
        assert first == [200]
