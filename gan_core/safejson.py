"""JSON from files a user gives us (config.json, a checkpoint's header, the run journal), with limits.

`json.loads` trusts its input: 60 kB of `[[[[...` exhausts Python's recursion limit (RecursionError
deep inside the parser), and a multi-megabyte document is parsed whole before anything can look at
it. `loads` checks both limits first and turns every failure into one `JSONLimitError` (a ValueError)
whose message says what is wrong:

    size    len(text) <= max_bytes                                        (checked before parsing)
    depth   max over the text of (open brackets - closed brackets) <= max_depth, counting only
            brackets outside strings                                     (checked before parsing)

The depth is measured without a parser: strings are blanked out with one regular expression (a JSON
string is `"` then any escaped character or non-quote, then `"`), the remaining `[{` count +1 and
`]}` count -1, and the running sum's maximum is the nesting depth. Our own documents nest 3 deep.
"""

from __future__ import annotations

import json
import re

MAX_DEPTH = 32  # our documents nest 3-4 levels; 32 leaves room and stays far from recursion limits
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class JSONLimitError(ValueError):
    """Text that is not JSON, or JSON over a size or nesting limit; the message says which."""


def depth(text: str) -> int:
    """How deeply the text's arrays and objects nest (0 for a bare number or string)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    level = deepest = 0
    for ch in brackets:
        level += 1 if ch in "[{" else -1
        deepest = max(deepest, level)
    return deepest


def loads(text: str | bytes, what: str = "the file", max_bytes: int = 1_000_000, max_depth: int = MAX_DEPTH):
    """json.loads with a size and a depth limit; JSONLimitError names `what` and the reason."""
    if len(text) > max_bytes:
        raise JSONLimitError(f"{what} is {len(text):,} bytes of JSON; more than {max_bytes:,} is refused.")
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise JSONLimitError(f"{what} is not text (UTF-8).") from None
    deep = depth(text)
    if deep > max_depth:
        raise JSONLimitError(f"{what} nests {deep} levels deep; JSON deeper than {max_depth} levels is refused.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONLimitError(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:  # unreachable after the depth check; kept so no input can raise it
        raise JSONLimitError(f"{what} nests too deeply.") from None
