"""Ids from URLs and request bodies: whole numbers only."""

from typing import Any

MAX_ID = 2**63 - 1  # BigAutoField


def parse_id(value: Any) -> int | None:
    """A positive whole-number id from an int or its decimal text; None for anything else.

    ``3.7``, ``True``, ``"3.0"``, ``" 3"`` and numbers beyond the id range are not ids.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None
