"""Precision and recall of ``nbgraduate lint`` per rule family on the hand-labelled real corpus.

Usage: ``python bench/bench_corpus.py [--labels FILE] [--corpus DIR] [--split SPLIT]
[--details] [--repeat N] [--check]``.

The labels (``tests/corpus/labels.jsonl``) say which defects a careful reviewer marks in real
eval notebooks of ``../shared/corpus/``; ``tests/corpus/LABELLING.md`` says how they are
written and how a finding is matched to a label, and this script does exactly that: per
labelled notebook and family, each finding is matched to at most one label in the same cell
whose row is within 2 of the finding's row, nearest first. Findings that match no label but
lie at a ``borderline`` entry (same cell and family, within 2 rows) are neither counted for nor
against the linter. The notebooks whose file
name's SHA-1 is 0 modulo 3 are the held-out split, reported apart from the tune split.

It also times linting the whole corpus in this process (every rule, one job), best of runs,
so a change that buys recall with speed shows here. It reports; it gates only with ``--check``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench_support import progress, seconds

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELS = REPO_ROOT / "tests" / "corpus" / "labels.jsonl"
#: ``../shared/corpus`` beside the checkout, or ``NBGRADUATE_CORPUS`` (as the tests read it).
DEFAULT_CORPUS = Path(os.environ.get("NBGRADUATE_CORPUS") or REPO_ROOT.parent / "shared" / "corpus")

#: Rule code prefix -> labelled family (LABELLING.md "What is labelled").
FAMILIES = {"NBG1": "models", "NBG2": "datasets", "NBG3": "seeds", "NBG4": "installs"}
FAMILY_ORDER = ("models", "datasets", "seeds", "installs")
SPLITS = ("tune", "held-out", "all")
#: A finding matches a label in the same cell at most this many rows away.
ROW_TOLERANCE = 2
RECALL_TARGET = 0.90
PRECISION_TARGET = 0.95


class LabelError(ValueError):
    """The label file is malformed; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Mark:
    """A labelled defect or borderline case: where it is and which family it belongs to."""

    cell: int
    row: int
    family: str
    text: str = ""
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class LabelledNotebook:
    file: str
    defects: tuple[Mark, ...]
    borderline: tuple[Mark, ...]

    @property
    def split(self) -> str:
        return "held-out" if is_held_out(self.file) else "tune"


@dataclass(frozen=True, slots=True)
class Found:
    """One lint finding of a labelled family, in the labels' coordinates."""

    cell: int
    row: int
    family: str
    code: str
    message: str


@dataclass(slots=True)
class Tally:
    """Counts for one family and split, plus what went unmatched (for ``--details``)."""

    labels: int = 0
    findings: int = 0
    matched_labels: int = 0
    matched_findings: int = 0
    borderline_findings: int = 0
    missed: list[tuple[str, Mark]] = field(default_factory=list)
    false_alarms: list[tuple[str, Found]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        counted = self.findings - self.borderline_findings
        return self.matched_findings / counted if counted else None

    @property
    def recall(self) -> float | None:
        return self.matched_labels / self.labels if self.labels else None

    def add(self, other: Tally) -> None:
        self.labels += other.labels
        self.findings += other.findings
        self.matched_labels += other.matched_labels
        self.matched_findings += other.matched_findings
        self.borderline_findings += other.borderline_findings
        self.missed += other.missed
        self.false_alarms += other.false_alarms


def is_held_out(file_name: str) -> bool:
    """LABELLING.md: a notebook is held out when its file name's SHA-1 is 0 modulo 3."""
    return int(hashlib.sha1(file_name.encode("utf-8")).hexdigest(), 16) % 3 == 0


def family_of(code: str) -> str | None:
    return FAMILIES.get(code[:4])


# --------------------------------------------------------------------------------------------
# Labels


def _mark(entry: object, where: str, *, needs_kind: bool) -> Mark:
    if not isinstance(entry, dict):
        raise LabelError(f"{where}: expected an object, got {type(entry).__name__}")
    cell, row, family = entry.get("cell"), entry.get("row"), entry.get("family")
    if not isinstance(cell, int) or cell < 1 or not isinstance(row, int) or row < 1:
        raise LabelError(f"{where}: 'cell' and 'row' must be integers from 1")
    if family not in FAMILY_ORDER:
        raise LabelError(f"{where}: 'family' must be one of {', '.join(FAMILY_ORDER)}")
    kind = entry.get("kind")
    if needs_kind and (not isinstance(kind, str) or family_of(kind) != family):
        raise LabelError(f"{where}: 'kind' {kind!r} is not a rule code of family {family}")
    text = entry.get("what") if needs_kind else entry.get("note")
    if not needs_kind:
        return Mark(cell, row, family, str(text or ""))
    return Mark(cell, row, family, f"{kind}: {text}", kind)


def load_labels(path: Path) -> list[LabelledNotebook]:
    """Read ``labels.jsonl``; a malformed line is a :class:`LabelError` naming it."""
    notebooks: list[LabelledNotebook] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise LabelError(f"{where}: not JSON ({error.msg})") from error
        if not isinstance(record, dict) or not isinstance(record.get("file"), str):
            raise LabelError(f"{where}: expected an object with a 'file' name")
        name = record["file"]
        if name in seen:
            raise LabelError(f"{where}: {name} is labelled twice")
        seen.add(name)
        defects, borderline = record.get("defects", []), record.get("borderline", [])
        if not isinstance(defects, list) or not isinstance(borderline, list):
            raise LabelError(f"{where}: 'defects' and 'borderline' must be lists")
        notebooks.append(
            LabelledNotebook(
                name,
                tuple(
                    _mark(d, f"{where} defect {i}", needs_kind=True) for i, d in enumerate(defects)
                ),
                tuple(
                    _mark(b, f"{where} borderline {i}", needs_kind=False)
                    for i, b in enumerate(borderline)
                ),
            )
        )
    return notebooks


# --------------------------------------------------------------------------------------------
# Matching


def _nearest_pairs(findings: Sequence[Found], marks: Sequence[Mark]) -> list[tuple[int, int]]:
    """Greedy one-to-one matching in the same cell within the row tolerance: a finding of the
    label's own rule first (so ``--details`` names the miss by the right rule when two rules of a
    family report one place), then nearest first; ties go to the earlier finding and the earlier
    mark, so the result is deterministic."""
    candidates = sorted(
        (m.kind is not None and f.code != m.kind, abs(f.row - m.row), fi, mi)
        for fi, f in enumerate(findings)
        for mi, m in enumerate(marks)
        if f.cell == m.cell and abs(f.row - m.row) <= ROW_TOLERANCE
    )
    used_findings: set[int] = set()
    used_marks: set[int] = set()
    pairs = []
    for _, _, fi, mi in candidates:
        if fi in used_findings or mi in used_marks:
            continue
        used_findings.add(fi)
        used_marks.add(mi)
        pairs.append((fi, mi))
    return pairs


def score_notebook(notebook: LabelledNotebook, findings: Iterable[Found]) -> dict[str, Tally]:
    """One tally per family for one labelled notebook."""
    tallies: dict[str, Tally] = {}
    found = list(findings)
    for family in FAMILY_ORDER:
        mine = [f for f in found if f.family == family]
        labels = [m for m in notebook.defects if m.family == family]
        tally = Tally(labels=len(labels), findings=len(mine))
        pairs = _nearest_pairs(mine, labels)
        tally.matched_labels = tally.matched_findings = len(pairs)
        matched_findings = {fi for fi, _ in pairs}
        matched_labels = {mi for _, mi in pairs}
        unmatched = [f for i, f in enumerate(mine) if i not in matched_findings]
        borderline = [m for m in notebook.borderline if m.family == family]
        # A borderline place is "neither expected nor held against the linter": every finding
        # there is excused (a config both NBG101 and NBG103 look at is one borderline place).
        excused = {
            fi
            for fi, f in enumerate(unmatched)
            if any(f.cell == m.cell and abs(f.row - m.row) <= ROW_TOLERANCE for m in borderline)
        }
        tally.borderline_findings = len(excused)
        tally.false_alarms = [
            (notebook.file, f) for i, f in enumerate(unmatched) if i not in excused
        ]
        tally.missed = [(notebook.file, m) for i, m in enumerate(labels) if i not in matched_labels]
        tallies[family] = tally
    return tallies


# --------------------------------------------------------------------------------------------
# Linting


def lint_findings(path: Path) -> tuple[list[Found], str | None]:
    """The labelled families' findings of every rule on one notebook, or the input error."""
    from nbgraduate.lint.linter import FileJob, lint_file
    from nbgraduate.lint.rules import ALL_CODES

    result = lint_file(FileJob(path, path.name, ALL_CODES))
    if result.error is not None:
        return [], str(result.error)
    found = []
    for diagnostic in result.diagnostics:
        family = family_of(diagnostic.code)
        if family is not None and diagnostic.cell is not None:
            found.append(
                Found(diagnostic.cell, diagnostic.row, family, diagnostic.code, diagnostic.message)
            )
    return found, None


def time_corpus(corpus: Path, repeat: int) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds to lint every notebook of the corpus with every rule, one process,
    per run. CPU time is the steadier figure on a shared machine."""
    from nbgraduate.lint.linter import FileJob, lint_file
    from nbgraduate.lint.rules import ALL_CODES

    files = sorted(corpus.glob("*.ipynb"))
    jobs = [FileJob(path, path.name, ALL_CODES) for path in files]
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        for job in jobs:
            lint_file(job)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu, len(files)


def evaluate(
    labels: Sequence[LabelledNotebook], corpus: Path
) -> tuple[dict[tuple[str, str], Tally], list[str]]:
    """Tallies by (family, split) for ``tune``, ``held-out`` and ``all``, and input errors."""
    tallies = {(family, split): Tally() for family in FAMILY_ORDER for split in SPLITS}
    errors = []
    for notebook in labels:
        path = corpus / notebook.file
        if not path.is_file():
            errors.append(f"{path}: labelled but not in the corpus")
            continue
        found, error = lint_findings(path)
        if error is not None:
            errors.append(error)
        for family, tally in score_notebook(notebook, found).items():
            tallies[family, notebook.split].add(tally)
            tallies[family, "all"].add(tally)
    return tallies, errors


# --------------------------------------------------------------------------------------------
# Report


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def meets_targets(tally: Tally) -> bool:
    precision, recall = tally.precision, tally.recall
    return (recall is None or recall >= RECALL_TARGET) and (
        precision is None or precision >= PRECISION_TARGET
    )


def render(
    tallies: dict[tuple[str, str], Tally], splits: Sequence[str], families: Sequence[str]
) -> str:
    header = (
        f"{'family':<9} {'split':<9} {'labels':>6} {'found':>6} {'match':>6} "
        f"{'border':>6} {'precision':>9} {'recall':>6}  target"
    )
    lines = [header, "-" * len(header)]
    for family in families:
        for split in splits:
            tally = tallies[family, split]
            verdict = "ok" if meets_targets(tally) else "MISSED"
            lines.append(
                f"{family:<9} {split:<9} {tally.labels:>6} {tally.findings:>6} "
                f"{tally.matched_labels:>6} {tally.borderline_findings:>6} "
                f"{_ratio(tally.precision):>9} {_ratio(tally.recall):>6}  {verdict}"
            )
    return "\n".join(lines)


def render_details(
    tallies: dict[tuple[str, str], Tally], split: str, families: Sequence[str]
) -> str:
    lines = []
    for family in families:
        tally = tallies[family, split]
        lines.append(
            f"\n{family} ({split}): {len(tally.missed)} missed, "
            f"{len(tally.false_alarms)} unmatched findings"
        )
        for file, mark in tally.missed:
            lines.append(f"  missed  {file} cell {mark.cell} row {mark.row}: {mark.text}")
        for file, found in tally.false_alarms:
            lines.append(
                f"  extra   {file} cell {found.cell} row {found.row}: {found.code} {found.message}"
            )
    return "\n".join(lines)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="labels.jsonl")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory")
    parser.add_argument(
        "--split", choices=SPLITS, help="report only this split (default: all three rows)"
    )
    parser.add_argument(
        "--family", choices=FAMILY_ORDER, action="append", help="report only these families"
    )
    parser.add_argument(
        "--details",
        action="store_true",
        help="list missed labels and unmatched findings of --split (tune when not given)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the corpus (3)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if not args.corpus.is_dir():
        print(f"error: corpus directory {args.corpus} does not exist", file=sys.stderr)
        return 2
    try:
        labels = load_labels(args.labels)
    except (OSError, LabelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    splits = (args.split,) if args.split else SPLITS
    families = tuple(args.family or FAMILY_ORDER)
    held_out = sum(1 for notebook in labels if notebook.split == "held-out")
    progress(f"linting {len(labels)} labelled notebooks")
    tallies, errors = evaluate(labels, args.corpus)
    print(
        f"labels: {args.labels} ({len(labels)} notebooks: {len(labels) - held_out} tune, "
        f"{held_out} held-out); corpus: {args.corpus}"
    )
    print(f"targets: precision >= {PRECISION_TARGET}, recall >= {RECALL_TARGET}")
    print(render(tallies, splits, families))
    if args.details:
        print(render_details(tallies, args.split or "tune", families))
    for error in errors:
        print(f"input error: {error}")
    if args.repeat > 0:
        progress(f"timing the whole corpus ({args.repeat} runs)")
        wall, cpu, count = time_corpus(args.corpus, args.repeat)
        print(
            f"\nlint time, whole corpus ({count} notebooks, every rule, one process): "
            f"wall best {seconds(min(wall))}, median {seconds(statistics.median(wall))}; "
            f"CPU best {seconds(min(cpu))}, median {seconds(statistics.median(cpu))}"
        )
    if args.check:
        missed = [
            (family, split)
            for family in families
            for split in splits
            if not meets_targets(tallies[family, split])
        ]
        return 1 if missed or errors else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
