"""FFT1xx: blocking (synchronous) I/O inside ``async def``."""
