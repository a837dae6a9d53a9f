"""Initial schema: agents, clients with their substring-search index, invitations, outbox.

Revision ID: 0001
Revises: none
Create Date: 2026-12-03 16:39:42.995078
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "agents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["agents.id"], name=op.f("fk_agents_parent_id_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("inn", name=op.f("uq_agents_inn")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "locks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_locks")),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=False),
        sa.Column("short_name", sa.String(length=500), nullable=False),
        sa.Column("full_name", sa.String(length=1000), nullable=True),
        sa.Column("contact_name", sa.String(length=500), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("legal_form", sa.String(length=20), nullable=False),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("ogrn", sa.String(length=15), nullable=True),
        sa.Column("holder_name", sa.String(length=500), nullable=True),
        sa.Column("position", sa.String(length=500), nullable=True),
        sa.Column("login", sa.String(length=100), nullable=True),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("reminders_paused", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_clients_agent_id_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("inn", name=op.f("uq_clients_inn")),
        sa.UniqueConstraint("login", name=op.f("uq_clients_login")),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index("ix_clients_agent_id_id", ["agent_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clients_email_key"), ["email_key"], unique=False)
        batch_op.create_index("ix_clients_region_code_id", ["region_code", "id"], unique=False)
        batch_op.create_index("ix_clients_short_name_id", ["short_name", "id"], unique=False)
        batch_op.create_index("ix_clients_status_id", ["status", "id"], unique=False)

    op.create_table(
        "accreditations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=False),
        sa.Column("position", sa.String(length=500), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_accreditations_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accreditations")),
    )
    with op.batch_alter_table("accreditations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accreditations_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_applications_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_client_id"), ["client_id"], unique=False)

    op.create_table(
        "client_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_client_events_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_events")),
    )
    with op.batch_alter_table("client_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_events_client_id"), ["client_id"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("times_sent", sa.Integer(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_invitations_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_invitations_status_last_sent_at", ["status", "last_sent_at"], unique=False
        )

    op.create_table(
        "invite_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "invitation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_invite_tokens_invitation_id_invitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invite_tokens_token_hash")),
    )
    with op.batch_alter_table("invite_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invite_tokens_invitation_id"), ["invitation_id"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient_name", sa.String(length=500), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column(
            "invite_token_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_outbox_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["invite_token_id"],
            ["invite_tokens.id"],
            name=op.f("fk_outbox_invite_token_id_invite_tokens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    _create_search_index()


def _create_search_index() -> None:
    """Substring index on clients.search_text: FTS5 trigrams (SQLite), pg_trgm (PostgreSQL)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE clients_search USING fts5("
            "search_text, content='clients', content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            "CREATE TRIGGER clients_search_insert AFTER INSERT ON clients BEGIN "
            "INSERT INTO clients_search(rowid, search_text) VALUES (new.id, new.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER clients_search_delete AFTER DELETE ON clients BEGIN "
            "INSERT INTO clients_search(clients_search, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER clients_search_update AFTER UPDATE OF search_text ON clients BEGIN "
            "INSERT INTO clients_search(clients_search, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO clients_search(rowid, search_text) VALUES (new.id, new.search_text); END"
        )
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_clients_search_text_trgm ON clients "
            "USING gin (search_text gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS clients_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS clients_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_clients_search_text_trgm")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_outbox_client_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("invite_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_tokens_invitation_id"))

    op.drop_table("invite_tokens")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_status_last_sent_at")
        batch_op.drop_index(batch_op.f("ix_invitations_client_id"))

    op.drop_table("invitations")
    with op.batch_alter_table("client_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_events_client_id"))
        batch_op.drop_index(batch_op.f("ix_client_events_at"))

    op.drop_table("client_events")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_client_id"))

    op.drop_table("applications")
    with op.batch_alter_table("accreditations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accreditations_client_id"))

    op.drop_table("accreditations")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index("ix_clients_status_id")
        batch_op.drop_index("ix_clients_short_name_id")
        batch_op.drop_index("ix_clients_region_code_id")
        batch_op.drop_index(batch_op.f("ix_clients_email_key"))
        batch_op.drop_index("ix_clients_agent_id_id")

    op.drop_table("clients")
    op.drop_table("locks")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_parent_id"))

    op.drop_table("agents")
