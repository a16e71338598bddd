"""Value records without :mod:`dataclasses`, for the classes every ``nbgraduate lint`` run loads.

``import dataclasses`` imports :mod:`inspect` (and with it ``ast``, ``dis``, ``tokenize``): about
7 ms, more than a lint re-run answered by the cache spends on all its files; each decorated
class then costs the run another ``exec`` of generated code. The findings, settings and plans
of a lint run are plain classes with ``__slots__`` and an ``__init__`` of their own instead, and
take equality, hashing, ``repr``, pickling and :meth:`Record.replace` from :class:`Record`.

A record is a value: it is not changed after it is built (nothing enforces it, as a frozen
dataclass's ``__setattr__`` would, because that costs every construction).
"""

from __future__ import annotations

from operator import attrgetter

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import TypeVar

    _R = TypeVar("_R", bound="Record")

__all__ = ["Record"]


class Record:
    """A value whose fields are its ``_fields``, in the order its ``__init__`` takes them; a
    subclass declares them and makes them its slots (``__slots__ = _fields``).

    Two records are equal when they are of the same class with equal fields (as dataclasses
    compare), and hash alike then.
    """

    __slots__ = ()
    #: The field names, in ``__init__`` order.
    _fields: tuple[str, ...] = ()
    _values: attrgetter[tuple[object, ...]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        fields = cls._fields
        # A tuple of the field values, in C; ``attrgetter`` of one name returns the bare value.
        cls._values = attrgetter(*fields) if len(fields) > 1 else attrgetter(*fields, *fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values(self) == other._values(other)  # type: ignore[attr-defined]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values(self))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({fields})"

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # Workers send findings back pickled: the class and its field values, in order.
        return self.__class__, tuple(getattr(self, name) for name in self._fields)

    def replace(self: _R, **changes: object) -> _R:
        """A copy with ``changes`` to some fields (``dataclasses.replace``)."""
        values = {name: getattr(self, name) for name in self._fields}
        unknown = changes.keys() - values.keys()
        if unknown:
            raise TypeError(f"{self.__class__.__name__} has no field {sorted(unknown)[0]!r}")
        values.update(changes)
        return self.__class__(**values)  # type: ignore[call-arg]
