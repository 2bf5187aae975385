"""Pre-filters stay sound when the facts layer resolves names through other modules or
the file's own assignments: a filtered run reports what an unfiltered one does."""

from __future__ import annotations

import textwrap

from fftlint import api
from fftlint.config.settings import Settings


def write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def findings(root, prefilter):
    config = api.make_config(Settings(root=str(root)), select=["ALL"])
    config.prefilter = prefilter
    return sorted((r.path, d.span.line, d.code) for r in api.lint_paths([str(root)], config) for d in r.diagnostics)


def test_aliases_in_the_file_and_values_from_other_modules(tmp_path):
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/compat.py": "import re\ncompile_re = re.compile\n",
            "pkg/use.py": """
                from .compat import compile_re
                import re

                search = re.search
                EMAIL = compile_re(r"^([a-zA-Z0-9]+[._-]?)+@example\\.com$")

                def check(s):
                    return search(r"(a+)+$", s)
            """,
            "pkg/signals.py": "import django.dispatch\n\norder_paid = django.dispatch.Signal()\n",
            "pkg/views.py": """
                from .signals import order_paid

                def pay(order):
                    def receipt(sender, **kw):
                        print(order)
                    order_paid.connect(receipt, weak=False)
            """,
        },
    )
    filtered, unfiltered = findings(tmp_path, True), findings(tmp_path, False)
    assert filtered == unfiltered
    assert any(code == "FFT401" and path.endswith("use.py") for path, _, code in filtered)
