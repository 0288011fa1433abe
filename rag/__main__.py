"""`python -m rag` runs the `rag` command (handy from a source checkout without installing)."""

from rag.cli import main

main()
