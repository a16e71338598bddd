"""Plan a notebook's graduation: what becomes a parameter, what is rewritten, what needs a human.

The linter's analysis says where the eval contract lives (model ids, sampling parameters,
datasets, thresholds, sample sizes, seeds, prompts); the planner turns each place into an edit
for :mod:`nbgraduate.graduate.rewrite` and a line of the conversion report.
"""

from __future__ import annotations

import ast
import json
import os
import posixpath
import uuid
from pathlib import Path

from nbgraduate.analysis.call_flow import CallFlow
from nbgraduate.analysis.context import NotebookAnalysis
from nbgraduate.analysis.dataset_reads import DatasetRead, remote_pin_problem
from nbgraduate.analysis.facts import dotted_name
from nbgraduate.analysis.gates import point_estimate_gates
from nbgraduate.analysis.llm_calls import (
    llm_call_kind,
    seed_keyword_for,
    sets_temperature,
    unseeded_temperatures,
)
from nbgraduate.analysis.model_refs import is_commit_sha
from nbgraduate.analysis.randomness import is_unseeded_sampler
from nbgraduate.core import regex_cache
from nbgraduate.core.positions import Position
from nbgraduate.graduate.paths import plan_paths
from nbgraduate.graduate.result import (
    ConversionOptions,
    ConversionRefused,
    ConversionResult,
    HumanTask,
)
from nbgraduate.graduate.rewrite import CellEdits, RewriteError, Span, rewrite_cell
from nbgraduate.knowledge.install_commands import parse_install_line
from nbgraduate.knowledge.model_policy import ModelPolicyConfig, policy_for
from nbgraduate.lint.linter import lint_notebook
from nbgraduate.lock.builder import PROMPTS_DIRNAME
from nbgraduate.notebook.model import Notebook
from nbgraduate.notebook.parameters import (
    PARAMETERS_TAG,
    SHARD_PARAMETERS,
    Parameter,
    parse_parameters_cell,
    render_parameters_cell,
    type_of,
)

_PROMPT_NAME = regex_cache.compile(
    r"(?i)prompt|template|instruction|rubric|system|persona|guideline"
)
_PROMPT_KEYWORDS = frozenset({"system", "instructions", "prompt", "template", "system_prompt"})
_MIN_PROMPT_CHARS = 200
_IDENTIFIER = regex_cache.compile(r"[^0-9a-zA-Z_]+")
_SEEDED_FAMILIES = {
    "random": ("random", "{module}.seed(seed)"),
    "numpy.random": ("numpy", "{module}.random.seed(seed)"),
    "torch": ("torch", "{module}.manual_seed(seed)"),
}
_FLOAT_PARAMETERS = ("temperature", "top_p", "threshold", "fraction", "test_size")
#: The lint code whose finding a lifted value answers, for "needs a human" lines.
_LIFT_CODES = {
    "dataset": "NBG201",
    "seed": "NBG301",
    "threshold": "NBG601",
    "judge model": "NBG101",
    "candidate model": "NBG101",
}
#: One help text per kind of sampling parameter, whatever call it came from.
_SAMPLING_HELP = {
    "temperature": "LLM sampling temperature",
    "top_p": "LLM nucleus sampling top_p",
    "max_tokens": "LLM maximum tokens per answer",
    "seed": "LLM sampling seed",
}
_JUDGE_FUNCTION = regex_cache.compile(r"(?i)judg|grade|grading|evaluat|critic|scor|rate|assess")
_SEED_CALLS = frozenset(
    {"random.seed", "numpy.random.seed", "torch.manual_seed", "set_seed", "seed_everything"}
)


def _remote_dataset_problem(read: DatasetRead) -> str | None:
    if read.verified_by:
        return None  # the fetcher checks the bytes' digest (pooch known_hash=...)
    if read.kind == "hub":
        return None if is_commit_sha(read.revision) else "no commit revision"
    return remote_pin_problem(read.path)


def _where(position: Position) -> str:
    return f"cell {position.cell_index + 1}, line {position.row}"


class ConversionPlanner:
    """Decides what becomes a parameter, what is rewritten, and what needs a human."""

    def __init__(
        self,
        notebook: Notebook,
        source_dir: Path,
        target: Path,
        options: ConversionOptions,
        result: ConversionResult,
    ) -> None:
        self.notebook = notebook
        self.source_dir = source_dir
        self.target = target
        self.options = options
        self.result = result
        self.context = NotebookAnalysis(notebook, policy_for(ModelPolicyConfig()))
        self.edits: dict[int, CellEdits] = {}
        self.parameters: dict[str, Parameter] = {}
        self.by_value: dict[tuple[str, object], str] = {}
        self.handled_nodes: set[int] = set()
        self.prompt_files: dict[str, str] = {}
        self.removed_cells: set[int] = set()
        self.module_assignments = self._module_assignments()
        self.taken_names = set(self.context.facts.bindings) | set(self.context.facts.imports)
        self.paths = plan_paths(self.context, source_dir, target)
        self.call_flow = CallFlow(self.context.values)
        self.parameters_cell: int | None = None
        self.parameters_cell_movable = True
        self.existing_parameters: set[str] = set()

    # -- planning ---------------------------------------------------------------------------
    def plan(self) -> None:
        self._existing_parameter_cells()
        self._models()
        self._sampling()
        self._datasets()
        self._thresholds()
        self._sample_sizes()
        self._seeds()
        self._prompts()
        self._relative_paths()
        self._installs()
        self._shards()
        self.result.parameters = list(self.parameters.values())

    def _cell_edits(self, cell_index: int) -> CellEdits:
        return self.edits.setdefault(cell_index, CellEdits())

    def _span(self, node: ast.AST) -> tuple[int, Span]:
        start = self.context.position(node)
        end = self.context.end_position(node)
        return start.cell_index, Span(start.row, start.column, end.row, end.column)

    def _module_assignments(self) -> dict[str, list[ast.Assign | ast.AnnAssign]]:
        assignments: dict[str, list[ast.Assign | ast.AnnAssign]] = {}
        for statement in self.notebook.program.body:
            targets: list[ast.expr] = []
            if isinstance(statement, ast.Assign):
                targets = statement.targets
            elif isinstance(statement, ast.AnnAssign):
                targets = [statement.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    assignments.setdefault(target.id, []).append(statement)
        for binding_list in self.context.facts.bindings.values():
            for binding in binding_list:
                if (
                    binding.scope is None
                    and binding.key is None
                    and not isinstance(binding.node, (ast.Assign, ast.AnnAssign))
                ):
                    assignments.setdefault(binding.name, []).append(binding.node)  # type: ignore[arg-type]
        return assignments

    def _constant_assignment(self, node: ast.AST) -> ast.Assign | ast.AnnAssign | None:
        """The module-level ``NAME = <node>`` that is NAME's only assignment, if any."""
        for name, statements in self.module_assignments.items():
            if len(statements) != 1:
                continue
            statement = statements[0]
            if getattr(statement, "value", None) is node:
                targets = (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                if len(targets) == 1 and isinstance(targets[0], ast.Name) and targets[0].id == name:
                    return statement
        return None

    def _fresh_name(self, base: str) -> str:
        base = _IDENTIFIER.sub("_", base).strip("_").lower() or "value"
        if base[0].isdigit():
            base = f"p_{base}"
        name, counter = base, 2
        while name in self.parameters or name in self.taken_names:
            name = f"{base}_{counter}"
            counter += 1
        return name

    def _lift(
        self, node: ast.expr, value: object, base_name: str, help_text: str, what: str
    ) -> str | None:
        """Make the literal ``node`` a parameter; returns the parameter's name."""
        if id(node) in self.handled_nodes:
            return None
        self.handled_nodes.add(id(node))
        statement = self._constant_assignment(node)
        used_in = self._span(statement if statement is not None else node)[0]
        if self._before_parameters(used_in):
            self.result.human.append(
                HumanTask(
                    _LIFT_CODES.get(what, "NBG702"),
                    f"{what} {value!r} is used before the notebook's parameters cell "
                    f"(cell {self.parameters_cell + 1}, which reads earlier cells' names and "
                    "cannot move to the top); move it into that cell by hand",
                    _where(self.context.position(node)),
                )
            )
            return None
        kind = type_of(value)
        if base_name.endswith(_FLOAT_PARAMETERS) and kind == "int":
            # ``temperature=0`` is still a float knob: ``-p temperature=0.7`` must be accepted.
            # The default keeps the value as written (``0``, not ``0.0``), so a notebook that
            # prints or formats it behaves as before.
            kind = "float"
        if statement is not None:
            target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
            name = target.id  # type: ignore[union-attr]
            cell_index, span = self._span(statement)
            self._cell_edits(cell_index).remove_statements.add((span.row, span.column))
            self.parameters[name] = Parameter(name, kind, value, help_text)
            self.result.lifted.append(f"{what} {value!r}: `{name}` moved into the parameters cell")
            return name
        reuse_key = (base_name, repr(value))
        name = self.by_value.get(reuse_key)
        if name is None:
            name = self._fresh_name(base_name)
            self.by_value[reuse_key] = name
            self.parameters[name] = Parameter(name, kind, value, help_text)
        cell_index, span = self._span(node)
        self._cell_edits(cell_index).replace_expressions[span] = name
        self.result.lifted.append(
            f"{what} {value!r} ({_where(self.context.position(node))}): now `{name}`"
        )
        return name

    def _existing_parameter_cells(self) -> None:
        """Keep the notebook's own parameters cell whole: its statements stay, simple literal
        assignments get a type annotation, computed values stay computed, and the parameters
        conversion lifts are appended to it. Later ``parameters`` cells lose only their tag.
        """
        cell = next(
            (c for c in self.notebook.cells if c.cell_type == "code" and PARAMETERS_TAG in c.tags),
            None,
        )
        if cell is None:
            return
        self.parameters_cell = cell.index
        declared = {p.name: p for p in parse_parameters_cell(cell.source)}
        statements = [
            statement
            for statement in self.notebook.program.body
            if self.context.position(statement).cell_index == cell.index
        ]
        self.parameters_cell_movable = _self_contained(statements)
        computed: list[str] = []
        edits = self._cell_edits(cell.index)
        for statement in statements:
            for node in ast.walk(statement):
                if not (isinstance(node, ast.Constant) and id(node) in self.paths.literals):
                    self.handled_nodes.add(id(node))
            target = _single_name_target(statement)
            if target is None:
                continue
            parameter = declared.get(target)
            if parameter is None:
                computed.append(target)
                continue
            self.parameters.setdefault(target, parameter)
            self.existing_parameters.add(target)
            if isinstance(statement, ast.Assign):
                _cell, span = self._span(statement)
                edits.annotate[(span.row, span.column)] = parameter.type
        kept = f"parameters cell {cell.number} kept whole"
        if computed:
            kept += "; computed values stay computed: " + ", ".join(f"`{n}`" for n in computed)
        self.result.lifted.append(kept)

    def _unsafe_before_parameters(self, cell_index: int, what: str, node: ast.AST) -> bool:
        if not self._before_parameters(cell_index):
            return False
        self.result.human.append(
            HumanTask(
                "NBG702",
                f"{what} would use a parameter before the notebook's parameters cell "
                f"(cell {self.parameters_cell + 1}, which cannot move to the top); "
                "not done, do it by hand",
                _where(self.context.position(node)),
            )
        )
        return True

    def _before_parameters(self, cell_index: int) -> bool:
        """Whether a parameter used in ``cell_index`` would be read before it is defined: the
        notebook's own parameters cell stays where it is when it cannot move to the top."""
        return (
            self.parameters_cell is not None
            and not self.parameters_cell_movable
            and cell_index < self.parameters_cell
        )

    def _models(self) -> None:
        for shell in self.context.shell_model_references:
            where = _where(shell.start)
            if shell.model_id is None:
                task = f"{shell.role} model {shell.name} comes from `%store -r`; set it here"
                self.result.human.append(HumanTask("NBG102", task, where))
                continue
            verdict = self.context.model_policy.classify(shell.model_id, revision=shell.revision)
            if verdict.status == "floating":
                task = f"{shell.role} model {shell.model_id!r} on a command line floats: "
                self.result.human.append(HumanTask("NBG101", task + verdict.reason, where))
        for reference in self.context.model_references:
            value = reference.value
            if value.source != "literal":
                self.result.human.append(
                    HumanTask(
                        "NBG102",
                        f"{reference.role} model id comes from {value.source}"
                        + (f" variable {value.env_name}" if value.env_name else "")
                        + "; give it a pinned default",
                        _where(self.context.position(value.node)),
                    )
                )
                continue
            model_id = reference.model_id
            if model_id is None or not isinstance(value.node, ast.Constant):
                continue
            verdict = self.context.model_policy.classify(model_id, revision=reference.revision)
            if reference.embedded:
                # Part of a larger literal (``model_args="pretrained=..."``): not liftable.
                if verdict.status == "floating":
                    self.result.human.append(
                        HumanTask(
                            "NBG101",
                            f"{reference.role} model {model_id!r} floats: {verdict.reason}",
                            _where(self.context.position(value.node)),
                        )
                    )
                continue
            if verdict.status == "unknown" and reference.call is None:
                continue
            pinned_id = self.options.pins.get(model_id, model_id)
            help_text = f"{reference.role} model id"
            name = self._lift(
                value.node,
                pinned_id,
                f"{reference.role}_model",
                help_text,
                f"{reference.role} model",
            )
            if pinned_id != model_id:
                self.result.lifted.append(
                    f"{reference.role} model {model_id!r} pinned to {pinned_id!r} (--pin)"
                )
            final = self.context.model_policy.classify(pinned_id, revision=reference.revision)
            if final.status == "floating":
                self.result.human.append(
                    HumanTask(
                        "NBG101",
                        f"{reference.role} model {pinned_id!r} floats; "
                        f"pin it: --pin {pinned_id}=<snapshot>"
                        + (f" (e.g. {final.suggestion})" if final.suggestion else ""),
                        f"parameter {name}" if name else "",
                    )
                )

    def _sampling(self) -> None:
        for call in self.context.facts.calls:
            if llm_call_kind(call) is None:
                continue
            has_temperature = False
            for keyword in ("temperature", "top_p", "max_tokens", "seed"):
                expression = call.keywords.get(keyword)
                if expression is None:
                    continue
                has_temperature |= keyword == "temperature"
                # Through the notebook's own functions too: ``judge(q, a, JUDGE_TEMPERATURE)``
                # sets the temperature its request passes on.
                for value in self.call_flow.sources(expression, call.scope):
                    if (
                        isinstance(value.node, ast.Constant)
                        and isinstance(value.value, (int, float))
                        and not isinstance(value.value, bool)
                    ):
                        base = self._sampling_name(keyword, value.value, call)
                        self._lift(value.node, value.value, base, _SAMPLING_HELP[keyword], keyword)
            if (
                not has_temperature
                and not call.has_star_kwargs
                and not sets_temperature(call, self.context.values)
            ):
                self.result.human.append(
                    HumanTask(
                        "NBG103",
                        f"`{call.written_name}(...)` sets no temperature; choose one "
                        "(the default decides the score)",
                        _where(self.context.position(call.node)),
                    )
                )

    def _sampling_name(self, keyword: str, value: object, call) -> str:
        """``temperature`` for the first value; another value of it is named by the role of
        the call it sets (``judge_temperature``), not numbered (``temperature_2``)."""
        taken = self.parameters.get(keyword)
        if taken is None or taken.default == value:
            return keyword
        return f"{self._call_role(call)}_{keyword}"

    def _call_role(self, call) -> str:
        for reference in self.context.model_references:
            if reference.call is call:
                return reference.role
        function = getattr(call.scope, "name", "") or ""
        return "judge" if _JUDGE_FUNCTION.search(function) else "candidate"

    def _datasets(self) -> None:
        for read in self.context.dataset_reads:
            node = read.location.node
            if not isinstance(node, ast.Constant):
                continue
            location = read.path
            position = self.context.position(node)
            where = _where(position)
            if read.kind != "local":
                base = "dataset_url" if read.kind == "remote" else "dataset_name"
                self._lift(node, location, base, "remote dataset", "dataset")
                problem = _remote_dataset_problem(read)
                if problem:
                    self.result.human.append(
                        HumanTask("NBG202", f"remote dataset {location!r}: {problem}", where)
                    )
                continue
            normalised = posixpath.normpath(location.replace("\\", "/"))
            at = (position.cell_index, position.row)
            if normalised in self.paths.written and "/" not in normalised:
                self.handled_nodes.add(id(node))
                cell, row = self.paths.written[normalised]
                self.result.relocated.append(
                    f"`{location}` ({where}) is written by the notebook itself "
                    f"(cell {cell + 1}, line {row}): left relative to the run's directory"
                )
                continue
            if self.paths.chdir_at is not None and at > self.paths.chdir_at:
                self.handled_nodes.add(id(node))
                self.result.relocated.append(
                    f"`{location}` ({where}) is read after the notebook changes directory: "
                    "left as written"
                )
                continue
            if Path(location).is_absolute():
                message = f"dataset {location!r} is an absolute path; move it into the repository"
                self.result.human.append(HumanTask("NBG203", message, where))
            elif not (self.source_dir / location).exists():
                message = f"dataset {location!r} does not exist next to the notebook"
                self.result.human.append(HumanTask("NBG201", message, where))
            help_text = "dataset file (digest in nbgraduate.lock)"
            stem = Path(location).stem or "dataset"
            self._lift(node, self._relocated(location), f"{stem}_path", help_text, "dataset")

    def _relocated(self, location: str) -> str:
        """A path relative to the source notebook, re-expressed relative to the pipeline."""
        path = Path(location)
        if path.is_absolute():
            return location
        absolute = (self.source_dir / path).resolve()
        return Path(os.path.relpath(absolute, self.target)).as_posix()

    def _relative_paths(self) -> None:
        """Re-point the other relative paths (helpers, folders, shell lines) to the same files."""
        for node, new in self.paths.literals.values():
            if id(node) in self.handled_nodes:
                continue
            self.handled_nodes.add(id(node))
            cell_index, span = self._span(node)
            self._cell_edits(cell_index).replace_expressions[span] = json.dumps(new)
            where = _where(self.context.position(node))
            self.result.relocated.append(f"`{node.value}` ({where}) is now `{new}`")
        for edit in self.paths.shell_edits:
            self._cell_edits(edit.cell_index).replace_escape_rows[edit.row] = edit.line
            self.result.relocated.append(
                f"cell {edit.cell_index + 1}, line {edit.row}: `{edit.line.strip()}`"
            )
        for statement in self.paths.helper_imports:
            cell_index, span = self._span(statement)
            folder = json.dumps(self.paths.source_from_pipeline)
            line = f'__import__("sys").path.insert(0, __import__("os").path.abspath({folder}))'
            self._cell_edits(cell_index).insert_before.setdefault(
                (span.row, span.column), []
            ).append(line)
            self.result.relocated.append(
                f"modules beside the notebook are imported from {folder} "
                f"({_where(self.context.position(statement))})"
            )
        for cell_index, row, reason in self.paths.unsafe:
            self.result.human.append(
                HumanTask("NBG201", reason, f"cell {cell_index + 1}, line {row}")
            )

    def _thresholds(self) -> None:
        for gate in point_estimate_gates(self.context.facts, self.context.values):
            if _is_status_check(gate.score, gate.threshold_values):
                continue  # ``200 <= status < 300`` checks a response, not an eval score
            where = _where(self.context.position(gate.comparison.node))
            message = "the gate compares a point estimate; gate with `nbgraduate gate` instead"
            self.result.human.append(HumanTask("NBG601", message, where))
            score = dotted_name(gate.score)
            base = f"{score.rsplit('.', 1)[-1]}_threshold" if score else "threshold"
            for value in gate.threshold_values:
                if isinstance(value.node, ast.Constant):
                    self._lift(value.node, value.value, base, "pass/fail threshold", "threshold")

    def _sample_sizes(self) -> None:
        for call in self.context.facts.calls:
            if call.method == "sample":
                for keyword, base in (("n", "sample_size"), ("frac", "sample_fraction")):
                    self._lift_keyword_constant(
                        call.keywords.get(keyword),
                        base,
                        "number of examples sampled",
                        "sample size",
                    )
            if call.method == "train_test_split":
                self._lift_keyword_constant(
                    call.keywords.get("test_size"), "test_size", "held-out fraction", "test size"
                )

    def _lift_keyword_constant(
        self, expression: ast.expr | None, base: str, help_text: str, what: str
    ) -> None:
        if (
            isinstance(expression, ast.Constant)
            and isinstance(expression.value, (int, float))
            and not isinstance(expression.value, bool)
        ):
            self._lift(expression, expression.value, base, help_text, what)

    def _shards(self) -> None:
        """``shard_index``/``shard_count``: which part of the examples a task of ``nbgraduate
        run --shards N`` scores (``nbgraduate.shard`` reads them). Run-time parameters: the
        lock leaves them out. Not added when the notebook already uses either name."""
        names = SHARD_PARAMETERS
        if any(name in self.parameters or name in self.taken_names for name in names):
            return
        index_name, count_name = names
        self.parameters[index_name] = Parameter(
            index_name, "int", 0, "this task's part of the examples (nbgraduate run --shards)"
        )
        self.parameters[count_name] = Parameter(
            count_name, "int", 1, "parts the examples are split into (nbgraduate.shard)"
        )

    def _seeds(self) -> None:
        facts = self.context.facts
        seed_name: str | None = "seed" if "seed" in self.parameters else None
        for call in facts.calls:
            if call.qualified_name in _SEED_CALLS or call.method in ("set_seed", "seed_everything"):
                if not call.node.args:
                    continue
                values = self.context.values.resolve(call.node.args[0], call.scope)
                if len(values) != 1 or not isinstance(values[0].node, ast.Constant):
                    continue
                if not isinstance(values[0].value, int) or isinstance(values[0].value, bool):
                    continue
                help_text = "seed for every random generator"
                lifted = self._lift(values[0].node, values[0].value, "seed", help_text, "seed")
                seed_name = lifted or seed_name
        findings = lint_notebook(
            self.notebook, {"NBG301", "NBG302", "NBG303"}, self.context.model_policy
        )
        if not findings:
            return
        if seed_name is None:
            seed_name = self._fresh_name("seed")
            self.parameters[seed_name] = Parameter(
                seed_name, "int", 0, "seed for every random generator"
            )
        families = {
            family
            for call in facts.calls
            for family, (_module, _code) in _SEEDED_FAMILIES.items()
            if call.qualified_name.rpartition(".")[0] == family
        }
        for family in sorted(families):
            module, code = _SEEDED_FAMILIES[family]
            self._seed_after_import(module, code, seed_name, family)
        for call in facts.calls:
            self._seed_sampling_call(call, seed_name)
        self._seed_llm_sampling(seed_name)

    def _seed_llm_sampling(self, seed_name: str) -> None:
        """Seed LLM calls that sample with temperature > 0 where the API takes a seed (NBG303);
        a seed that belongs in a config or a wrapper is left to a human."""
        for site in self.context.llm_calls.sampling_sites():
            temperatures = unseeded_temperatures(site)
            if not temperatures:
                continue
            call = site.call
            keyword = seed_keyword_for(site)
            where = _where(self.context.position(call.node))
            if keyword is None:
                self.result.human.append(
                    HumanTask(
                        "NBG303",
                        f"`{call.written_name}(...)` samples with temperature "
                        f"{temperatures[0].value} and no seed; pass one (e.g. `{seed_name}`)",
                        where,
                    )
                )
                continue
            cell_index, span = self._span(call.node)
            if self._unsafe_before_parameters(
                cell_index, f"seeding `{call.written_name}`", call.node
            ):
                continue
            keywords = self._cell_edits(cell_index).add_keywords.setdefault(span, [])
            if (keyword, seed_name) not in keywords:
                keywords.append((keyword, seed_name))
                self.result.seeded.append(
                    f"`{call.written_name}(...)` now gets `{keyword}={seed_name}` ({where})"
                )

    def _seed_after_import(self, module: str, code: str, seed_name: str, family: str) -> None:
        """Seed a global generator right after the notebook first imports its module."""
        for statement in self.notebook.program.body:
            lines: list[str] = []
            if isinstance(statement, ast.Import):
                for imported in statement.names:
                    if imported.name == module:
                        # Right after ``import random`` the name is the module: use it.
                        lines = [code.format(module=imported.asname or module)]
            elif (
                isinstance(statement, ast.ImportFrom)
                and statement.module
                and (statement.module == module or statement.module.startswith(module + "."))
            ):
                # ``from random import random``: an inserted ``import random`` would rebind a
                # name the notebook uses, so the module is reached without binding anything.
                lines = [code.format(module=f'__import__("{module}")')]
            if not lines:
                continue
            lines = [line.replace("(seed)", f"({seed_name})") for line in lines]
            cell_index, span = self._span(statement)
            if self._unsafe_before_parameters(cell_index, f"seeding {family}", statement):
                return
            inserts = self._cell_edits(cell_index).insert_after.setdefault(
                (span.row, span.column), []
            )
            inserts.extend(lines)
            where = _where(self.context.position(statement))
            self.result.seeded.append(
                f"{family}: seeded from `{seed_name}` after its import ({where})"
            )
            return

    def _seed_sampling_call(self, call, seed_name: str) -> None:
        qualified = call.qualified_name
        keyword: str | None = None
        if qualified in (
            "numpy.random.default_rng",
            "numpy.random.RandomState",
            "random.Random",
            "torch.Generator",
        ):
            if call.node.args or call.keywords:
                return
            keyword = ""
        else:
            if not is_unseeded_sampler(call, self.context.values, self.context.facts.imports):
                return
            uses_seed = call.method in ("shuffle", "train_test_split") and not qualified.startswith(
                "sklearn"
            )
            keyword = "seed" if uses_seed else "random_state"
        cell_index, span = self._span(call.node)
        if self._unsafe_before_parameters(cell_index, f"seeding `{call.written_name}`", call.node):
            return
        self._cell_edits(cell_index).add_keywords.setdefault(span, []).append((keyword, seed_name))
        shown = f"{keyword}={seed_name}" if keyword else seed_name
        self.result.seeded.append(
            f"`{call.written_name}(...)` now gets `{shown}` "
            f"({_where(self.context.position(call.node))})"
        )

    def _prompts(self) -> None:
        for constant in self.context.facts.strings:
            node = constant.node
            value = node.value
            if id(node) in self.handled_nodes or constant.context is None:
                continue
            if not (_PROMPT_NAME.search(constant.context) or constant.context in _PROMPT_KEYWORDS):
                continue
            if len(value) < _MIN_PROMPT_CHARS and value.count("\n") < 2:
                continue
            if "\r" in value:
                continue
            if self._unsafe_before_parameters(
                self._span(node)[0], f"extracting {constant.context}", node
            ):
                continue
            slug = self._fresh_prompt_slug(constant.context)
            relative = f"{PROMPTS_DIRNAME}/{slug}.txt"
            self.prompt_files[relative] = value
            self.handled_nodes.add(id(node))
            name = self._fresh_name(f"{slug}_path")
            self.parameters[name] = Parameter(
                name,
                "str",
                relative,
                f"{_prompt_help(constant.context)} (digest in nbgraduate.lock)",
            )
            cell_index, span = self._span(node)
            edits = self._cell_edits(cell_index)
            edits.replace_expressions[span] = f'pathlib.Path({name}).read_text(encoding="utf-8")'
            if (
                "pathlib" not in self.context.facts.imports
                and "import pathlib" not in edits.prepend
            ):
                edits.prepend.append("import pathlib")
            self.result.prompts.append(
                f"{constant.context}: {len(value)} characters to {relative}, loaded via `{name}`"
            )

    def _fresh_prompt_slug(self, context_name: str) -> str:
        slug = _IDENTIFIER.sub("_", context_name).strip("_").lower() or "prompt"
        candidate, counter = slug, 2
        while f"{PROMPTS_DIRNAME}/{candidate}.txt" in self.prompt_files:
            candidate = f"{slug}_{counter}"
            counter += 1
        return candidate

    def _installs(self) -> None:
        for command in self.notebook.shell_commands:
            prefix = {"line-magic": "%", "shell": "!"}.get(command.origin, "")
            if not parse_install_line(prefix + command.text):
                continue
            edits = self._cell_edits(command.cell_index)
            if command.origin == "cell-magic":
                edits.remove_escape_rows.add(command.row)
            else:
                edits.remove_escape_rows.add(command.row)
                for _offset, row, _column in command.continuations:
                    edits.remove_escape_rows.add(row)
            self.result.removed.append(
                f"install command `{prefix}{command.text}` (cell {command.cell_index + 1})"
            )

    # -- applying ---------------------------------------------------------------------------
    def apply(self, raw: dict) -> list[dict]:
        raw_cells = raw.get("cells") or []
        cells: list[dict] = []
        # The parameters cell goes first, unless the notebook's own one must stay where it is.
        parameters_inserted = self.parameters_cell is not None and not self.parameters_cell_movable
        for cell in self.notebook.cells:
            raw_cell = raw_cells[cell.index] if cell.index < len(raw_cells) else {}
            if cell.cell_type == "code" and not parameters_inserted:
                cells.append(self._parameters_cell(raw_cells))
                parameters_inserted = True
            if cell.index == self.parameters_cell:
                if not self.parameters_cell_movable:
                    cells.append(self._parameters_cell(raw_cells))
                continue
            if cell.index in self.removed_cells:
                continue
            source = cell.source
            edits = self.edits.get(cell.index)
            if cell.cell_type == "code" and edits is not None:
                source = self._rewrite(cell.index, source, edits)
                if not source.strip():
                    self.result.removed.append(
                        f"cell {cell.number} (nothing left after removing installs)"
                    )
                    continue
            cells.append(_clean_cell(raw_cell, cell.cell_type, source, cell.cell_id))
        if not parameters_inserted:
            cells.append(self._parameters_cell(raw_cells))
        return cells

    def _rewrite(self, cell_index: int, source: str, edits: CellEdits) -> str:
        cell = self.notebook.cells[cell_index]
        if cell.cell_magic is not None and cell.cell_magic not in ("capture", "time", "timeit"):
            lines = source.split("\n")
            kept = [
                line
                for row, line in enumerate(lines, start=1)
                if row not in edits.remove_escape_rows
            ]
            return "\n".join(kept) if any(line.strip() for line in kept[1:]) else ""
        try:
            return rewrite_cell(source, edits)
        except RewriteError as error:
            raise ConversionRefused(self.notebook.path, f"cell {cell_index + 1}: {error}") from None

    def _parameters_cell(self, raw_cells: list[dict]) -> dict:
        new = [p for name, p in self.parameters.items() if name not in self.existing_parameters]
        if self.parameters_cell is None:
            return {
                "cell_type": "code",
                "execution_count": None,
                "id": "parameters",
                "metadata": {"tags": [PARAMETERS_TAG]},
                "outputs": [],
                "source": _source_lines(render_parameters_cell(new)),
            }
        cell = self.notebook.cells[self.parameters_cell]
        edits = self.edits.get(cell.index, CellEdits())
        source = self._rewrite(cell.index, cell.source, edits).rstrip("\n")
        if new:
            source += "\n\n" + render_parameters_cell(new)
        raw_cell = raw_cells[cell.index] if cell.index < len(raw_cells) else {}
        cleaned = _clean_cell(raw_cell, "code", source, cell.cell_id)
        cleaned["metadata"]["tags"] = [PARAMETERS_TAG, *cleaned["metadata"].get("tags", [])]
        return cleaned


_STATUS_NAME = regex_cache.compile(r"(?i)status|http|returncode|exit_?code|response_?code")


def _is_status_check(score: ast.expr, thresholds: list) -> bool:
    """An HTTP or process status compared with codes: not a score threshold."""
    name = dotted_name(score) or ""
    if _STATUS_NAME.search(name.rsplit(".", 1)[-1]):
        return True
    codes = [v.value for v in thresholds]
    return bool(codes) and all(
        isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599
        for code in codes
    )


def _prompt_help(context: str) -> str:
    """``JUDGE_PROMPT file``, ``system prompt file``: the word prompt once."""
    words = context.replace("_", " ").strip()
    return f"{context} file" if "prompt" in words.lower() else f"{context} prompt file"


def _single_name_target(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target = statement.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _self_contained(statements: list[ast.stmt]) -> bool:
    """Whether a cell reads only names it binds itself (or builtins), so it can run first."""
    import builtins

    bound: set[str] = set(dir(builtins))
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id not in bound:
                    return False
            elif isinstance(node, ast.Name):
                bound.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".", 1)[0] for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
    return True


def _clean_cell(raw_cell: dict, cell_type: str, source: str, cell_id: str | None) -> dict:
    metadata = {
        key: value
        for key, value in (raw_cell.get("metadata") or {}).items()
        if key not in ("execution", "collapsed", "scrolled", "ExecuteTime")
    }
    tags = [
        tag
        for tag in metadata.get("tags", [])
        if tag not in (PARAMETERS_TAG, "injected-parameters")
    ]
    if tags:
        metadata["tags"] = tags
    else:
        metadata.pop("tags", None)
    cell: dict = {
        "cell_type": cell_type,
        "id": cell_id or uuid.uuid4().hex[:8],
        "metadata": metadata,
        "source": _source_lines(source),
    }
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    if cell_type != "code" and raw_cell.get("attachments"):
        cell["attachments"] = raw_cell["attachments"]
    return cell


def _source_lines(source: str) -> list[str]:
    lines = source.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
