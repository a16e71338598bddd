"""The rule registry: every rule, in code order. Codes are public API and never reused."""

from __future__ import annotations

from nbgraduate.lint.rules.base import RepositoryRule, Rule
from nbgraduate.lint.rules.nbg101_floating_model_id import FloatingModelId
from nbgraduate.lint.rules.nbg102_untraceable_model_id import UntraceableModelId
from nbgraduate.lint.rules.nbg103_unset_sampling_parameters import UnsetSamplingParameters
from nbgraduate.lint.rules.nbg201_unversioned_dataset import UnversionedDataset
from nbgraduate.lint.rules.nbg202_mutable_remote_dataset import MutableRemoteDataset
from nbgraduate.lint.rules.nbg203_machine_local_path import MachineLocalPath
from nbgraduate.lint.rules.nbg301_unseeded_global_rng import UnseededGlobalRng
from nbgraduate.lint.rules.nbg302_unseeded_sampling_call import UnseededSamplingCall
from nbgraduate.lint.rules.nbg303_nondeterministic_sampling_unseeded import (
    NondeterministicSamplingUnseeded,
)
from nbgraduate.lint.rules.nbg401_floating_install import FloatingInstall
from nbgraduate.lint.rules.nbg402_floating_vcs_install import FloatingVcsInstall
from nbgraduate.lint.rules.nbg501_hardcoded_credential import HardcodedCredential
from nbgraduate.lint.rules.nbg502_credential_in_output import CredentialInOutput
from nbgraduate.lint.rules.nbg601_point_estimate_gate import PointEstimateGate
from nbgraduate.lint.rules.nbg701_out_of_order_execution import OutOfOrderExecution
from nbgraduate.lint.rules.nbg702_parameter_shadowed import ParameterShadowed
from nbgraduate.lint.rules.nbg703_cell_syntax_error import CellSyntaxError
from nbgraduate.lint.rules.nbg801_eval_path_without_owner import EvalPathWithoutOwner
from nbgraduate.lint.rules.nbg802_pipeline_without_lock import PipelineWithoutLock

ALL_RULES: tuple[type[Rule], ...] = (
    FloatingModelId,
    UntraceableModelId,
    UnsetSamplingParameters,
    UnversionedDataset,
    MutableRemoteDataset,
    MachineLocalPath,
    UnseededGlobalRng,
    UnseededSamplingCall,
    NondeterministicSamplingUnseeded,
    FloatingInstall,
    FloatingVcsInstall,
    HardcodedCredential,
    CredentialInOutput,
    PointEstimateGate,
    OutOfOrderExecution,
    ParameterShadowed,
    CellSyntaxError,
    EvalPathWithoutOwner,
    PipelineWithoutLock,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
ALL_CODES: frozenset[str] = frozenset(RULES_BY_CODE)
#: The rules that look at the repository once per lint run rather than at one notebook.
REPOSITORY_RULES: tuple[type[RepositoryRule], ...] = tuple(
    rule for rule in ALL_RULES if issubclass(rule, RepositoryRule)
)

__all__ = ["ALL_CODES", "ALL_RULES", "REPOSITORY_RULES", "RULES_BY_CODE", "Rule"]
