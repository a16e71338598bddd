"""``nbgraduate run --cluster``: real ``dask scheduler`` and ``dask worker`` processes on
127.0.0.1 run a sharded, repeated pipeline; a worker killed mid-task is replaced and its task
rescheduled; a worker that sees other bytes than the run verified fails the task; Ctrl-C
records the run as interrupted.

The cluster is started once for this module (a test kills one of its workers; the nanny
starts it again) and always stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_cluster import DaskCluster, dask_missing
from tiny_pipelines import CLI_TIMEOUT_S, cli, git, new_project, run_id_of, show, write_pipeline

from nbgraduate.runs.records import RunStatus

pytestmark = pytest.mark.skipif(dask_missing() is not None, reason=str(dask_missing()))

EXAMPLES = 40

PARAMETERS = (
    "dataset: str = '../../data/qa.csv'\n"
    "seed: int = 0\n"
    "hold: str = ''\n"
    "shard_index: int = 0\n"
    "shard_count: int = 1\n"
)

#: Scores this task's shard; with ``hold`` set, leaves ``<shard>-<pid of the process that
#: started the kernel>`` there (a Dask worker) and waits, so a test can act mid-task.
SCORE = (
    "import csv, os, time\n"
    "import nbgraduate\n"
    "if hold:\n"
    "    open(os.path.join(hold, f'{shard_index}-{os.getppid()}'), 'w').close()\n"
    "    time.sleep(4)\n"
    "with open(dataset, encoding='utf-8') as handle:\n"
    "    rows = nbgraduate.shard(list(csv.DictReader(handle)), key=lambda row: row['id'])\n"
    "scores = [1.0 if int(row['answer']) % 2 == 0 else 0.0 for row in rows]\n"
    "nbgraduate.record('correct', scores, ids=[row['id'] for row in rows])\n"
    "nbgraduate.record('examples', len(rows))\n"
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskCluster]:
    running = DaskCluster(workers=2)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = new_project(tmp_path / "project")
    rows = "".join(f"q{number},{number}\n" for number in range(EXAMPLES))
    (root / "data" / "qa.csv").write_text("id,answer\n" + rows, encoding="utf-8")
    write_pipeline(root / "evals" / "even", PARAMETERS, SCORE)
    locked = cli(root, "lock", "evals/even")
    assert locked.returncode == 0, locked.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "pipeline")
    return root


def _ids_once_per_repeat(record, repeats: int) -> None:
    series = [s for s in record.metrics if s.name == "correct"]
    assert sorted(s.repeat for s in series) == list(range(repeats))
    for one in series:
        assert one.shard is None
        assert sorted(one.ids) == sorted(f"q{number}" for number in range(EXAMPLES))
        assert len(one.ids) == len(set(one.ids)) == len(one.values)


def test_a_sharded_repeated_run_on_two_workers_is_one_record(
    cluster: DaskCluster, project: Path
) -> None:
    result = cli(
        project,
        "run",
        "evals/even",
        "--cluster",
        cluster.address,
        "--repeats",
        "2",
        "--shards",
        "2",
        # Only what the lock is computed from is shipped: the dataset beside the pipeline is
        # read where this checkout has it (a shared filesystem) and checked by digest there.
        "--ship-limit",
        "0",
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert f"2 shards each, on {cluster.address}" in result.stdout
    record = show(project, run_id_of(result))
    assert record.status == RunStatus.PASSED
    assert (record.cluster, record.shards) == (cluster.address, 2)
    _ids_once_per_repeat(record, repeats=2)
    # Scalars stay per shard; the shards' sizes add up to the whole set.
    scalars = [s for s in record.metrics if s.name == "examples"]
    assert sorted((s.repeat, s.shard) for s in scalars) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert sum(s.values[0] for s in scalars if s.repeat == 0) == EXAMPLES
    assert sorted((t.repeat, t.shard) for t in record.tasks) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    # Every worker holds the run's bundle, so Dask spreads the tasks instead of piling them
    # beside the one copy.
    assert {t.worker for t in record.tasks} == {"w1", "w2"}
    assert all(t.attempts == 1 and t.status == RunStatus.PASSED for t in record.tasks)
    # Shard parameters are run-time parameters: not in the record's (or the lock's) contract.
    assert "shard_index" not in record.parameters and "shard_count" not in record.parameters
    assert record.seeds == [0, 1]
    # Each task's executed notebook came back and was stored with the run.
    executed = {t.executed_notebook for t in record.tasks}
    listing = cli(project, "runs", "files", "latest", "--pipeline", "evals/even")
    assert listing.returncode == 0, listing.stderr
    for name in executed:
        assert name is not None and Path(name).name in listing.stdout


def test_a_worker_killed_mid_task_is_rescheduled_and_every_example_counted_once(
    cluster: DaskCluster, project: Path, tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    hold.mkdir()
    command = [sys.executable, "-m", "nbgraduate", "run", "evals/even"]
    command += ["--cluster", cluster.address, "--shards", "2", "-p", f"hold={hold}"]
    environment = {key: value for key, value in os.environ.items() if key != "CI_PROJECT_DIR"}
    with subprocess.Popen(
        command, cwd=project, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as running:
        # The worker to kill runs a task *and* holds the run's pipeline bundle, the harder
        # case: what it held must be had again for the rescheduled task.
        shard, worker_pid = _task_on_the_bundle_holder(cluster, hold, running)
        os.kill(worker_pid, signal.SIGKILL)
        stdout, stderr = running.communicate(timeout=CLI_TIMEOUT_S)
    assert running.returncode == 0, (stdout, stderr)
    record = show(project, run_id_of(subprocess.CompletedProcess([], 0, stdout.decode(), "")))
    assert record.status == RunStatus.PASSED
    _ids_once_per_repeat(record, repeats=1)
    attempts = {task.shard: task.attempts for task in record.tasks}
    assert attempts[shard] == 2, attempts
    assert f"repeat 0 shard {shard}: 2 attempts" in stdout.decode()
    cluster.wait_for_workers(2)  # the nanny brings the worker back for the next tests


def _task_on_the_bundle_holder(
    cluster: DaskCluster, hold: Path, running: subprocess.Popen[bytes]
) -> tuple[int, int]:
    """``(shard, worker pid)`` of a task running on the worker holding the bundle."""
    from distributed import Client

    deadline = time.monotonic() + 60
    with Client(cluster.address, timeout=30) as client:
        pids = client.run(os.getpid)
        while True:
            assert running.poll() is None, running.communicate()
            assert time.monotonic() < deadline, "no task started on the bundle's worker"
            holders = [
                address
                for key, addresses in client.who_has().items()
                if str(key).endswith("-bundle")
                for address in addresses
            ]
            started = dict(
                (int(pid), int(shard))
                for shard, pid in (marker.name.split("-") for marker in hold.iterdir())
            )
            for address in holders:
                if pids.get(address) in started:
                    return started[pids[address]], pids[address]
            time.sleep(0.05)


def test_a_worker_that_sees_other_bytes_fails_the_task_naming_the_file_and_both_digests(
    cluster: DaskCluster, project: Path
) -> None:
    from nbgraduate.lock.digests import file_sha256
    from nbgraduate.lock.locking import verify_pipeline
    from nbgraduate.runs.cluster import build_bundle, connect, execute_on_cluster
    from nbgraduate.runs.executor import ExecutionRequest

    pipeline = project / "evals" / "even"
    data = project / "data" / "qa.csv"
    _locked, current, drifts = verify_pipeline(pipeline)
    assert drifts == []
    verified = file_sha256(data)
    # Nothing shipped: the worker reads the dataset where the run did, and checks it there.
    bundle = build_bundle(
        pipeline,
        "even.ipynb",
        current.lock.model_dump_json(),
        [("../../data/qa.csv", data, verified)],
        ship_limit=0,
    )
    assert "../../data/qa.csv" not in bundle.files and "even.ipynb" in bundle.files
    assert bundle.linked["../../data/qa.csv"] == str(data)
    data.write_text(data.read_text(encoding="utf-8") + "q999,3\n", encoding="utf-8")
    seen = file_sha256(data)
    request = ExecutionRequest(
        notebook=pipeline / "even.ipynb",
        output_dir=project / "out" / "executed",
        parameters={"dataset": "../../data/qa.csv", "seed": 0, "hold": ""},
        seed_parameter="seed",
        base_seed=0,
    )
    connection = connect(cluster.address)
    try:
        [outcome] = execute_on_cluster(request, connection, bundle, "tampered-run")
    finally:
        connection.close()
    assert outcome.result.status == RunStatus.INFRASTRUCTURE_ERROR
    detail = outcome.result.detail or ""
    assert outcome.worker in {"w1", "w2"}
    assert f"worker {outcome.worker}: dataset ../../data/qa.csv at {data}" in detail
    assert f"has sha256 {seen}, the run verified {verified}" in detail
    assert outcome.result.executed_notebook is None  # it never ran


def test_a_worker_checks_the_pipeline_and_its_environment_against_the_lock(
    cluster: DaskCluster, project: Path
) -> None:
    import shutil

    import nbformat

    from nbgraduate.lock.builder import compute_lock
    from nbgraduate.lock.digests import file_sha256
    from nbgraduate.runs.cluster import build_bundle, connect, execute_on_cluster
    from nbgraduate.runs.executor import ExecutionRequest

    data = project / "data" / "qa.csv"
    dataset = [("../../data/qa.csv", data, file_sha256(data))]
    pipeline = project / "evals" / "even"
    lock = compute_lock(pipeline).lock
    # Bytes changed in transit (or a different checkout behind a shared path): the lock
    # recomputed on the worker no longer matches the one the run verified.
    changed = build_bundle(pipeline, "even.ipynb", lock.model_dump_json(), dataset, 1 << 20)
    notebook = nbformat.reads(changed.files["even.ipynb"].decode(), as_version=4)
    notebook.cells[1].source += "\nscores = [1.0 for _ in scores]\n"
    changed.files["even.ipynb"] = nbformat.writes(notebook).encode()
    # A pipeline locking a requirement the workers do not have.
    other = project / "evals" / "needs"
    shutil.copytree(pipeline, other)
    (other / "even.ipynb").rename(other / "needs.ipynb")
    (other / "requirements.txt").write_text("nbg-absent==1.0\n", encoding="utf-8")
    needs = compute_lock(other).lock
    lacking = build_bundle(other, "needs.ipynb", needs.model_dump_json(), dataset, 1 << 20)
    connection = connect(cluster.address)
    try:
        details = []
        for name, directory, bundle in (
            ("changed", pipeline, changed),
            ("lacking", other, lacking),
        ):
            request = ExecutionRequest(
                notebook=directory / bundle.notebook,
                output_dir=project / "out" / name,
                parameters={"dataset": "../../data/qa.csv", "seed": 0, "hold": ""},
                seed_parameter=None,
                base_seed=None,
            )
            [outcome] = execute_on_cluster(request, connection, bundle, f"check-{name}")
            assert outcome.result.status == RunStatus.INFRASTRUCTURE_ERROR
            details.append(outcome.result.detail or "")
    finally:
        connection.close()
    assert "the pipeline differs from what the run verified: notebook" in details[0]
    assert "lacks locked requirements: nbg-absent: locked 1.0, not installed" in details[1]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _signal_masks(pid: int) -> str:
    """The process's blocked and ignored signal masks (Linux), to tell on failure whether a
    SIGINT could have been delivered at all: both are inherited from the process that spawned it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return "no /proc"
    return " ".join(line for line in status.splitlines() if line.startswith(("SigBlk", "SigIgn")))


def test_ctrl_c_cancels_the_tasks_and_records_the_run_as_interrupted(
    cluster: DaskCluster, project: Path, tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    hold.mkdir()
    command = [sys.executable, "-m", "nbgraduate", "run", "evals/even"]
    command += ["--cluster", cluster.address, "--repeats", "3", "-p", f"hold={hold}"]
    environment = {key: value for key, value in os.environ.items() if key != "CI_PROJECT_DIR"}
    with subprocess.Popen(
        command,
        cwd=project,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A shell without job control starts a background command (`pytest &`) with SIGINT
        # ignored, which every child inherits and Python then respects: give the run the
        # default disposition, as an interactive terminal does.
        preexec_fn=_default_sigint,
    ) as running:
        deadline = time.monotonic() + 60
        while not any(hold.iterdir()):
            assert running.poll() is None, running.communicate()
            assert time.monotonic() < deadline, "no task started"
            time.sleep(0.05)
        masks = _signal_masks(running.pid)
        running.send_signal(signal.SIGINT)
        stdout, stderr = running.communicate(timeout=CLI_TIMEOUT_S)
    assert running.returncode == 3, (masks, stdout, stderr)
    record = show(project, run_id_of(subprocess.CompletedProcess([], 3, stdout.decode(), "")))
    assert record.status == RunStatus.INFRASTRUCTURE_ERROR
    assert "interrupted" in (record.status_detail or "")
    assert {task.status for task in record.tasks} == {RunStatus.INFRASTRUCTURE_ERROR}
    assert all((task.detail or "").startswith("interrupted") for task in record.tasks)


def test_a_cluster_that_cannot_be_reached_or_named_is_said_in_one_line(tmp_path: Path) -> None:
    project = new_project(tmp_path / "p")
    write_pipeline(project / "evals" / "even", PARAMETERS, SCORE)
    (project / "data" / "qa.csv").write_text("id,answer\nq0,0\n", encoding="utf-8")
    assert cli(project, "lock", "evals/even").returncode == 0
    misnamed = cli(project, "run", "evals/even", "--cluster", "scheduler:8786")
    assert misnamed.returncode == 2
    assert "--cluster 'scheduler:8786': expected a scheduler address" in misnamed.stderr
    # Nothing listens on port 9 of the loopback interface; Dask's connect timeout is shortened.
    unreachable = cli(
        project,
        "run",
        "evals/even",
        env={
            "NBGRADUATE_CLUSTER": "tcp://127.0.0.1:9",
            "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s",
        },
    )
    assert unreachable.returncode == 3, (unreachable.stdout, unreachable.stderr)
    [line] = unreachable.stderr.strip().splitlines()
    assert line.startswith("error: cluster tcp://127.0.0.1:9: cannot connect:")
