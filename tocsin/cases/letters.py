"""Request letters generated from the record, as DOCX (python-docx) and PDF (weasyprint).

The letter carries the case's handling marking (``TLP:AMBER`` …) in its header and
footer on every page, then the request's content in the order of UNTOC art. 18(15),
the property concerned and the deadline. Each generation is kept as a numbered
version of the request in the case (the bytes in the database, with their SHA-256);
reading a version back is audited like any read of the case.
"""

from __future__ import annotations

import hashlib
import html
import io
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.access.policy import storable_id
from tocsin.access.principal import Principal
from tocsin.cases.records import audit_case, get_case
from tocsin.cases.requests import KIND_LABELS, content_items, writable_request
from tocsin.cases.tables import Asset, Case, CaseDocument, CoopRequest
from tocsin.errors import InputError, NotFound
from tocsin.i18n import N_

Format = Literal["docx", "pdf"]
MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "pdf": "application/pdf"}


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class Letter:
    marking: str
    title: str
    lines: list[tuple[str, str]]
    sections: list[Section]


def compose(case: Case, request: CoopRequest, today: date) -> Letter:
    """The letter's content, shared by both formats."""
    marking = f"TLP:{case.handling}"
    lines = [("Reference", request.reference or f"{case.reference}/{request.id}"),
             ("Date", today.isoformat()),
             ("From", request.requesting_authority or "—"),
             ("To", request.requested_authority or "—"),
             ("Requested State", request.counterpart_country),
             ("Legal basis", request.legal_basis or "—"),
             ("Urgency", request.urgency),
             ("Execution requested by", request.deadline.isoformat() if request.deadline
              else "as soon as possible")]
    sections = []
    seen: set[str] = set()
    for item in content_items():
        if request.kind not in item.kinds or item.field in seen or item.field in (
                "requesting_authority", "requested_authority", "legal_basis", "language",
                "asset_ids"):
            continue
        seen.add(item.field)
        value = getattr(request, item.field)
        sections.append(Section(f"{item.label} ({item.article})", value or "Not stated."))
    assets: list[Asset] = [a for a in case.assets if a.id in set(request.asset_ids)]
    if assets:
        described = []
        for a in assets:
            idents = ", ".join(f"{i['scheme'].upper()} {i['value']}" for i in a.identifiers)
            described.append(f"{a.description} ({a.kind.replace('_', ' ')}"
                             + (f"; {idents}" if idents else "")
                             + f"; estimated {a.estimated_value} {a.currency})")
        sections.append(Section("Property concerned", "\n".join(described)))
    return Letter(marking, f"Request: {KIND_LABELS[request.kind]}", lines, sections)


def to_docx(letter: Letter) -> bytes:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    section = doc.sections[0]
    for part in (section.header, section.footer):
        para = part.paragraphs[0]
        para.text = letter.marking
        para.runs[0].bold = True
        para.runs[0].font.size = Pt(9)
    doc.add_heading(letter.title, level=1)
    table = doc.add_table(rows=0, cols=2)
    for label, value in letter.lines:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    for item in letter.sections:
        doc.add_heading(item.heading, level=2)
        for line in item.text.splitlines() or [""]:
            doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def to_html(letter: Letter) -> str:
    e = html.escape
    marking = e(letter.marking).replace('"', "")
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in letter.lines)
    body = "".join(f"<h2>{e(s.heading)}</h2>" + "".join(f"<p>{e(line)}</p>"
                                                        for line in s.text.splitlines())
                   for s in letter.sections)
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 2.5cm 2cm;
  @top-center {{ content: "{marking}"; font: bold 9pt sans-serif; }}
  @bottom-center {{ content: "{marking} — page " counter(page) " of " counter(pages);
                    font: 9pt sans-serif; }} }}
body {{ font: 11pt serif; }} th {{ text-align: left; padding-right: 1em; }}
h1 {{ font-size: 16pt; }} h2 {{ font-size: 12pt; margin-top: 1.2em; }}
</style></head><body><h1>{e(letter.title)}</h1><table>{rows}</table>{body}</body></html>"""


def to_pdf(letter: Letter) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=to_html(letter)).write_pdf()
    return pdf


def generate(session: Session, principal: Principal, request_id: int, fmt: str,
             today: date | None = None) -> CaseDocument:
    """Generate the letter and keep it as the request's next version."""
    if fmt not in MEDIA:
        raise InputError.single("format", N_("%(value)s is not docx or pdf", value=repr(fmt)))
    case, request = writable_request(session, principal, request_id)
    if request.direction != "outgoing":
        raise InputError.single("request", N_("letters are generated for outgoing requests"))
    letter = compose(case, request, today or date.today())
    content = to_docx(letter) if fmt == "docx" else to_pdf(letter)
    version = (session.scalar(select(func.max(CaseDocument.version))
                              .where(CaseDocument.request_id == request.id)) or 0) + 1
    name = f"{(request.reference or f'request-{request.id}').replace('/', '-')}-v{version}.{fmt}"
    document = CaseDocument(case_id=case.id, request_id=request.id, version=version,
                            format=fmt, filename="".join(c for c in name if c.isalnum()
                                                         or c in "-_.")[:200],
                            sha256=hashlib.sha256(content).hexdigest(),
                            handling=case.handling, content=content,
                            created_by=principal.username)
    session.add(document)
    session.flush()
    audit_case(session, principal, case, f"request {request.id}: letter version {version} "
                                         f"({fmt}) generated")
    return document


def get_document(session: Session, principal: Principal, document_id: int) -> CaseDocument:
    """A stored letter of a case the principal may read (the read audited)."""
    document = session.get(CaseDocument, document_id) if storable_id(document_id) else None
    if document is None:
        raise NotFound.of('document', document_id)
    try:
        case = get_case(session, principal, document.case_id)
    except NotFound:
        raise NotFound.of('document', document_id) from None
    audit_case(session, principal, case, f"letter {document.filename} downloaded",
               action="export")
    return document


def documents_of(session: Session, case: Case) -> list[CaseDocument]:
    """The case's letters, without their content (for listings)."""
    from sqlalchemy.orm import defer

    return list(session.scalars(select(CaseDocument).options(defer(CaseDocument.content))
                                .where(CaseDocument.case_id == case.id)
                                .order_by(CaseDocument.request_id, CaseDocument.version)))
