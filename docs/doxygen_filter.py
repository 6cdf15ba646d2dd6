#!/usr/bin/env python3
"""Doxygen's input filter for the headers (FILTER_PATTERNS in docs/Doxyfile.in).

The headers' comments write "(Ash et al. 2020)" and "e.g. a Map", and with JAVADOC_AUTOBRIEF a
dot followed by white space ends a comment's brief: the reference's summary of badge would read
"BADGE (Ash et al." and its page would break the sentence in two. This filter writes Doxygen's
non-ending dot ("et al.\\ ") after those abbreviations inside `///` comments, for Doxygen only:
the headers, and the Python docstrings generated from them, keep the plain text. Lines are kept
one for one, so Doxygen's warnings point at the right line.

    doxygen_filter.py HEADER   (the filtered text on standard output)
"""
import re
import sys

ABBREVIATION = re.compile(rb"\b(al|e\.g|i\.e|cf|vs)\.(?: |(?=\s))")


def main(path):
    out = sys.stdout.buffer
    with open(path, "rb") as header:
        for line in header:
            at = line.find(b"///")
            if at >= 0:
                line = line[:at] + ABBREVIATION.sub(rb"\1.\\ ", line[at:])
            out.write(line)


if __name__ == "__main__":
    main(sys.argv[1])
