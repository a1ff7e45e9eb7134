"""The ``aedetect`` command line: one command per module, wired in :mod:`aedetect.cli.main`."""
