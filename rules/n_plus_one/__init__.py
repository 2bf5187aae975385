"""FFT2xx: N+1 queries -- one database round trip per row of a loop."""
