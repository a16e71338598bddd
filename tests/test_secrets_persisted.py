"""No secret is written or printed beyond its first four characters: not by lint output, not
into a pipeline, its lock or its report, not into run records, exports or the dashboard.

Keys are assembled at run time, so no key-shaped literal sits in this file. Every test runs
the real command line (and, for ``run``, a real kernel) on files in a temp directory.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import nbformat
import pytest
from cli_runner import run_cli
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nbgraduate.knowledge import secrets

OPENAI_KEY = "sk-" + "proj-" + "Zq8rT2vB9mK4pL7wX3nC6yH1" * 2
GITHUB_TOKEN = "gh" + "p_" + "R4nd0mT0k3nV4lu3W1thD1g1ts9Xy8Zw7Vu6T"
HF_TOKEN = "hf" + "_" + "Qm7Lp2Xz9Rk4Tn6Wb3Yc8Vd1Fg5Hj0Ks"
URL_PASSWORD = "Tr0ub4dor" + "-3xK9"
SECRETS = (OPENAI_KEY, GITHUB_TOKEN, HF_TOKEN, URL_PASSWORD)


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        # Nothing beyond the first four characters of a secret may ever appear.
        assert secret[:5] not in text, (where, secret[:4])


def notebook_file(path: Path, *cells, parameters: str | None = None) -> Path:
    made = []
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        made.append(cell)
    made.extend(new_code_cell(c) if isinstance(c, str) else c for c in cells)
    notebook = new_notebook(cells=made)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def every_file_text(root: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace") for path in root.rglob("*") if path.is_file()
    )


# --- the shared patterns ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"pip install git+https://{GITHUB_TOKEN}@github.com/o/r.git", "@github.com/o/r.git"),
        (f"postgresql://evals:{URL_PASSWORD}@db.internal/evals", "postgresql://evals:"),
        ("git+https://Ab3dEf9hIj2kLm5nOp8q@gitlab.example.com/x", "@gitlab.example.com/x"),
    ],
)
def test_credentials_in_urls_are_masked(text: str, kept: str) -> None:
    shown = secrets.redact(text)
    assert kept in shown and "…" in shown
    assert "Ab3dEf9h" not in shown and URL_PASSWORD[:5] not in shown
    assert GITHUB_TOKEN[:5] not in shown


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://{user}:{password}@{host}/db",
        "mongodb://admin:${MONGO_PASSWORD}@localhost",
        "ssh://git@github.com/org/repo.git",
        "https://user@example.org/path",
        "http://user:pass@proxy:3128",
    ],
)
def test_templates_and_plain_user_names_in_urls_are_not_secrets(text: str) -> None:
    assert secrets.redact(text) == text


def test_example_ids_and_digests_are_kept_unless_they_are_keys() -> None:
    text = "refund-07 " + "a" * 64 + " sha256:" + "0f" * 32
    assert secrets.redact(text) == text


# --- lint -------------------------------------------------------------------------------------


def lint_json(cwd: Path, *args: str) -> list[dict]:
    result = run_cli(cwd, "lint", "--output-format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_nbg501_flags_literal_passwords_as_documented(tmp_path: Path) -> None:
    notebook_file(
        tmp_path / "db.ipynb",
        'db_password = "hunter2hunter2"\nsmtp_pass = "correct-horse-9"\nbypass = "x" * 40',
    )
    findings = lint_json(tmp_path, "db.ipynb", "--select", "NBG501")
    assert [f["location"]["row"] for f in findings] == [1, 2]
    assert not any("hunter" in f["message"] or "correc" in f["message"] for f in findings)


def test_nbg502_reads_every_textual_mime_type_but_not_images(tmp_path: Path) -> None:
    cell = new_code_cell("show()")
    cell.outputs = [
        # A DataFrame whose plain form is truncated: the key is only in its HTML table.
        new_output(
            "display_data",
            data={"text/plain": "   id  note\n0   1   ...", "text/html": f"<td>{OPENAI_KEY}</td>"},
        ),
        new_output(
            "display_data",
            data={"text/plain": "df", "application/json": {"token": HF_TOKEN}},
        ),
        new_output(
            "display_data",
            data={
                "text/plain": "chart",
                "image/svg+xml": f"<svg><desc>{GITHUB_TOKEN}</desc></svg>",
            },
        ),
        new_output("display_data", data={"text/plain": "img", "image/png": "iVBOR" + HF_TOKEN}),
    ]
    notebook_file(tmp_path / "out.ipynb", cell)
    findings = lint_json(tmp_path, "out.ipynb", "--select", "NBG502")
    messages = [f["message"] for f in findings]
    assert len(messages) == 3, messages
    for number in (1, 2, 3):
        assert any(f"output {number} " in message for message in messages), messages
    assert_no_secret(json.dumps(findings), "lint json")


def test_data_uri_payloads_are_not_read_for_keys(tmp_path: Path) -> None:
    # A key shape that base64 holds by chance (``/AKIA...+``) inside inline images, in an
    # HTML output and in a markdown cell; the real key after the image is still reported.
    chance = "AK" + "IA" + "Q7ZP3M2XK5R8T4WB"
    payload = "iVBORw0KGgo" + "Zm9vYmFy/+" * 30 + chance + "+" + "A" * 40 + "=="
    image = f'<img src="data:image/png;base64,{payload}"/>'
    cell = new_code_cell("show()")
    cell.outputs = [
        new_output("display_data", data={"text/plain": "fig", "text/html": image}),
        new_output("display_data", data={"text/plain": "fig", "text/html": image + HF_TOKEN}),
    ]
    notes = new_markdown_cell(f"![plot](data:image/png;base64,{payload})")
    notebook_file(tmp_path / "out.ipynb", notes, cell)
    findings = lint_json(tmp_path, "out.ipynb", "--select", "NBG501,NBG502")
    assert [(f["code"], f["message"].split(" contains a ")[0]) for f in findings] == [
        ("NBG502", "output 2 of this cell")
    ], findings
    assert "Hugging Face token" in findings[0]["message"]


def test_full_output_masks_a_secret_on_a_line_shown_for_another_finding(tmp_path: Path) -> None:
    notebook_file(
        tmp_path / "judge.ipynb",
        f'client.chat.completions.create(model="gpt-4o", api_key="{OPENAI_KEY}",'
        ' password="hunter2hunter2")',
    )
    result = run_cli(
        tmp_path, "lint", "judge.ipynb", "--select", "NBG101", "--output-format", "full"
    )
    assert result.returncode == 1, result.stderr
    assert "NBG101" in result.stdout
    assert_no_secret(result.stdout, "full output")
    assert "hunter2hunter2" not in result.stdout


# --- convert and lock -------------------------------------------------------------------------


def test_key_in_the_parameters_cell_is_never_lifted_into_a_default(tmp_path: Path) -> None:
    notebook_file(
        tmp_path / "judge.ipynb",
        'client.chat.completions.create(model="gpt-4o-2024-08-06", temperature=0)',
        parameters=f'api_key = "{OPENAI_KEY}"',
    )
    before = sorted(p.name for p in tmp_path.iterdir())

    result = run_cli(tmp_path, "convert", "judge.ipynb")

    assert result.returncode == 2, (result.stdout, result.stderr)
    (line,) = result.stderr.splitlines()
    assert "parameters cell" in line and "environment" in line, line
    assert_no_secret(result.stdout + result.stderr, "convert output")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_key_in_a_cell_is_refused_and_install_tokens_are_masked_in_the_report(
    tmp_path: Path,
) -> None:
    notebook_file(
        tmp_path / "judge.ipynb",
        f"%pip install git+https://{GITHUB_TOKEN}@github.com/acme/private-eval.git",
        f'OPENAI_API_KEY = "{OPENAI_KEY}"',
    )
    refused = run_cli(tmp_path, "convert", "judge.ipynb")
    assert refused.returncode == 2
    (line,) = refused.stderr.splitlines()
    assert "cell 2, line 1" in line and "environment" in line, line
    assert_no_secret(refused.stdout + refused.stderr, "convert refusal")

    notebook_file(
        tmp_path / "judge.ipynb",
        f"%pip install git+https://{GITHUB_TOKEN}@github.com/acme/private-eval.git",
        new_markdown_cell("Key comes from the environment."),
        'import os\nOPENAI_API_KEY = os.environ["OPENAI_API_KEY"]',
    )
    converted = run_cli(tmp_path, "convert", "judge.ipynb")
    assert converted.returncode in (0, 1), converted.stderr
    report = (tmp_path / "judge" / "CONVERSION.md").read_text(encoding="utf-8")
    assert "git+https://ghp_…@github.com/acme/private-eval.git" in report
    assert_no_secret(converted.stdout + converted.stderr, "convert output")
    assert_no_secret(every_file_text(tmp_path / "judge"), "pipeline files")


def test_lock_refuses_a_credential_default_or_help(tmp_path: Path) -> None:
    pipeline = tmp_path / "judge"
    notebook_file(pipeline / "judge.ipynb", "x = 1", parameters=f'hf_token: str = "{HF_TOKEN}"')
    (pipeline / "requirements.txt").write_text("", encoding="utf-8")

    result = run_cli(tmp_path, "lock", "judge")

    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "hf_token" in line and "environment" in line, line
    assert_no_secret(result.stdout + result.stderr, "lock output")
    assert not (pipeline / "nbgraduate.lock").exists()

    notebook_file(
        pipeline / "judge.ipynb",
        "x = 1",
        parameters=f'dataset: str = "https://evals:{URL_PASSWORD}@data.internal/golden.csv"',
    )
    result = run_cli(tmp_path, "lock", "judge")
    assert result.returncode == 2, result.stderr
    assert "environment" in result.stderr
    assert_no_secret(result.stdout + result.stderr, "lock output")
    assert not (pipeline / "nbgraduate.lock").exists()


# --- run records, exports and the dashboard ---------------------------------------------------


@pytest.fixture(scope="module")
def secret_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess]:
    """A pipeline whose notebook prints a key, records ids holding one and fails with a key in
    its error, run with a ``-p`` URL holding a password and a ``-p`` token."""
    root = tmp_path_factory.mktemp("secret-run")
    (root / ".git").mkdir()
    pipeline = root / "leaky"
    body = (
        "import nbgraduate\n"
        f"print('using', {OPENAI_KEY!r})\n"
        f"nbgraduate.record('score', [1.0, 0.0], ids=['refund-07', {HF_TOKEN!r}])\n"
        f"raise RuntimeError('auth failed for ' + {OPENAI_KEY!r})"
    )
    notebook_file(
        pipeline / "leaky.ipynb",
        body,
        parameters='endpoint: str = "https://example.invalid"  # API endpoint\n'
        'auth_token: str = ""  # from the environment',
    )
    (pipeline / "requirements.txt").write_text("", encoding="utf-8")
    # The notebook itself holds keys on purpose; lock it through the CLI all the same.
    locked = run_cli(root, "lock", "leaky")
    assert locked.returncode == 0, locked.stderr
    result = run_cli(
        root,
        "run",
        "leaky",
        "-p",
        f"endpoint=https://evals:{URL_PASSWORD}@db.internal/x",
        "-p",
        "auth_token=Zk29xQv81LmN47pWsT63",
        timeout=240,
    )
    return root, result


def test_run_output_and_stored_record_hold_no_secret(secret_run) -> None:
    root, result = secret_run
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert_no_secret(result.stdout + result.stderr, "run output")
    assert "Zk29xQv81LmN47pWsT63" not in result.stdout + result.stderr
    database = root / ".nbgraduate" / "runs.sqlite"
    with sqlite3.connect(database) as connection:
        (stored,) = connection.execute("SELECT record_json FROM runs").fetchone()
    assert_no_secret(stored, "stored record")
    record = json.loads(stored)
    assert record["parameters"]["endpoint"].startswith("https://evals:Tr0u…@db.internal")
    assert record["parameters"]["auth_token"] == "Zk29…"
    (series,) = record["metrics"]
    assert series["ids"] == ["refund-07", "hf_Q…"]
    assert "auth failed for sk-p" in record["status_detail"]


def test_runs_show_export_dashboard_and_artifacts_hold_no_secret(secret_run, tmp_path) -> None:
    root, result = secret_run
    run_id = result.stdout.split()[1].rstrip(":")
    shown = run_cli(root, "runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    assert_no_secret(shown.stdout, "runs show")
    exported = run_cli(root, "runs", "export", run_id, "-o", str(tmp_path / "run.json"))
    assert exported.returncode == 0, exported.stderr
    assert_no_secret((tmp_path / "run.json").read_text(encoding="utf-8"), "runs export")
    report = run_cli(root, "report", "-o", str(tmp_path / "dash"))
    assert report.returncode == 0, report.stderr
    assert_no_secret((tmp_path / "dash" / "index.html").read_text(encoding="utf-8"), "dashboard")
    executed = list((root / ".nbgraduate" / "runs").rglob("*.ipynb"))
    assert executed
    for notebook in executed:
        text = notebook.read_text(encoding="utf-8")
        assert_no_secret(text, "executed notebook")
        assert "Zk29xQv81LmN47pWsT63" not in text


def test_a_bad_parameter_value_is_masked_in_the_error(secret_run) -> None:
    root, _result = secret_run
    result = run_cli(root, "run", "leaky", "-p", OPENAI_KEY)
    assert result.returncode == 2
    assert "NAME=VALUE" in result.stderr
    assert_no_secret(result.stderr, "usage error")
