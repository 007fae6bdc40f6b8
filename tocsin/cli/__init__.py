"""The ``tocsin`` command line: thin commands over the library."""
