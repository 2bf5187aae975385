"""Making a run's fact providers from the selected rules (one of each provider class)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Type

from fftlint.facts.provider import Provider


def provider_classes(rules: Sequence[Type[Any]]) -> List[Type[Provider]]:
    """Provider classes the rules declare, first-declared first, each once."""
    out: List[Type[Provider]] = []
    for rule in rules:
        for cls in getattr(rule, "providers", ()) or ():
            if cls not in out:
                out.append(cls)
    return out


def make_providers(rules: Sequence[Type[Any]], options: Dict[Type[Any], Any]) -> List[Provider]:
    """One instance of each provider the rules declare, made with the options of the
    first rule that declares it (rules of a family share one options table)."""
    out: List[Provider] = []
    for cls in provider_classes(rules):
        opts = next((options.get(r) for r in rules if cls in (getattr(r, "providers", ()) or ())), None)
        provider = cls(opts)
        provider.bind(None)
        out.append(provider)
    return out
