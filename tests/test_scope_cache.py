"""Scope clauses kept per person (safeguarding/auth/access.py `per_person`): the same person's clause is built once,
a different role or agency is a different clause, and a process keeps only the most recently used."""
from dataclasses import dataclass

from safeguarding.auth import access


@dataclass
class Person:
    id: int
    role: str = "practitioner"
    agency_id: int = 1
    agency: object = None
    is_authenticated: bool = True


def _counting():
    built = []

    @access.per_person
    def scope(user, *args):
        built.append((user.id, user.role, args))
        return object()

    return scope, built


def test_a_persons_clause_is_built_once_and_a_changed_person_gets_another():
    scope, built = _counting()
    first = scope(Person(1))
    assert scope(Person(1)) is first
    assert scope(Person(1, role="manager")) is not first
    assert scope(Person(1, agency_id=2)) is not first
    assert scope(Person(1), "column") is not first
    assert len(built) == 4


def test_nobody_signed_in_is_never_kept():
    scope, built = _counting()
    scope(Person(1, is_authenticated=False))
    scope(Person(1, is_authenticated=False))
    assert len(built) == 2 and not scope.kept


def test_a_process_keeps_the_most_recently_used_clauses_only():
    scope, built = _counting()
    regular = scope(Person(0))
    for n in range(1, access.PER_PERSON_KEPT * 3):
        scope(Person(n))
        assert scope(Person(0)) is regular  # used on every page: never the one to go
    assert len(scope.kept) == access.PER_PERSON_KEPT
    scope(Person(1))  # long gone: built again
    assert built.count((1, "practitioner", ())) == 2
