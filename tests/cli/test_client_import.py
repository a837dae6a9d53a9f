"""`bankon client import` end to end: real files, exit codes, errors file, dry run, stdin."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import AGENT_INN
from tests.helpers import query_rows, service_agent, table_counts

HEADER = ["ИНН", "Наименование компании", "ФИО контактного лица", "Email", "Комментарий"]
ZERO_INN = "0105123458"  # valid, region 01: Excel turns it into 105123458


def write_csv(
    path: Path, rows: list[list[str]], *, encoding: str = "cp1251", delimiter: str = ";"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def emls(home: Path) -> int:
    return len(list((home / "outbox").glob("*.eml")))


def statuses(stdout: str) -> list[tuple[int, str, str]]:
    return [(row["line"], row["inn"], row["status"]) for row in json.loads(stdout)["rows"]]


def test_cp1251_file_with_rejections_exits_5_and_the_corrected_errors_file_imports(
    cli, agent, tmp_path, home, db_url
):
    source = write_csv(
        tmp_path / "clients.csv",
        [
            HEADER,
            ["7726311464", "АО Р-ФАРМ", "Игнатьев В.", "info@r-pharm.com", "из выставки"],
            ["4346051140", 'ООО "Новая Техника; филиал"', "Ксения Абрамова", "k@nt", ""],
            ["105123458", "Адыгея-Строй", "Хабахов А.", "a@adyg.ru", "звонить утром"],
            ["3257031038", "Крахмал", "Viktor", "v@krahmal.ru", ""],
        ],
    )
    errors = tmp_path / "errors.csv"
    result = cli("client", "import", str(source), "--errors-out", str(errors), "--format", "json")
    assert result.exit_code == 5
    assert statuses(result.stdout) == [
        (2, "7726311464", "created"),
        (3, "4346051140", "rejected"),
        (4, "105123458", "rejected"),
        (5, "3257031038", "created"),
    ]
    report = json.loads(result.stdout)
    assert report["encoding"] == "cp1251" and report["delimiter"] == ";"
    assert report["unknown_columns"] == ["Комментарий"]
    assert report["counts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "rejected": 2,
        "total": 4,
    }
    assert report["mail"] == {"queued": 2, "sent": 2, "failed": 0}
    assert result.stderr.splitlines() == [
        "Файл " + str(source) + ": кодировка Windows-1251, разделитель «;»",
        "Внимание: столбцы «Комментарий» не распознаны и пропущены",
        f"Отклонённые строки записаны в {errors}: исправьте их и загрузите этот файл снова",
        "Приглашений отправлено: 2",
        "Ошибка: отклонено строк: 2 из 4",
    ]
    assert emls(home) == 2
    with errors.open(encoding="cp1251", newline="") as handle:
        rejected = list(csv.reader(handle, delimiter=";"))
    assert rejected == [
        ["Причина отклонения", *HEADER],
        [
            "Строка 3: Email: «k@nt» — в домене нет точки",
            "4346051140",
            'ООО "Новая Техника; филиал"',
            "Ксения Абрамова",
            "k@nt",
            "",
        ],
        [
            "Строка 4: ИНН: «105123458» — 9 цифр вместо 10: похоже, Excel отбросил ведущий ноль "
            "(ИНН 0105123458); в Excel выделите столбец ИНН, выберите «Формат ячеек», затем "
            "«Текстовый», исправьте значения и сохраните CSV снова",
            "105123458",
            "Адыгея-Строй",
            "Хабахов А.",
            "a@adyg.ru",
            "звонить утром",
        ],
    ]
    # The person fixes the two cells and imports the very same file again, reason column and all.
    rejected[1][4] = "k@nt.ru"
    rejected[2][1] = ZERO_INN
    write_csv(errors, rejected)
    again = cli("client", "import", str(errors), "--format", "json")
    assert again.exit_code == 0, again.stderr
    assert statuses(again.stdout) == [(2, "4346051140", "created"), (3, ZERO_INN, "created")]
    assert json.loads(again.stdout)["unknown_columns"] == ["Комментарий"]
    assert table_counts(db_url)["clients"] == 4
    assert query_rows(db_url, "SELECT region_code FROM clients WHERE inn = :inn", inn=ZERO_INN) == [
        {"region_code": "01"}
    ]
    assert emls(home) == 4


def test_missing_required_column_exits_2_before_anything_is_written(
    cli, agent, tmp_path, home, db_url
):
    source = write_csv(
        tmp_path / "no-contact.csv",
        [
            ["ИНН", "Наименование компании", "Email"],
            ["7726311464", "АО Р-ФАРМ", "info@r-pharm.com"],
        ],
    )
    before = table_counts(db_url)
    result = cli("client", "import", str(source))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Ошибка: Файл {source}: нет обязательного столбца «ФИО контактного лица» (или Контакты, "
        "Контактное лицо); столбцы в файле: «ИНН», «Наименование компании», «Email». "
        "Ничего не загружено"
    )
    assert result.stdout == ""
    assert table_counts(db_url) == before
    assert emls(home) == 0


def test_dry_run_reports_the_outcome_and_writes_and_sends_nothing(
    cli, agent, tmp_path, home, db_url
):
    cli(
        "client",
        "add",
        "--inn",
        "3257031038",
        "--contact",
        "Viktor",
        "--name",
        "Крахмал",
        "--email",
        "v@krahmal.ru",
    )
    source = write_csv(
        tmp_path / "clients.csv",
        [
            HEADER[:4],
            ["7726311464", "АО Р-ФАРМ", "Игнатьев В.", "info@r-pharm.com"],
            ["3257031038", "Крахмал", "Viktor", "v@krahmal.ru"],
            ["77263114", "Короткий", "К.", "k@k.ru"],
        ],
        encoding="utf-8-sig",
        delimiter=",",
    )
    before, mails = table_counts(db_url), emls(home)
    result = cli("client", "import", str(source), "--dry-run", "--format", "json")
    assert result.exit_code == 5
    report = json.loads(result.stdout)
    assert report["dry_run"] is True and report["encoding"] == "utf-8-sig"
    assert statuses(result.stdout) == [
        (2, "7726311464", "created"),
        (3, "3257031038", "unchanged"),
        (4, "77263114", "rejected"),
    ]
    assert report["mail"] == {"queued": 1, "sent": 0, "failed": 0}
    assert table_counts(db_url) == before
    assert emls(home) == mails
    real = cli("client", "import", str(source), "--format", "json")
    assert statuses(real.stdout) == statuses(result.stdout)
    assert json.loads(real.stdout)["counts"] == report["counts"]


def test_stdin_dash_reads_utf8_with_bom_and_tabs(cli, agent, db_url):
    text = (
        "\ufeffinn\tname\tcontact\te-mail\tphone\n"
        "7726311464\tАО Р-ФАРМ\tИгнатьев\tinfo@r-pharm.com\t8 916 123 45 67\n"
    )
    result = cli("client", "import", "-", "--format", "json", stdin=text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["file"] == "<stdin>"
    assert statuses(result.stdout) == [(2, "7726311464", "created")]
    assert query_rows(db_url, "SELECT phone FROM clients") == [{"phone": "+79161234567"}]


def test_stdin_of_a_real_process_in_cp1251(env, db_url, tmp_path):
    env = dict(env, BANKON_AGENT=AGENT_INN)
    bankon = [sys.executable, "-m", "bankon_cli.main"]
    subprocess.run(
        [*bankon, "agent", "add", "--inn", AGENT_INN, "--name", "Агент"],
        env=env,
        check=True,
        capture_output=True,
    )
    data = (
        "ИНН;Контакты;Краткое наименование организации;Эл. почта\r\n"
        "7726311464;Игнатьев;АО Р-ФАРМ;info@r-pharm.com\r\n"
    ).encode("cp1251")
    result = subprocess.run(
        [*bankon, "client", "import", "-", "--format", "json"],
        input=data,
        env=env,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["encoding"] == "cp1251"
    assert report["counts"]["created"] == 1
    assert query_rows(db_url, "SELECT short_name, contact_name FROM clients") == [
        {"short_name": "АО Р-ФАРМ", "contact_name": "Игнатьев"}
    ]


def test_summary_table_for_people(cli, agent, tmp_path):
    source = write_csv(
        tmp_path / "c.csv",
        [
            HEADER[:4],
            ["7726311464", "АО Р-ФАРМ", "Игнатьев", "info@r-pharm.com"],
            ["7726311464", "X", "Y", "y@y.ru"],
        ],
    )
    result = cli("client", "import", str(source), "--no-invite")
    assert result.exit_code == 5
    lines = [" ".join(line.split()) for line in result.stdout.splitlines() if line.strip()]
    assert "3 7726311464 Отклонён ИНН: 7726311464 повторяет строку 2" in lines
    for expected in (
        "Добавлен 1",
        "Обновлён 0",
        "Без изменений 0",
        "Пропущен 0",
        "Отклонён 1",
        "Всего 2",
    ):
        assert expected in lines
    assert "Приглашений" not in result.stdout


def test_unreadable_file_and_bad_options_exit_2(cli, agent, tmp_path):
    missing = cli("client", "import", str(tmp_path / "nope.csv"))
    assert (missing.exit_code, missing.stderr.strip()) == (
        2,
        f"Ошибка: Файл {tmp_path / 'nope.csv'}: не найден",
    )
    source = write_csv(
        tmp_path / "c.csv",
        [HEADER[:4], ["7726311464", "АО Р-ФАРМ", "Игнатьев", "info@r-pharm.com"]],
    )
    wrong = cli("client", "import", str(source), "--encoding", "utf-8")
    assert wrong.exit_code == 2
    assert wrong.stderr.strip() == (
        f"Ошибка: Файл {source}: строка 1: байт 0xC8 не читается в кодировке UTF-8 с BOM; "
        "укажите верную кодировку: --encoding cp1251 или --encoding utf-8"
    )
    delimiter = cli("client", "import", str(source), "--delimiter", "#")
    assert delimiter.exit_code == 2
    assert (
        delimiter.stderr.strip() == "Ошибка: --delimiter: «#» — допустимо: auto, «;», «,», tab, «|»"
    )
    empty = write_csv(tmp_path / "empty.csv", [[""], []])
    result = cli("client", "import", str(empty))
    assert (result.exit_code, result.stderr.strip().splitlines()[-1]) == (
        2,
        f"Ошибка: Файл {empty}: пуст: нет строки заголовка. Ничего не загружено",
    )


def test_on_existing_update_and_agent_option(cli, tmp_path, db_url, app_ctx):
    service_agent(app_ctx)
    service_agent(app_ctx, "7701234560", "ООО «Другой агент»")
    source = write_csv(
        tmp_path / "c.csv",
        [HEADER[:4], ["7726311464", "АО Р-ФАРМ", "Игнатьев", "info@r-pharm.com"]],
    )
    no_agent = cli("client", "import", str(source))
    assert no_agent.exit_code == 2
    assert no_agent.stderr.strip().endswith(
        "Агент: не выбран: укажите --agent ИНН, переменную BANKON_AGENT "
        "или agent.inn в конфигурации"
    )
    assert cli("client", "import", str(source), "--agent", AGENT_INN).exit_code == 0
    changed = write_csv(
        tmp_path / "c2.csv",
        [HEADER[:4], ["7726311464", "АО Р-ФАРМ", "Игнатьев В. П.", "info@r-pharm.com"]],
    )
    other = cli(
        "client",
        "import",
        str(changed),
        "--agent",
        "7701234560",
        "--on-existing",
        "update",
        "--format",
        "json",
    )
    assert statuses(other.stdout) == [(2, "7726311464", "skipped")]
    assert json.loads(other.stdout)["rows"][0]["message"] == (
        "Клиент с ИНН 7726311464 уже закреплён за другим агентом"
    )
    mine = cli(
        "client",
        "import",
        str(changed),
        "--agent",
        AGENT_INN,
        "--on-existing",
        "update",
        "--format",
        "json",
    )
    assert mine.exit_code == 0
    assert statuses(mine.stdout) == [(2, "7726311464", "updated")]
    assert query_rows(db_url, "SELECT contact_name FROM clients") == [
        {"contact_name": "Игнатьев В. П."}
    ]
    strict = cli("client", "import", str(source), "--agent", AGENT_INN, "--on-existing", "error")
    assert strict.exit_code == 5


def test_errors_file_that_cannot_be_created_stops_before_the_import(cli, agent, tmp_path, db_url):
    source = write_csv(
        tmp_path / "c.csv",
        [HEADER[:4], ["7726311464", "АО Р-ФАРМ", "Игнатьев", "info@r-pharm.com"]],
    )
    target = tmp_path / "no-such-folder" / "errors.csv"
    result = cli("client", "import", str(source), "--errors-out", str(target))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"Ошибка: --errors-out: не удалось создать файл {target}: нет такой папки"
    )
    assert table_counts(db_url)["clients"] == 0


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(env, tmp_path, app_ctx):
    from bankon_cli.cli.client_import import ImportRequest, run_client_import
    from bankon_cli.context import AppContext

    service_agent(app_ctx)
    source = write_csv(
        tmp_path / "c.csv",
        [HEADER[:4], ["7726311464", "АО Р-ФАРМ", "Игнатьев", "info@r-pharm.com"]],
    )
    terminal = AppContext(
        settings=app_ctx.settings,
        stdout=io.StringIO(),
        stderr=TerminalStream(),
        clock=app_ctx.clock,
    )
    run_client_import(terminal, ImportRequest(path=str(source), as_json=True, invite=False))
    assert "Импорт" in terminal.stderr.getvalue()  # type: ignore[attr-defined]
    piped = AppContext(
        settings=app_ctx.settings, stdout=io.StringIO(), stderr=io.StringIO(), clock=app_ctx.clock
    )
    run_client_import(piped, ImportRequest(path=str(source), as_json=True, invite=False))
    assert piped.stderr.getvalue() == (  # type: ignore[attr-defined]
        f"Файл {source}: кодировка Windows-1251, разделитель «;»\n"
    )
    assert json.loads(piped.stdout.getvalue())["counts"]["unchanged"] == 1  # type: ignore[attr-defined]
    terminal.close()
    piped.close()
