"""``python -m <package>`` runs the command-line interface."""

from .core.cli import main

if __name__ == "__main__":
    main()
