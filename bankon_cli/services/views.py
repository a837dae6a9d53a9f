"""The client as every output shows it: one row shape for tables, JSON and CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bankon_cli.domain.inn import LegalForm
from bankon_cli.domain.regions import region_name
from bankon_cli.domain.statuses import ClientStatus

CLIENT_JSON_KEYS = (
    "inn",
    "short_name",
    "contact_name",
    "email",
    "phone",
    "region",
    "legal_form",
    "active_applications",
    "agent_inn",
    "agent_name",
    "status",
    "status_label",
    "created_at",
)


@dataclass(frozen=True)
class ClientRow:
    inn: str
    short_name: str
    contact_name: str
    email: str
    phone: str | None
    region_code: str
    legal_form: str
    active_applications: int | None
    agent_inn: str
    agent_name: str
    status: str
    created_at: datetime

    @property
    def region(self) -> str:
        return region_name(self.region_code)

    @property
    def status_label(self) -> str:
        try:
            return ClientStatus(self.status).label
        except ValueError:
            return self.status

    @property
    def legal_form_label(self) -> str:
        try:
            return LegalForm(self.legal_form).label
        except ValueError:
            return self.legal_form

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "contact_name": self.contact_name,
            "email": self.email,
            "phone": self.phone,
            "region": self.region,
            "legal_form": self.legal_form,
            "active_applications": self.active_applications,
            "agent_inn": self.agent_inn,
            "agent_name": self.agent_name,
            "status": self.status,
            "status_label": self.status_label,
            "created_at": self.created_at.isoformat(),
        }
