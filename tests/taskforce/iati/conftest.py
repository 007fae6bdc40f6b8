from tests.taskforce.programmes.factory import (  # noqa: F401 - fixtures
    reference_template,
    session,
    tf_client,
    tf_db,
    tf_live_server,
)
