"""The guide's example, end to end through the CLI."""

import json

from tests.conftest import R_PHARM


def test_client_add_creates_pending_client_and_eml(cli, agent, home):
    name, inn, contact, region, email = R_PHARM
    result = cli(
        "client",
        "add",
        "--inn",
        inn,
        "--contact",
        contact,
        "--name",
        name,
        "--email",
        email,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["inn"] == inn
    assert data["status"] == "pending"
    assert data["status_label"] == "На рассмотрении"
    assert data["region"] == region
    emls = list((home / "outbox").glob("*.eml"))
    assert len(emls) == 1
    listing = json.loads(cli("client", "list", "--format", "json").stdout)
    assert listing["total"] == 1
    assert listing["clients"][0]["short_name"] == name
