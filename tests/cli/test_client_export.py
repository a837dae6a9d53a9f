"""`bankon client export`: CSV for Excel that imports back unchanged, JSON, the list's filters."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

from tests.conftest import AGENT_INN, AGENT_NAME
from tests.helpers import service_agent, service_client, table_counts

EXPORT_HEADER = [
    "ИНН",
    "Наименование компании",
    "ФИО контактного лица",
    "Email",
    "Телефон",
    "Регион",
    "Статус клиента",
    "Агент",
]


def seed(app_ctx) -> None:  # type: ignore[no-untyped-def]
    service_agent(app_ctx)
    service_client(
        app_ctx,
        "7726311464",
        'АО "Р-ФАРМ; филиал"',
        "Игнатьев В.",
        "info@r-pharm.com",
        phone="+7 916 123-45-67",
    )
    service_client(app_ctx, "4346051140", "Новая Техника", "Ксения Абрамова", "k@nt.ru")
    service_client(app_ctx, "228999331903", "ИП Тестов А.Ю.", "70", "test@ip.ru")


def test_csv_export_has_bom_semicolons_and_the_importers_headers(cli, app_ctx):
    seed(app_ctx)
    result = cli("client", "export")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(result.stdout[1:]), delimiter=";"))
    assert rows == [
        EXPORT_HEADER,
        [
            "7726311464",
            'АО "Р-ФАРМ; филиал"',
            "Игнатьев В.",
            "info@r-pharm.com",
            "+79161234567",
            "г. Москва",
            "На рассмотрении",
            AGENT_NAME,
        ],
        [
            "4346051140",
            "Новая Техника",
            "Ксения Абрамова",
            "k@nt.ru",
            "",
            "Кировская область",
            "На рассмотрении",
            AGENT_NAME,
        ],
        [
            "228999331903",
            "ИП Тестов А.Ю.",
            "70",
            "test@ip.ru",
            "",
            "Алтайский край",
            "На рассмотрении",
            AGENT_NAME,
        ],
    ]


def test_exported_file_imports_back_as_unchanged(cli, app_ctx, tmp_path, home, db_url):
    seed(app_ctx)
    out = tmp_path / "clients.csv"
    result = cli("client", "export", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"Выгружено клиентов: 3 в {out}"
    assert out.read_bytes().startswith(codecs.BOM_UTF8)
    assert not Path(f"{out}.part").exists()
    before = table_counts(db_url)
    again = cli("client", "import", str(out), "--format", "json")
    assert again.exit_code == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["unknown_columns"] == []
    assert [row["status"] for row in report["rows"]] == ["unchanged"] * 3
    assert report["counts"]["unchanged"] == 3
    assert table_counts(db_url) == before
    assert not list((home / "outbox").glob("*.eml"))


def test_json_export_and_the_list_filters(cli, app_ctx, tmp_path):
    seed(app_ctx)
    service_agent(app_ctx, "7701234560", "ООО «Другой агент»")
    service_client(
        app_ctx, "7705923096", "Ромашка", "Вадим", "v@romashka.ru", agent_inn="7701234560"
    )
    everything = json.loads(cli("client", "export", "--format", "json").stdout)
    assert [client["inn"] for client in everything] == [
        "7726311464",
        "4346051140",
        "228999331903",
        "7705923096",
    ]
    assert set(everything[0]) >= {"inn", "short_name", "email", "region", "status", "agent_inn"}
    mine = json.loads(cli("client", "export", "-f", "json", "--agent", AGENT_INN).stdout)
    assert [client["inn"] for client in mine] == ["7726311464", "4346051140", "228999331903"]
    moscow = json.loads(cli("client", "export", "-f", "json", "--region", "77").stdout)
    assert [client["inn"] for client in moscow] == ["7726311464", "7705923096"]
    found = json.loads(cli("client", "export", "-f", "json", "--search", "ТЕХНИК").stdout)
    assert [client["inn"] for client in found] == ["4346051140"]
    assert json.loads(cli("client", "export", "-f", "json", "--status", "attached").stdout) == []
    out = tmp_path / "c.json"
    cli("client", "export", "-f", "json", "--search", "ип", "--out", str(out))
    assert [client["inn"] for client in json.loads(out.read_text(encoding="utf-8"))] == [
        "228999331903"
    ]
    bad = cli("client", "export", "--status", "lost")
    assert (bad.exit_code, bad.stderr.strip()) == (
        2,
        "Ошибка: --status: «lost» — допустимо: pending, attached, «На рассмотрении», «Закреплен»",
    )


def test_empty_export_is_a_header_only(cli, app_ctx):
    service_agent(app_ctx)
    result = cli("client", "export")
    assert result.exit_code == 0
    assert result.stdout == "\ufeff" + ";".join(EXPORT_HEADER) + "\r\n"
