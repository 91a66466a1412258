"""Scope clauses kept per person (safeguarding/auth/access.py `per_person`): the same person's clause is built once,
a different role or agency is a different clause, and a process keeps only the most recently used."""
import gc
import weakref
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


# --- Statements kept with their scope (`scoped`) ---------------------------------------------------------------


def _statements():
    built = []

    def build(scope, *pieces):
        built.append((scope, pieces))
        return object()

    return build, built


def test_a_statement_is_built_once_for_the_same_scope_and_pieces():
    build, built = _statements()
    scope, option = object(), object()
    first = access.scoped((scope, option), build)
    assert access.scoped((scope, option), build) is first
    assert built == [(scope, (option,))]


def test_another_scope_piece_or_builder_is_another_statement():
    build, built = _statements()
    other_build, _ = _statements()
    scope, option = object(), object()
    first = access.scoped((scope, option), build)
    assert access.scoped((object(), option), build) is not first  # another person's scope
    assert access.scoped((scope, object()), build) is not first  # other loader options
    assert access.scoped((scope, option), other_build) is not first  # another statement of the same scope
    assert len(built) == 3


def test_a_kept_statement_holds_its_scope_so_no_new_scope_can_take_its_address():
    # the key is the parts' ids: were a scope freed while its statement is kept, a new scope at the same address
    # would be handed the old one (another person's rows). Held with the statement, the address stays taken.
    class Scope:
        pass

    scope = Scope()
    alive = weakref.ref(scope)
    access.scoped((scope,), lambda s: object())
    del scope
    gc.collect()
    assert alive() is not None


def test_a_process_keeps_the_most_recently_used_statements_only(monkeypatch):
    monkeypatch.setattr(access, "_SCOPED", type(access._SCOPED)())
    build, built = _statements()
    regular = object()
    first = access.scoped((regular,), build)
    for _ in range(access.SCOPED_KEPT * 2):
        access.scoped((object(),), build)
        assert access.scoped((regular,), build) is first  # used on every page: never the one to go
    assert len(access._SCOPED) == access.SCOPED_KEPT
