"""Who may see a strategy discussion and what belongs to it; registered with the core at app creation."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import and_, false, or_
from sqlalchemy.orm import aliased

from ..auth.access import (
    per_person,
    probe,
    broke_glass_for,
    may_see_cases,
    people_answered_for,
    sees_all_cases,
    visible_or_404,
)
from ..auth.models import User
from ..children import links
from ..children.links import LinkSource, Watch, link_row
from ..children.models import Child, ChildAccess, LinkVia
from ..extensions import db
from .models import (
    AgreedAction,
    DiscussionChild,
    Invitation,
    StrategyDiscussion,
    ThresholdDecision,
)

# --- Row scope: strategy discussions -------------------------------------------------------------------------
# The tables inside the probes, aliased once (see auth/access.py).
_CHILD_OF_DISCUSSION = aliased(DiscussionChild, name="scope_discussion_child")
_INVITATION = aliased(Invitation, name="scope_invitation")
_ACTION = aliased(AgreedAction, name="scope_action")
_DISCUSSION = aliased(StrategyDiscussion, name="scope_discussion")
_CHILD_OF_RESTRICTION = aliased(DiscussionChild, name="scope_restricted_discussion_child")
_RESTRICTED_CHILD = aliased(Child, name="scope_discussion_restricted_child")
_NAMED = aliased(ChildAccess, name="scope_discussion_named")
_MANAGER_ABOVE = aliased(User, name="manager_above")


@per_person
def discussion_scope(user):
    """SQL clause on StrategyDiscussion: MASH staff see all; others if their agency was invited (not merely
    recorded as "not invited"), they (or, for a manager, their agency's staff or team) own one of its agreed
    actions, or they broke glass for one of its children. A discussion about a restricted child is hidden from
    anyone not on that child's list."""
    if not may_see_cases(user):
        return false()
    allowed = ~_about_hidden_child(user, StrategyDiscussion.id)
    if sees_all_cases(user):
        return allowed
    about = _CHILD_OF_DISCUSSION
    glass = probe(db.select(about.id).where(about.discussion_id == StrategyDiscussion.id,
                                            broke_glass_for(user, about.child_id)))
    return and_(or_(_involved_in(user, StrategyDiscussion.id, StrategyDiscussion), glass), allowed)


def _about_hidden_child(user, discussion_id_column):
    """SQL clause: the discussion (by `discussion_id_column`) is about a restricted child `user` is not named for. A
    correlated probe from the discussion (its children, then each child's flag and access list): a NOT IN over every
    restricted child's discussions was hashed in full for each query, the partnership's size (1,522 rows, 4 ms at
    10x), not the page's."""
    about, child, named = _CHILD_OF_RESTRICTION, _RESTRICTED_CHILD, _NAMED
    return probe(db.select(about.id).join(child, child.id == about.child_id).where(
        about.discussion_id == discussion_id_column, child.restricted.is_(True),
        ~probe(db.select(named.child_id).where(named.child_id == child.id, named.user_id == user.id))))


def _involved_in(user, discussion_id_column, discussion=None):
    """SQL clause: the user's agency was invited to the discussion (by `discussion_id_column`; not merely recorded
    as "not invited"), or they (or the people they answer for) chair, opened, or own an action of it. Correlated
    EXISTS probes from the discussion: (agency, discussion) on invitations, discussion on actions. `discussion`:
    the StrategyDiscussion entity of that id when the query already has it (saves a probe)."""
    people = people_answered_for(user)
    invitation, action = _INVITATION, _ACTION
    invited = probe(db.select(invitation.id).where(
        invitation.discussion_id == discussion_id_column, invitation.agency_id == user.agency_id,
        invitation.status != "not_invited"))
    owns_action = probe(db.select(action.id).where(action.discussion_id == discussion_id_column,
                                                   action.owner_id.in_(people)))
    if discussion is None:
        discussion = _DISCUSSION
        runs = probe(db.select(discussion.id).where(discussion.id == discussion_id_column, or_(
            discussion.chair_id.in_(people), discussion.created_by_id.in_(people))))
    else:
        runs = or_(discussion.chair_id.in_(people), discussion.created_by_id.in_(people))
    return or_(invited, owns_action, runs)


def _children_of(discussion_ids):
    return db.select(DiscussionChild.child_id).where(DiscussionChild.discussion_id.in_(discussion_ids))


def _lock_discussions(discussion_ids):
    return (db.select(StrategyDiscussion.id).where(StrategyDiscussion.id.in_(discussion_ids))
            .order_by(StrategyDiscussion.id).with_for_update(key_share=True))


def _link_rows(only):
    """A child is visible to anyone involved in a discussion about them (`_involved_in`): their agency invited (not
    merely recorded as "not invited"), or they (and so the people who answer for them) chair, opened, or own an
    action of it. Break glass and restriction are the core's."""
    about = DiscussionChild

    def about_children(query):
        return query.where(only(about.child_id)) if only is not None else query

    return [
        about_children(db.select(*link_row(about.child_id, LinkVia.AGENCY, agency_id=Invitation.agency_id))
                       .join(Invitation, Invitation.discussion_id == about.discussion_id)
                       .where(Invitation.status != "not_invited")),
        about_children(db.select(*link_row(about.child_id, LinkVia.PERSON, user_id=AgreedAction.owner_id))
                       .join(AgreedAction, AgreedAction.discussion_id == about.discussion_id)),
        about_children(db.select(*link_row(about.child_id, LinkVia.PERSON, user_id=StrategyDiscussion.chair_id))
                       .join(StrategyDiscussion, StrategyDiscussion.id == about.discussion_id)
                       .where(StrategyDiscussion.chair_id.is_not(None))),
        about_children(db.select(*link_row(about.child_id, LinkVia.PERSON,
                                           user_id=StrategyDiscussion.created_by_id))
                       .join(StrategyDiscussion, StrategyDiscussion.id == about.discussion_id)
                       .where(StrategyDiscussion.created_by_id.is_not(None))),
    ]


LINKS = LinkSource(rows=_link_rows, watches=(
    Watch(DiscussionChild, "child_id", ("child_id", "discussion_id")),
    # a child joining or leaving: the discussion is locked as for a change to its invitations or actions, and all its
    # children rebuilt, so a change made at the same moment to who is invited reaches the new child too
    Watch(DiscussionChild, "discussion_id", ("child_id", "discussion_id"), _children_of, _lock_discussions),
    Watch(Invitation, "discussion_id", ("discussion_id", "agency_id", "status"), _children_of, _lock_discussions),
    Watch(AgreedAction, "discussion_id", ("discussion_id", "owner_id"), _children_of, _lock_discussions),
    Watch(StrategyDiscussion, "id", ("chair_id", "created_by_id"), _children_of, _lock_discussions),
))


def visible_discussion_or_404(discussion_id: int, *options):
    """The discussion if the signed-in user may see it; otherwise 404 (and an audited refusal)."""
    return visible_or_404(StrategyDiscussion, "strategy_discussion", discussion_id, discussion_scope(current_user),
                          *options)


#: made once, so that the statement with them is kept (`visible_or_404`)
_TO_DISCUSSION = {model: (StrategyDiscussion, StrategyDiscussion.id == model.discussion_id)
                  for model in (ThresholdDecision, AgreedAction)}


def _in_visible_discussion_or_404(model, object_type: str, object_id: int, options):
    """A row that belongs to a strategy discussion (via `discussion_id`), if the signed-in user may see that
    discussion; otherwise 404 (audited)."""
    return visible_or_404(model, object_type, object_id, discussion_scope(current_user), *options,
                          join=_TO_DISCUSSION[model])


def visible_decision_or_404(decision_id: int, *options):
    return _in_visible_discussion_or_404(ThresholdDecision, "threshold_decision", decision_id, options)


def visible_action_or_404(action_id: int, *options):
    return _in_visible_discussion_or_404(AgreedAction, "agreed_action", action_id, options)


def can_change_action(user, action) -> bool:
    """Only the owner, the discussion's chair and the owner's managers (line manager, and theirs) may complete,
    cancel or reassign an agreed action: a manager of some other agency, or MASH, may not."""
    return action.id in changeable_actions(user, [action])


def changeable_actions(user, actions) -> set[int]:
    """The ids of those of `actions` that `user` may change (`can_change_action`), with the owners' lines of
    management read in one statement for all of them, not a look-up per owner and per manager above them."""
    if not may_see_cases(user):
        return set()
    mine = {a.id for a in actions if user.id in (a.owner_id, a.discussion.chair_id)}
    others = [a for a in actions if a.id not in mine and a.owner_id]
    if not others:
        return mine
    managed = _managers_above({a.owner_id for a in others})
    return mine | {a.id for a in others if user.id in managed.get(a.owner_id, ())}


def _managers_above(people: set[int]) -> dict[int, set[int]]:
    """Each person's line manager, theirs, and so on up: person -> managers (a recursive query; UNION, not UNION
    ALL, so a loop in the lines of management ends)."""
    above = _MANAGER_ABOVE
    chain = (db.select(User.id.label("person_id"), User.line_manager_id.label("manager_id"))
             .where(User.id.in_(people), User.line_manager_id.is_not(None)).cte("management_chain", recursive=True))
    chain = chain.union(db.select(chain.c.person_id, above.line_manager_id)
                        .join(above, above.id == chain.c.manager_id).where(above.line_manager_id.is_not(None)))
    found: dict[int, set[int]] = {}
    for person_id, manager_id in db.session.execute(db.select(chain.c.person_id, chain.c.manager_id)):
        found.setdefault(person_id, set()).add(manager_id)
    return found


def register() -> None:
    links.register(LINKS)
