"""`python -m kotodoc`."""

from kotodoc._entry import main

main()
