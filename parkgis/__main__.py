"""``python -m parkgis`` runs the command line."""

from parkgis.cli import main

if __name__ == "__main__":
    main()
