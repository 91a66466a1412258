"""Agencies, users and their server-side sessions."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from ..types import UTCDateTime, one_of


class AgencyKind(str, enum.Enum):
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    POLICE = "police"
    HEALTH = "health"
    EDUCATION = "education"
    PROBATION = "probation"
    HOUSING = "housing"
    YOUTH_JUSTICE = "youth_justice"
    VOLUNTARY = "voluntary"
    #: the safeguarding partnership's business unit: sees every professional difference and is told when one
    #: reaches a formal stage (differences/); a partnership has one such agency, its staff are its users
    SAFEGUARDING_PARTNERSHIP = "safeguarding_partnership"
    OTHER = "other"

    @property
    def label(self) -> str:
        return AGENCY_KIND_LABELS[self]


AGENCY_KIND_LABELS = {
    AgencyKind.CHILDRENS_SOCIAL_CARE: "Children's social care",
    AgencyKind.POLICE: "Police",
    AgencyKind.HEALTH: "Health",
    AgencyKind.EDUCATION: "Education",
    AgencyKind.PROBATION: "Probation",
    AgencyKind.HOUSING: "Housing",
    AgencyKind.YOUTH_JUSTICE: "Youth justice",
    AgencyKind.VOLUNTARY: "Voluntary sector",
    AgencyKind.SAFEGUARDING_PARTNERSHIP: "Safeguarding partnership business unit",
    AgencyKind.OTHER: "Other",
}


class Role(str, enum.Enum):
    MASH = "mash"
    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.MASH: "MASH staff (convenes and records strategy discussions)",
    Role.PRACTITIONER: "Practitioner (police officer, social worker, health, education)",
    Role.MANAGER: "Manager (oversight of a team, escalations)",
    Role.ADMIN: "Administrator (users and agencies; no case data)",
}


class Agency(db.Model):
    __tablename__ = "agency"
    __table_args__ = (one_of("kind", AgencyKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    #: shared mailbox for the agency's safeguarding team; used when no named person is known
    shared_mailbox: Mapped[str | None] = mapped_column(String(254))
    #: the agency's safeguarding lead: told of an overdue deadline when its owner has no line manager here (a
    #: team manager's own action, say), so no escalation has nowhere to go
    safeguarding_lead_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", use_alter=True))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    users: Mapped[list["User"]] = relationship(back_populates="agency", foreign_keys="User.agency_id")
    safeguarding_lead: Mapped["User | None"] = relationship(foreign_keys=[safeguarding_lead_id])

    @property
    def kind_label(self) -> str:
        return AGENCY_KIND_LABELS[AgencyKind(self.kind)]

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Agency {self.id} {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (one_of("role", Role),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: stored lower-case; the sign-in identifier
    email: Mapped[str] = mapped_column(String(254), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    job_title: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), index=True)
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    is_active_user: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: wrong passwords in a row for this account, from any address: kept in the database so every web process and
    #: every attacker's address counts towards the same limit
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    #: no sign-in until then, however right the password (the page says the same as for a wrong one)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set when an administrator chose the password: the person must choose their own before doing anything else
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the authenticator app's shared secret (base32); set when set-up starts, in force once `mfa_enrolled_at` is
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last 30-second step a code was accepted for: a code is good once, never twice
    mfa_last_step: Mapped[int] = mapped_column(Integer, default=0)
    #: when an administrator last reset this person's codes (they are told at their next sign-in)
    mfa_reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the account an API client acts as (safeguarding/api): never a person, never active, not on the users pages
    is_service_account: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    agency: Mapped[Agency] = relationship(back_populates="users", lazy="joined", foreign_keys=[agency_id])
    line_manager: Mapped["User | None"] = relationship(remote_side=[id], foreign_keys=[line_manager_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.is_active_user)

    @property
    def awaiting_password(self) -> bool:
        """Imported with no password: they are emailed a link to choose one (once a second administrator approved the
        account, `role_requests`)."""
        from .passwords import NO_PASSWORD

        return self.password_hash == NO_PASSWORD

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)].split(" (")[0]

    def __repr__(self) -> str:  # pragma: no cover
        return f"<User {self.id} {self.email}>"


class UserSession(db.Model):
    """A signed-in session held on the server.

    The browser's cookie carries only an opaque token; its SHA-256 is looked up here on every request, so
    signing out, deactivation and password changes end sessions for real (a copied cookie is worthless).
    """

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_active", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why it ended: signed_out, idle, expired, deactivated, password_changed, admin
    revoked_reason: Mapped[str | None] = mapped_column(String(30))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code for signing in without the authenticator app (phone lost); stored hashed."""

    __tablename__ = "mfa_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: SHA-256 of the code: the codes are long and random, so a slow hash adds nothing
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


ROLE_REQUEST_STATUSES = ("pending", "approved", "rejected", "lapsed")
#: what a request asks for: a case role for an administrator's account, a change to how someone signs in (the
#: address their sign-in and password links go to; their sign-in codes), or a new account an administrator created
#: (nobody can sign in to it, nor be sent a set-password link, until a second administrator approves it)
REQUEST_KINDS = ("role", "email", "sign_in_codes", "new_account")
#: how a request is named on the pages, in the flash messages and in the notification
REQUEST_KIND_NAMES = {"role": "change of role", "email": "change of email address",
                      "sign_in_codes": "reset of sign-in codes", "new_account": "new account"}
#: a request nobody decided within this long lapses: it can no longer be approved, and can be asked for again
LAPSES_AFTER = timedelta(days=7)


class RoleRequest(db.Model):
    """A change to an account that one administrator may not make alone (separation of duties, `duties.py`): a case
    role for an administrator's account (the requester's own, or another administrator's), or a change that would
    let whoever asked sign in as someone with a case role (a new email address, a reset of sign-in codes). Nothing
    changes until a second administrator approves it: one administrator alone can never open a child's record.
    Decided requests are kept, so the trail shows both people.

    Every request records the account's role and agency as they were; `to_role`/`to_agency_id` differ from them
    only for a change of role."""

    __tablename__ = "role_request"
    __table_args__ = (
        one_of("status", ROLE_REQUEST_STATUSES),
        one_of("to_role", Role, name="to_role_allowed"),
        one_of("kind", REQUEST_KINDS, name="kind_allowed"),
        Index("ix_role_request_user_status", "user_id", "status"),
        # one change of each kind waiting per account: two administrators asking at the same moment each find none
        # waiting, and the second insert then waits for the first and is refused (service.RACE_CONSTRAINTS)
        Index("uq_role_request_waiting", "user_id", "kind", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(20), default="role", server_default="role")
    #: what the account was when asked: approval applies only to the account as the requester saw it
    from_role: Mapped[str] = mapped_column(String(20))
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    to_role: Mapped[str] = mapped_column(String(20))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    #: a change of email address: the address when asked, and the one asked for (stored lower-case)
    from_email: Mapped[str | None] = mapped_column(String(254))
    to_email: Mapped[str | None] = mapped_column(String(254))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
    from_agency: Mapped[Agency] = relationship(foreign_keys=[from_agency_id])
    to_agency: Mapped[Agency] = relationship(foreign_keys=[to_agency_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def to_role_label(self) -> str:
        return ROLE_LABELS[Role(self.to_role)].split(" (")[0]

    @property
    def what(self) -> str:
        """What is asked for, in words: a change of role, of email address, or a reset of sign-in codes."""
        return REQUEST_KIND_NAMES[self.kind]

    @property
    def lapses_at(self) -> datetime:
        return self.requested_at + LAPSES_AFTER

    @property
    def status_now(self) -> str:
        """The status as the pages show it: a request still pending after LAPSES_AFTER has lapsed, whether or not
        anyone has written that down yet (it is, when someone tries to decide it or asks again)."""
        if self.status == "pending" and now() >= self.lapses_at:
            return "lapsed"
        return self.status
