"""Catalogue tables.

Reference content is stored as one validated JSON document per item, next to the scalar
columns that identify and order it. The documents are written only by the loader, which
validates them against the public schemas first; the API never builds a row from a payload.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core import db  # noqa: F401  (sets the constraint naming convention before tables exist)


class Exercise(SQLModel, table=True):
    __tablename__ = "exercise"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    sort_order: int
    name: str = Field(max_length=120)
    category: str = Field(max_length=32, index=True)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class GuidanceItem(SQLModel, table=True):
    __tablename__ = "guidance_item"
    __table_args__ = (UniqueConstraint("kind", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    slug: str = Field(max_length=64)
    sort_order: int
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Dataset(SQLModel, table=True):
    """One row per dataset name: the version currently loaded."""

    __tablename__ = "dataset"

    name: str = Field(primary_key=True, max_length=32)
    version: str = Field(max_length=64)
    loaded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
