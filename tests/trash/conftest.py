from tests.taskforce.programmes.factory import (  # noqa: F401 - fixtures
    reference_template,
    session,
    tf_db,
)
