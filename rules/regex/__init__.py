"""FFT4xx: regular expressions whose backtracking is exponential or polynomial under CPython's ``re``."""

from fftlint.rule import Family

FAMILY = Family("FFT4", "catastrophic regex", "regular expressions whose backtracking explodes on some input")
