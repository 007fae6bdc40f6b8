"""The fictional demo workspace."""
