"""``python -m aedetect.cli`` runs the command line."""

from aedetect.cli.main import main

main()
