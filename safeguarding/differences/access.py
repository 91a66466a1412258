"""Who may see a professional difference; registered with the core at app creation (`register`)."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import aliased

from ..auth.access import (
    per_person,
    probe,
    MASH,
    can,
    is_partnership_business_unit,
    restriction_allows,
    visible_or_404,
)
from ..auth.models import User
from ..children import links
from ..children.links import LinkSource, Watch, link_row
from ..children.models import LinkVia
from .models import DifferenceStage, ProfessionalDifference

# --- Row scope: professional differences -------------------------------------------------------------------
# A disagreement between professionals is sensitive to them as well as to the child: only the people involved
# (who raised it, who leads or answers at any stage), their line managers, MASH staff and the safeguarding
# partnership business unit (users of an agency whose kind is "safeguarding_partnership") see it.


#: aliased once: an alias's columns are worked out on first use (see auth/access.py)
_RAISER = aliased(User, name="scope_raiser")
_RAISING_LEAD = aliased(User, name="scope_raising_lead")
_RESPONDING_LEAD = aliased(User, name="scope_responding_lead")
_STAGE = aliased(DifferenceStage, name="scope_stage")


@per_person
def difference_scope(user):
    """SQL clause restricting `ProfessionalDifference` rows to those `user` may see."""
    if not can(user, "difference.view"):
        return false()
    allowed = restriction_allows(user, ProfessionalDifference.child_id)
    if user.role == MASH or is_partnership_business_unit(user):
        return allowed
    # probes from each difference (its raiser, its stages' leads): a set of every difference the user is in was
    # built in full for each query (every difference of the partnership read, 2,500 at 10x)
    return and_(_involved_in(user, ProfessionalDifference, select(User.id).where(User.id == user.id)), allowed)


def _link_rows(only):
    """A practitioner involved in a difference about a child (who raised it, who leads either side at any stage) sees
    the child, and so do their line managers and (as for every link to a person) the managers of their agency (the
    difference itself stays with the people in it and their line managers); seeing every difference (MASH, the
    partnership business unit) is not involvement."""
    def of_children(query):
        return query.where(only(ProfessionalDifference.child_id)) if only is not None else query

    stage = DifferenceStage
    return [
        of_children(select(*link_row(ProfessionalDifference.child_id, LinkVia.DIFFERENCE,
                                     user_id=ProfessionalDifference.raised_by_id))),
        *(of_children(select(*link_row(ProfessionalDifference.child_id, LinkVia.DIFFERENCE, user_id=lead))
                      .join(stage, stage.difference_id == ProfessionalDifference.id))
          for lead in (stage.raising_lead_id, stage.responding_lead_id)),
    ]


def _children_of(difference_ids):
    return select(ProfessionalDifference.child_id).where(ProfessionalDifference.id.in_(difference_ids))


LINKS = LinkSource(rows=_link_rows, watches=(
    Watch(ProfessionalDifference, "child_id", ("child_id", "raised_by_id")),
    Watch(DifferenceStage, "difference_id", ("difference_id", "raising_lead_id", "responding_lead_id"),
          _children_of),
))


def _involved_in(user, difference, people):
    """SQL clause on `difference` (an alias): `user`, someone they line-manage or one of `people` raised it or leads
    one of its stages. Correlated probes from that difference (its raiser, its stages' leads), so that checking a
    child costs that child's differences, not a set of every difference the user is in, which was built again for
    each child with a difference (2,500 differences read each time at 10x)."""
    raiser, raising, responding, stage = _RAISER, _RAISING_LEAD, _RESPONDING_LEAD, _STAGE
    raised = probe(select(raiser.id).where(raiser.id == difference.raised_by_id,
                                           or_(raiser.id.in_(people), raiser.line_manager_id == user.id)))
    staged = probe(select(stage.id)
                   .join(raising, raising.id == stage.raising_lead_id)
                   .join(responding, responding.id == stage.responding_lead_id)
                   .where(stage.difference_id == difference.id,
                          or_(raising.id.in_(people), responding.id.in_(people),
                              raising.line_manager_id == user.id, responding.line_manager_id == user.id)))
    return or_(raised, staged)


def visible_difference_or_404(difference_id: int, *options):
    return visible_or_404(ProfessionalDifference, "professional_difference", difference_id,
                          difference_scope(current_user), *options)


def register() -> None:
    from ..children import presence

    links.register(LINKS)
    # a difference about the child that the viewer may see: most people see none of a child's differences (only
    # the people in one, their managers, MASH and the partnership), and the page then reads nothing for them
    presence.register("differences", lambda child_id, scope: exists().where(ProfessionalDifference.child_id == child_id,
                                                                          scope), difference_scope)
