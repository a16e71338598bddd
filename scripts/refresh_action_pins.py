"""Refresh the commit pins of the GitHub Actions nbgraduate's CI files use.

The pins live in one table, ``src/nbgraduate/repo/setup/actions.toml``; ``nbgraduate init``
renders the workflow from it, and this script writes the committed ``templates/*.yml``,
``action.yml`` and README's examples from it (``tests/test_action_pins.py`` checks they agree).

    python scripts/refresh_action_pins.py                    # re-resolve every tag
    python scripts/refresh_action_pins.py --latest           # move each to its newest vX.Y.Z tag
    python scripts/refresh_action_pins.py --tag actions/checkout=v7.0.2
    python scripts/refresh_action_pins.py --offline          # only rewrite the files from the table

Tags are resolved with ``git ls-remote`` (an annotated tag to the commit it points at). A tag
that now names another commit than the table says is reported and left alone unless
``--accept-moved``: a moved release tag is exactly what pinning guards against. This script
talks to the network; the test-suite never runs it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from nbgraduate.repo.setup.pins import PINS_FILE, ActionPin, load_pins, pin_uses  # noqa: E402

#: The committed files whose ``uses:`` lines come from the table (README shows the pinned form).
PINNED_FILES = (
    *sorted((ROOT / "templates").glob("*.yml")),
    ROOT / "action.yml",
    ROOT / "README.md",
)
_RELEASE = re.compile(r"v\d+\.\d+\.\d+")


def ls_remote(url: str, *patterns: str) -> dict[str, str]:
    """``{ref: sha}`` from ``git ls-remote --tags``; ``ref^{}`` keys are peeled annotated tags."""
    result = subprocess.run(
        ["git", "ls-remote", "--tags", url, *patterns],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"git ls-remote {url} failed: {result.stderr.strip()}")
    refs: dict[str, str] = {}
    for line in result.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        refs[ref] = sha
    return refs


def commit_of(refs: dict[str, str], tag: str) -> str | None:
    """The commit a tag names: the peeled entry of an annotated tag, else the tag itself."""
    return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")


def newest_release(refs: dict[str, str]) -> str | None:
    from packaging.version import Version

    tags = {ref.removeprefix("refs/tags/").removesuffix("^{}") for ref in refs}
    releases = [tag for tag in tags if _RELEASE.fullmatch(tag)]
    return max(releases, key=lambda tag: Version(tag[1:])) if releases else None


def write_table(pins: dict[str, ActionPin]) -> bool:
    """Update tag and sha in actions.toml, keeping its comments; True when it changed."""
    import tomlkit

    before = PINS_FILE.read_text(encoding="utf-8")
    document = tomlkit.parse(before)
    for repository, pin in pins.items():
        if repository not in document:
            document[repository] = tomlkit.table()
        document[repository]["tag"] = pin.tag  # type: ignore[index]
        document[repository]["sha"] = pin.sha  # type: ignore[index]
    after = tomlkit.dumps(document)
    if after != before:
        PINS_FILE.write_text(after, encoding="utf-8")
    return after != before


def render_files(pins: dict[str, ActionPin]) -> list[Path]:
    changed = []
    for path in PINNED_FILES:
        before = path.read_text(encoding="utf-8")
        after = pin_uses(before, pins, source=str(path.relative_to(ROOT)))
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="OWNER/REPO=TAG",
        help="Pin this action at this tag (repeatable; a new action is added to the table).",
    )
    parser.add_argument(
        "--latest", action="store_true", help="Move every action to its newest vX.Y.Z tag."
    )
    parser.add_argument(
        "--accept-moved",
        action="store_true",
        help="Take the new commit of a tag that was moved since it was pinned.",
    )
    parser.add_argument(
        "--offline", action="store_true", help="Resolve nothing; rewrite the files from the table."
    )
    parser.add_argument(
        "--url",
        default="https://github.com/{repository}.git",
        help="Where an action's repository is: {repository} is owner/repo, {owner} and {name}"
        " its parts (a mirror works).",
    )
    options = parser.parse_args(argv)

    pins = load_pins()
    wanted = {pin.repository: pin.tag for pin in pins.values()}
    for item in options.tag:
        repository, separator, tag = item.partition("=")
        if not separator or repository.count("/") != 1 or not tag:
            parser.error(f"--tag {item!r}: expected OWNER/REPO=TAG")
        wanted[repository] = tag

    status = 0
    if not options.offline:
        for repository, tag in sorted(wanted.items()):
            owner, _, name = repository.partition("/")
            refs = ls_remote(options.url.format(repository=repository, owner=owner, name=name))
            if options.latest:
                tag = newest_release(refs) or tag
            sha = commit_of(refs, tag)
            if sha is None:
                print(f"{repository}: no tag {tag}", file=sys.stderr)
                status = 1
                continue
            old = pins.get(repository)
            if old is not None and old.tag == tag and old.sha != sha:
                print(
                    f"{repository}: tag {tag} MOVED from {old.sha} to {sha}"
                    + ("; taking it (--accept-moved)" if options.accept_moved else "; kept"),
                    file=sys.stderr,
                )
                if not options.accept_moved:
                    status = 1
                    continue
            pins[repository] = ActionPin(repository, tag, sha)
            shown = "unchanged" if old == pins[repository] else f"was {old.tag if old else 'new'}"
            print(f"{repository} {tag} {sha} ({shown})")

    if write_table(pins):
        print(f"updated {PINS_FILE.relative_to(ROOT)}")
    for path in render_files(load_pins()):
        print(f"updated {path.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
