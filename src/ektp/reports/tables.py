"""A report table: what the page shows, the API returns and every export writes."""

from dataclasses import dataclass, field


@dataclass
class Table:
    key: str  # coverage, backlog, flow, growth, stock, election
    title: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[dict] = field(default_factory=list)
    total: dict | None = None

    @property
    def labels(self) -> list[str]:
        return [str(label) for _, label in self.columns]

    def values(self, row: dict) -> list:
        return [row.get(key) for key, _ in self.columns]

    def all_rows(self) -> list[dict]:
        return self.rows + ([self.total] if self.total else [])

    def as_lists(self) -> list[list]:
        return [self.values(row) for row in self.all_rows()]

    @property
    def rendered_rows(self) -> list[dict]:
        """For templates: each row's region code (for drill-down links) and its cells."""
        return [{"code": row.get("code"), "cells": self.values(row)} for row in self.rows]

    @property
    def rendered_total(self) -> dict | None:
        return {"cells": self.values(self.total)} if self.total else None
