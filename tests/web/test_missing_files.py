"""A document whose file is gone from the data folder answers 404, never 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tests.taskforce.programmes.factory import spec
from tocsin.access.principal import Principal
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.taskforce.programmes import documents, records


def test_missing_document_file_is_404(client: TestClient, make_user: MakeUser,
                                      platform_db: Database, settings: Settings) -> None:
    username, _ = make_user("analyst")
    with platform_db.transaction() as session:
        activity = records.create_activity(session, Principal.system(), spec("DOC-GONE"))
        document = documents.add_document(session, Principal.system(), settings, activity.id,
                                          "Report", content=b"fictional report",
                                          original_name="report.txt")
        path = documents.stored_file(settings, document)
        document_id = document.id
    login(client, username)
    assert client.get(f"/programmes/documents/{document_id}").content == b"fictional report"
    path.unlink()
    answer = client.get(f"/programmes/documents/{document_id}")
    assert answer.status_code == 404
    assert "missing from the data folder" in answer.text
    assert str(settings.data_dir) not in answer.text  # no server path shown
