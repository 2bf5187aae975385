"""Built-in fftlint rules, one module per rule, grouped by family (installed as ``fftlint.rules``)."""
