"""Tables of the self-assessment: one row per assessment, its answers, its scores per domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class AssessmentStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class AssessmentKind(StrEnum):
    FULL = "full"
    # One question per life domain: a first picture in under two minutes, compared only with
    # other short checks (one question says less than several).
    SHORT = "short"


class Assessment(Base):
    """One pass through one version of the questionnaire; the progress lives here, not in FSM."""

    __tablename__ = "assessments"
    __table_args__ = (
        Index("ix_assessments_user_status", "user_id", "status"),
        # The desk's reports: self-assessments completed in a period.
        Index("ix_assessments_status_completed_at", "status", "completed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The questionnaire version it was started under; a newer file never changes it.
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=AssessmentStatus.IN_PROGRESS)
    kind: Mapped[str] = mapped_column(String(8), default=AssessmentKind.FULL, server_default="full")
    current_question: Mapped[str | None] = mapped_column(String(32))
    # The user's id while in progress, NULL once completed: a unique column that allows many
    # NULLs keeps one assessment in progress per person on SQLite and PostgreSQL alike.
    open_for: Mapped[int | None] = mapped_column(Integer, unique=True)
    # Next steps the person asked their mentor about, comma separated, so a second tap does
    # not message the mentor again.
    requested_steps: Mapped[str] = mapped_column(String(255), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A completed one stops being the person's latest when they complete the next: that moment,
    # set then (queries.supersede). The desk's reports find everyone's latest by a period's end
    # with a range read, not a search per person. NULL: still the latest, or not completed.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AssessmentAnswer(Base):
    __tablename__ = "assessment_answers"
    __table_args__ = (UniqueConstraint("assessment_id", "question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(32))
    option: Mapped[str | None] = mapped_column(String(32))
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    # Free text only, Fernet-encrypted with DATA_KEY: never stored or logged in the clear.
    sealed_text: Mapped[str | None] = mapped_column(Text)
    # NULL while the person has not yet said whether their mentor may read the text.
    shared_with_mentor: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssessmentScore(Base):
    """A domain's score, written when the assessment is completed, so staff figures are SQL."""

    __tablename__ = "assessment_scores"
    __table_args__ = (
        UniqueConstraint("assessment_id", "domain"),
        # The desk's reports read the latest ones' scores from the index alone.
        Index(
            "ix_assessment_scores_figures", "assessment_id", "domain", "average", "first_average"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(32), index=True)
    average: Mapped[float] = mapped_column(Float)  # 1.0 – 5.0 over the answered questions
    level: Mapped[int] = mapped_column(Integer)  # 1 – 5, what the bar shows
    answered: Mapped[int] = mapped_column(Integer)
    # The same domain's average in the person's first completed self-assessment, written with
    # a later one's scores (NULL in the first, or when the first had no score here): the
    # desk's "change since the first" needs no second look-up per person and domain.
    first_average: Mapped[float | None] = mapped_column(Float)
