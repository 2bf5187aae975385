"""FFT3xx: listeners, callbacks, tasks, caches and resources that are registered or created repeatedly and never released."""
