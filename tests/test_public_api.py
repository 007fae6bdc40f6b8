"""The public API is deliberate: adding or removing a name must be a conscious change."""

import tocsin


def test_public_api() -> None:
    assert sorted(tocsin.__all__) == [
        "AuthenticationError",
        "InputError",
        "NotFound",
        "PermissionDenied",
        "Problem",
        "ReferenceDataError",
        "Settings",
        "TocsinError",
        "__version__",
        "get_settings",
    ]
    for name in tocsin.__all__:
        assert hasattr(tocsin, name)
