"""Text extraction from PDF, DOCX and plain text, with limits and clear errors."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from tests.search.pdf import write_pdf
from tocsin.errors import InputError
from tocsin.search import extract_text
from tocsin.search.extract import DOCX, PDF


def test_pdf(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "report.pdf", ["Mutual legal assistance request",
                                               "Freezing of criminal assets in Montenegro"])
    text = extract_text(path, PDF)
    assert "Mutual legal assistance request" in text
    assert "Montenegro" in text


def test_docx_with_table(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("After-action review of the joint investigation team")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Seized"
    table.cell(0, 1).text = "cryptocurrency wallets"
    path = tmp_path / "review.docx"
    document.save(str(path))
    text = extract_text(path, DOCX)
    assert "joint investigation team" in text
    assert "Seized | cryptocurrency wallets" in text
    assert extract_text(path, "application/octet-stream") == text  # type from the name


def test_plain_text_and_limits(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Customs cooperation " * 100, encoding="utf-8")
    assert extract_text(path, "text/plain", max_chars=50) == ("Customs cooperation " * 3)[:50]
    with pytest.raises(InputError, match="limit is 100"):
        extract_text(path, "text/plain", max_bytes=100)


@pytest.mark.parametrize(("name", "mime", "content", "reason"), [
    ("broken.pdf", PDF, b"%PDF-1.4 this is not a PDF", "damaged|not a readable PDF"),
    ("broken.docx", DOCX, b"PK\x03\x04 nonsense", "not a DOCX|damaged"),
    ("image.png", "image/png", b"\x89PNG", "cannot extract text from 'image/png'"),
])
def test_bad_files_are_named(tmp_path: Path, name: str, mime: str, content: bytes,
                             reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason) as caught:
        extract_text(path, mime)
    assert caught.value.problems[0].location == name


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        extract_text(tmp_path / "gone.pdf", PDF)
