"""`python -m kotodoc`."""

from kotodoc._cli import main

main()
