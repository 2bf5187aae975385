"""FFT3xx: listeners, callbacks, tasks, caches and resources that are registered or created repeatedly and never released."""

from fftlint.rule import Family

FAMILY = Family("FFT3", "listener and resource leaks", "handlers registered on every call and never removed, tasks nobody keeps, caches that pin `self`, resources opened per call")
