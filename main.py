"""Android entry point (buildozer runs main.py); on a desktop use `python -m mobile`."""

from mobile.__main__ import main

main()
