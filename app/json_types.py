"""Input types that accept exactly what their JSON Schema says.

Pydantic's lax mode takes ``"4"`` or ``true`` for an integer; strict mode refuses ``4.0``, which
JSON Schema counts as an integer. ``JsonInt`` sits between: any JSON number with no fractional
part, and nothing else.
"""

from typing import Annotated, Any

from pydantic import BeforeValidator


def _json_number_only(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a JSON integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_number_only)]
