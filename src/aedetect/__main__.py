"""``python -m aedetect`` (and ``torchrun -m aedetect``) runs the command line."""

from aedetect.cli.main import main

main()
