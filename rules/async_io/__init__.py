"""FFT1xx: blocking (synchronous) I/O inside ``async def``."""

from fftlint.rule import Family

FAMILY = Family("FFT1", "sync I/O in async code", "`time.sleep`, file, network, subprocess and driver calls that block the event loop inside `async def`, also through your own helpers")
