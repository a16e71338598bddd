"""Requirement strings read without packaging (the common forms) agree with packaging's reading."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from nbgraduate.knowledge import packages
from nbgraduate.knowledge.packages import ParsedRequirement, canonical_name, parse_requirement

NAMES = ["a", "pkg", "Foo_Bar", "a.b", "x-y", "a..b", "Scikit_Learn", "zope.interface", "py3k"]
EXTRAS = ["", "[x]", "[X,y]", "[a.b,A_B]", "[x,x]"]
VERSIONS = ["1", "1.0", "2023.9.2", "0.19.0.post1", "1.0a1", "1.0rc1", "1.0.dev3", "01.02"]
OPERATORS = ["==", "!=", "<=", ">=", "~=", "<", ">"]


def _read_by_packaging(text: str) -> ParsedRequirement:
    requirement = Requirement(text)
    return ParsedRequirement(
        name=requirement.name,
        extras=tuple(sorted(str(canonicalize_name(extra)) for extra in requirement.extras)),
        specifiers=tuple(sorted((spec.operator, spec.version) for spec in requirement.specifier)),
        marker=str(requirement.marker) if requirement.marker is not None else None,
        url=requirement.url,
    )


def _simple_forms() -> list[str]:
    forms = []
    for name, extras in itertools.product(NAMES, EXTRAS):
        forms.append(name + extras)
        forms += [name + extras + op + version for op in OPERATORS for version in VERSIONS]
        forms.append(f"{name}{extras}>=1.0,<2")
        forms.append(f"{name}{extras}!=1.5,~=1.2,<3.0a1")
    return forms


def test_every_simple_form_reads_as_packaging_reads_it() -> None:
    forms = _simple_forms()
    read_simply = 0
    for text in forms:
        simple = packages._simple_requirement(text)
        if simple is not None:
            read_simply += 1
            assert simple == _read_by_packaging(text), text
    # The check above must not pass by sending everything to packaging.
    assert read_simply > len(forms) * 3 // 4


@pytest.mark.parametrize(
    "text",
    [
        "a==1.*",  # wildcard
        "a==1.0+local",
        "a==1!2.0",  # epoch
        "a===1.0",
        "a ==1.0",  # spaces
        "a[x] >= 1",
        "a==1.0; python_version<'3.12'",
        "a @ https://example.com/a-1.0.tar.gz",
        "a==1.0,==1.0.0",  # one specifier to packaging: which text it keeps is its choice
        "a~=1",  # ~= needs two release parts
        "a~=1.0rc1",
        "a==" + "1" * 150,
        "a=1.0",
        "-e .",
    ],
)
def test_other_forms_go_to_packaging(text: str) -> None:
    assert packages._simple_requirement(text) is None


@pytest.mark.parametrize("text", ["a==1.0,==1.0.0", "a[x] >= 1", "a==1.0; python_version<'3.12'"])
def test_parse_requirement_of_other_forms_is_packaging_s(text: str) -> None:
    assert parse_requirement(text) == _read_by_packaging(text)


@pytest.mark.parametrize("text", ["a=1.0", "pandas==latest", "a==" + "1" * 150, "a[x"])
def test_invalid_requirements_still_raise(text: str) -> None:
    with pytest.raises(packages.RequirementSyntaxError):
        parse_requirement(text)


@pytest.mark.parametrize(
    "name", ["Django", "oslo.concurrency", "Scikit_Learn", "a--_..b", "A-_-B", "requests", "x"]
)
def test_canonical_name_is_pep_503(name: str) -> None:
    assert canonical_name(name) == str(canonicalize_name(name))


def test_reading_simple_requirements_does_not_import_packaging() -> None:
    code = (
        "import sys\n"
        "from nbgraduate.knowledge.packages import canonical_name, parse_requirement\n"
        "parse_requirement('colpali-engine[interpretability]>=0.3.2,<0.4.0')\n"
        "canonical_name('Scikit_Learn')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'packaging'))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
