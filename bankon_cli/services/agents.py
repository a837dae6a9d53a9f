"""Agents and sub-agents (the portal's «Мои агенты»), and which agent the operator acts for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bankon_cli.db.models import Agent, Client
from bankon_cli.domain.inn import InnError, parse_inn
from bankon_cli.errors import Conflict, InvalidInput, NotFound
from bankon_cli.services.validation import FIELD_AGENT_NAME, check_text


@dataclass(frozen=True)
class AgentView:
    inn: str
    name: str
    parent_inn: str | None
    parent_name: str | None
    clients: int
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "name": self.name,
            "parent_inn": self.parent_inn,
            "parent_name": self.parent_name,
            "clients": self.clients,
            "created_at": self.created_at.isoformat(),
        }


def parse_agent_inn(raw: str, field: str = "ИНН агента") -> str:
    try:
        return parse_inn(raw).value
    except InnError as error:
        raise InvalidInput(field, str(error)) from None


def add_agent(
    session: Session, *, inn: str, name: str, parent_inn: str | None, now: datetime
) -> AgentView:
    value = parse_agent_inn(inn)
    clean_name, problem = check_text(FIELD_AGENT_NAME, name)
    if problem:
        raise InvalidInput(problem.field, problem.problem)
    parent: Agent | None = None
    if parent_inn:
        parent = find_agent(session, parse_agent_inn(parent_inn, "ИНН головного агента"))
        if parent.inn == value:
            raise InvalidInput("--parent", "агент не может быть своим собственным головным агентом")
    if session.scalar(select(Agent.id).where(Agent.inn == value)) is not None:
        raise Conflict(f"Агент с ИНН {value} уже есть")
    agent = Agent(
        inn=value, name=clean_name, parent_id=parent.id if parent else None, created_at=now
    )
    session.add(agent)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"Агент с ИНН {value} уже есть") from None
    return AgentView(
        value, clean_name, parent.inn if parent else None, parent.name if parent else None, 0, now
    )


def find_agent(session: Session, inn: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.inn == inn))
    if agent is None:
        raise NotFound(f"Агент с ИНН {inn} не найден; список агентов: bankon agent list")
    return agent


def list_agents(session: Session) -> list[AgentView]:
    parent = aliased(Agent)
    counts = (
        select(Client.agent_id, func.count().label("clients")).group_by(Client.agent_id).subquery()
    )
    rows = session.execute(
        select(Agent, parent.inn, parent.name, func.coalesce(counts.c.clients, 0))
        .outerjoin(parent, Agent.parent_id == parent.id)
        .outerjoin(counts, counts.c.agent_id == Agent.id)
        .order_by(Agent.name, Agent.id)
    ).all()
    return [
        AgentView(agent.inn, agent.name, parent_inn, parent_name, clients, agent.created_at)
        for agent, parent_inn, parent_name, clients in rows
    ]


def agent_with_subagents(session: Session, agent: Agent) -> list[int]:
    """The agent's id and every descendant's, as the portal shows sub-agents' clients too."""
    tree = select(Agent.id).where(Agent.id == agent.id).cte("tree", recursive=True)
    tree = tree.union_all(select(Agent.id).where(Agent.parent_id == tree.c.id))
    return list(session.scalars(select(tree.c.id)))


def resolve_current_agent(session: Session, *, flag_inn: str | None, configured_inn: str) -> Agent:
    """`--agent`, else BANKON_AGENT or the config file, else the only agent in the database."""
    if flag_inn:
        return find_agent(session, parse_agent_inn(flag_inn, "--agent"))
    if configured_inn:
        return find_agent(session, parse_agent_inn(configured_inn, "BANKON_AGENT / agent.inn"))
    agents = list(session.scalars(select(Agent).limit(2)))
    if len(agents) == 1:
        return agents[0]
    if not agents:
        raise InvalidInput(
            "Агент",
            "в базе нет ни одного агента; добавьте его: "
            "bankon agent add --inn ИНН --name НАИМЕНОВАНИЕ",
        )
    raise InvalidInput(
        "Агент",
        "не выбран: укажите --agent ИНН, переменную BANKON_AGENT или agent.inn в конфигурации",
    )
