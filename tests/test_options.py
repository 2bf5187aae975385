"""Per-rule option tables are validated against the rules' Options dataclasses."""

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import pytest

from fftlint.config.options import build_options
from fftlint.config.settings import ConfigError
from fftlint.rule import Rule


@dataclass(frozen=True)
class _Opts:
    names: Sequence[str] = ()
    pairs: Tuple[str, ...] = ()
    listed: List[str] = field(default_factory=list)
    table: Mapping[str, List[str]] = field(default_factory=dict)
    plain: Dict[str, int] = field(default_factory=dict)
    flag: bool = False
    limit: Optional[int] = None
    max_items: int = 0


class _R(Rule):
    code = "FFT997"
    name = "opts"
    message = "m"
    Options = _Opts
    options_key = "demo"


def build(table):
    return build_options([_R], {"demo": table}, "cfg.yaml")[_R]


def test_valid_values_are_converted():
    opts = build({"names": ["a"], "pairs": ["b"], "listed": ["c"], "table": {"k": ["v"]}, "plain": {"x": 1}, "flag": True, "limit": 3})
    assert opts.names == ("a",) and opts.pairs == ("b",) and opts.listed == ("c",)
    assert opts.table == {"k": ("v",)} and opts.plain == {"x": 1} and opts.flag is True and opts.limit == 3


@pytest.mark.parametrize(
    "table, key",
    [
        ({"names": "a"}, "demo.names"),
        ({"names": [1]}, "demo.names[0]"),
        ({"pairs": "b"}, "demo.pairs"),
        ({"table": ["x"]}, "demo.table"),
        ({"table": {"k": "v"}}, "demo.table.k"),
        ({"plain": {"x": "1"}}, "demo.plain.x"),
        ({"flag": "yes"}, "demo.flag"),
        ({"limit": "3"}, "demo.limit"),
        ({"nope": 1}, "demo.nope"),
    ],
)
def test_wrong_types_and_unknown_keys_name_the_key(table, key):
    with pytest.raises(ConfigError) as info:
        build(table)
    assert info.value.key == key and info.value.source == "cfg.yaml"


def test_dash_keys_map_to_fields():
    assert build({"max-items": 2}).max_items == 2
