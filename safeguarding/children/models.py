from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from ..types import UTCDateTime, one_of
from .characteristics import DISABILITY, DISABILITY_LABELS, ETHNICITY_CHOICES, ETHNICITY_LABELS


class Adversity(str, enum.Enum):
    """The nine family adversities the triennial analysis of serious case reviews found again and again."""

    DOMESTIC_ABUSE = "domestic_abuse"
    PARENTAL_MENTAL_HEALTH = "parental_mental_health"
    SUBSTANCE_MISUSE = "substance_misuse"
    PARENTAL_ACES = "parental_aces"
    POVERTY = "poverty"
    CRIMINALITY = "criminality"
    TRANSIENT_LIFESTYLE = "transient_lifestyle"
    MULTIPLE_PARTNERS = "multiple_partners"
    SOCIAL_ISOLATION = "social_isolation"


ADVERSITY_LABELS = {
    Adversity.DOMESTIC_ABUSE: "Domestic abuse",
    Adversity.PARENTAL_MENTAL_HEALTH: "Parental mental health problems",
    Adversity.SUBSTANCE_MISUSE: "Parental drug or alcohol misuse",
    Adversity.PARENTAL_ACES: "Parents' own adverse childhood experiences",
    Adversity.POVERTY: "Poverty",
    Adversity.CRIMINALITY: "Criminality",
    Adversity.TRANSIENT_LIFESTYLE: "Transient lifestyle (frequent moves)",
    Adversity.MULTIPLE_PARTNERS: "Multiple partners or changing household",
    Adversity.SOCIAL_ISOLATION: "Social isolation",
}

GENDERS = [("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Not known"),
           ("refused", "Refused (the child or family would not say)")]
LOOKED_AFTER = [("no", "Not looked after"), ("yes", "Looked after (section 20 or care order)"),
                ("unknown", "Not known")]


def full_name(first_name: str, last_name: str) -> str:
    """A child's name as reminders and deadlines say it (`Child.full_name`), from the columns alone."""
    return f"{first_name} {last_name}".strip()


def display_name(first_name: str, last_name: str, is_unborn: bool) -> str:
    """How a child is named on every page (`Child.display_name`), from the columns alone: for the lists and
    deadlines that read names, not records."""
    name = full_name(first_name, last_name)
    return f"{name} (unborn)" if is_unborn else name


class Child(db.Model):
    __tablename__ = "child"
    __table_args__ = (
        Index("ix_child_names", "last_name", "first_name"),
        Index("ix_child_dob", "date_of_birth"),
        #: the children list, newest first
        Index("ix_child_created", "created_at", "id"),
        #: restricted children, by id: "are any of these 60 children restricted?" probes it 60 times, where an index
        #: of the flag had the database read every restricted child (a thousand at ten times the largest
        #: partnership) and filter them
        Index("ix_child_restricted_id", "id", postgresql_where=text("restricted IS TRUE"),
              sqlite_where=text("restricted = 1")),
        one_of("gender", GENDERS),
        one_of("looked_after", LOOKED_AFTER),
        one_of("ethnicity_code", ETHNICITY_CHOICES),
        one_of("disability_status", DISABILITY),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    #: for an unborn child, date_of_birth is empty and expected_date is set
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    is_unborn: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(20), default="unknown")
    #: in the family's own words, beside the census category below
    ethnicity: Mapped[str] = mapped_column(String(100), default="")
    #: the children in need census's ethnicity code (characteristics.ETHNICITIES); empty until someone records it
    ethnicity_code: Mapped[str | None] = mapped_column(String(4))
    #: disability or communication needs, in words (an interview may need an intermediary)
    disability: Mapped[str] = mapped_column(String(500), default="")
    #: does the child have a disability: yes, no, not known, refused (characteristics.DISABILITY); empty until recorded
    disability_status: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(500), default="")
    #: the local authority's own case reference (e.g. from Mosaic or LiquidLogic)
    la_reference: Mapped[str | None] = mapped_column(String(50), index=True)
    #: 10 digits, unique across the partnership: one child, one record (empty when not known, for any number of
    #: children)
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    looked_after: Mapped[str] = mapped_column(String(10), default="no")
    responsible_authority: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: the agency that first recorded the child can always see the record it made
    created_by_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    #: a staff member's own child, a high-profile case: only the people named in `ChildAccess` see the child or
    #: anything linked to them (discussions, episodes, actions, differences), whatever their role
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: optimistic locking: a stale edit form is refused, never silently overwrites
    version: Mapped[int] = mapped_column(Integer, default=1)

    adversities: Mapped[list["FamilyAdversity"]] = relationship(
        back_populates="child", cascade="all, delete-orphan",
        order_by="[FamilyAdversity.recorded_at, FamilyAdversity.id]")

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.is_unborn)

    @property
    def ethnicity_label(self) -> str:
        return ETHNICITY_LABELS.get(self.ethnicity_code or "", "")

    @property
    def disability_label(self) -> str:
        return DISABILITY_LABELS.get(self.disability_status or "", "")

    @property
    def adversity_kinds(self) -> list[str]:
        """The distinct adversities reported, however many times each was reported."""
        return sorted({a.adversity for a in self.adversities})

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class FamilyAdversity(db.Model):
    """One report of a family adversity, by one person on one day: a second report of the same adversity is its
    own entry, so the record shows who said what and when, and how often it has come up."""

    __tablename__ = "family_adversity"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    adversity: Mapped[str] = mapped_column(String(40))
    #: what was seen or reported, in the words of whoever knows
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: the reporter's agency when they reported it (people move agencies; the report stays theirs)
    recorded_by_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))

    child: Mapped[Child] = relationship(back_populates="adversities")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    recorded_by_agency = relationship("Agency", foreign_keys=[recorded_by_agency_id])

    @property
    def label(self) -> str:
        return ADVERSITY_LABELS[Adversity(self.adversity)]


class ChildAccess(db.Model):
    """A person named on a restricted child's access list."""

    __tablename__ = "child_access"
    __table_args__ = (Index("ix_child_access_user_child", "user_id", "child_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")


class BreakGlass(db.Model):
    """Someone opened a child's record outside their scope, giving a reason: read-only, until `expires_at`, and
    listed for the managers of their agency to review."""

    __tablename__ = "break_glass"
    __table_args__ = (Index("ix_break_glass_user_expires", "user_id", "expires_at"),
                      Index("ix_break_glass_agency_opened", "agency_id", "opened_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: the person's agency when they did it: its managers review it even if the person moves on
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    child: Mapped[Child] = relationship()
    user = relationship("User", foreign_keys=[user_id], lazy="joined")


class LinkVia(str, enum.Enum):
    """How a child_link row lets people see a child (`children/links.py`)."""

    #: an agency recorded something about the child or was invited to a discussion about them: its staff see them
    AGENCY = "agency"
    #: a person owns, chairs, opened, is assigned or offered something about the child: they and their managers
    PERSON = "person"
    #: a person raised or leads a stage of a professional difference about the child: as PERSON, and also whoever
    #: line-manages them, whatever their role
    DIFFERENCE = "difference"
    #: the child has a missing episode, police protection or arrest: children's social care sees them (s46(3)(a))
    SOCIAL_CARE = "social_care"


class ChildLink(db.Model):
    """One reason someone may see a child, kept from the records that give it (`children/links.py`) in the same
    transaction as the change, so a practitioner's list checks each child with one index probe here rather than a
    dozen probes into discussions, actions, missing records and differences. Never written by hand: rebuilt for a
    child whenever a record that links people to them changes, and checkable against a rebuild from the records
    (`flask check-child-links`)."""

    __tablename__ = "child_link"
    __table_args__ = (Index("ix_child_link_child", "child_id", "via", "agency_id", "user_id"),
                      one_of("via", LinkVia))

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    via: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
