"""Ask a package index which releases a project has: PEP 691 JSON, else PEP 503 HTML.

The index is the one pip is configured with (``PIP_INDEX_URL``, else ``pip config``'s
``index-url``, else PyPI), so conversion sees what an install on this machine would see.
Only HTTP(S) indexes are asked; a ``file://`` index or a mirror directory is reported as such.
Every request goes through :mod:`nbgraduate.core.http` (a deadline, a bounded body); the first
connection failure marks the index unreachable, so an offline conversion does not wait once per
package.
"""

from __future__ import annotations

import functools
import html
import os
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from nbgraduate.core import regex_cache

__all__ = ["IndexAnswer", "PackageIndexClient", "Release", "configured_index_url"]

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_ACCEPT = f"{_JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
_SDIST = regex_cache.compile(r"^(?P<name>.+?)-(?P<version>[^-]+?)\.(?:tar\.gz|tar\.bz2|zip|tgz)$")
_MAX_PAGE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Release:
    """One file of a project on the index, as the index lists it."""

    filename: str
    version: str
    requires_python: str | None = None
    yanked: bool = False


@dataclass(slots=True)
class IndexAnswer:
    """What the index said about one project: its files, or why there are none."""

    releases: list[Release] = field(default_factory=list)
    problem: str | None = None


def configured_index_url() -> str:
    """The index pip would use here: ``PIP_INDEX_URL``, else ``pip config``, else PyPI."""
    from_env = os.environ.get("PIP_INDEX_URL", "").strip()
    if from_env:
        return from_env.split()[0]
    return _pip_config_index_url()


@functools.cache
def _pip_config_index_url() -> str:
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return DEFAULT_INDEX_URL
    for line in completed.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.strip().endswith(".index-url"):
            return value.strip().strip("'\"") or DEFAULT_INDEX_URL
    return DEFAULT_INDEX_URL


class PackageIndexClient:
    """Releases of projects on one index, asked once per project."""

    def __init__(self, index_url: str | None = None, *, deadline: float = 15.0) -> None:
        #: ``None``: pip's configured index, looked up when the first question is asked.
        self._index_url = index_url
        self.deadline = deadline
        self._unreachable: str | None = None
        self._answers: dict[str, IndexAnswer] = {}
        self._client = None

    @property
    def index_url(self) -> str:
        if self._index_url is None:
            self._index_url = configured_index_url()
        url = self._index_url
        return url if url.endswith("/") else url + "/"

    @property
    def unreachable(self) -> str | None:
        if self._unreachable is None and urlsplit(self.index_url).scheme not in ("http", "https"):
            self._unreachable = f"the index {self.shown_url} is not an HTTP index"
        return self._unreachable

    @unreachable.setter
    def unreachable(self, reason: str | None) -> None:
        self._unreachable = reason

    @property
    def shown_url(self) -> str:
        """The index URL without credentials a private index may carry in it."""
        parts = urlsplit(self.index_url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"

    def releases(self, project: str) -> IndexAnswer:
        """The files of ``project`` (a canonical name) on the index."""
        if project in self._answers:
            return self._answers[project]
        if self.unreachable is not None:
            return IndexAnswer(problem=self.unreachable)
        answer = self._ask(project)
        self._answers[project] = answer
        return answer

    def reachable(self) -> bool:
        """Whether the index answers at all (asked once, before running a resolver on it)."""
        if self.unreachable is None and not self._answers:
            self._ask("pip")
        return self.unreachable is None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _ask(self, project: str) -> IndexAnswer:
        from nbgraduate.core.http import HttpError, Limits, NetworkFailure, new_client, send

        if self._client is None:
            self._client = new_client(headers={"Accept": _ACCEPT}, read_timeout=self.deadline)
        url = urljoin(self.index_url, f"{project}/")
        limits = Limits(deadline=self.deadline, max_body_bytes=_MAX_PAGE_BYTES)
        try:
            response = send(self._client, "GET", url, limits=limits)
        except NetworkFailure as error:
            self.unreachable = f"the index {self.shown_url} is unreachable ({error})"
            return IndexAnswer(problem=self.unreachable)
        except HttpError as error:
            return IndexAnswer(problem=f"the index {self.shown_url} did not answer ({error})")
        if response.status_code == 404:
            return IndexAnswer(problem=f"not on the index {self.shown_url}")
        if not response.is_success:
            return IndexAnswer(
                problem=f"the index {self.shown_url} answered HTTP {response.status_code}"
            )
        content_type = response.headers.get("content-type", "")
        try:
            if _JSON_TYPE in content_type:
                files = _json_files(response.json())
            else:
                files = _html_files(response.text)
        except (ValueError, TypeError, KeyError) as error:
            return IndexAnswer(problem=f"unreadable answer from the index ({error})")
        releases = [
            release
            for filename, requires_python, yanked in files
            if (release := _release(project, filename, requires_python, yanked)) is not None
        ]
        return IndexAnswer(releases=releases)


def _json_files(document: object) -> list[tuple[str, str | None, bool]]:
    if not isinstance(document, dict) or not isinstance(document.get("files"), list):
        raise ValueError("no 'files' list")
    found = []
    for entry in document["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            continue
        requires = entry.get("requires-python")
        yanked = entry.get("yanked", False)
        found.append(
            (
                entry["filename"],
                requires if isinstance(requires, str) else None,
                bool(yanked),
            )
        )
    return found


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[tuple[str, str | None, bool]] = []
        self._attributes: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._attributes = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._attributes is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "a" or self._attributes is None:
            return
        href = self._attributes.get("href") or ""
        name = "".join(self._text).strip() or href.split("#", 1)[0].rsplit("/", 1)[-1]
        requires = self._attributes.get("data-requires-python")
        self.files.append(
            (name, html.unescape(requires) if requires else None, "data-yanked" in self._attributes)
        )
        self._attributes = None


def _html_files(page: str) -> list[tuple[str, str | None, bool]]:
    parser = _Anchors()
    parser.feed(page)
    return parser.files


def _release(
    project: str, filename: str, requires_python: str | None, yanked: bool
) -> Release | None:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        match = _SDIST.match(filename)
        if match is None:
            return None
        return None
    if canonicalize_name(name) != project:
        return None
    return Release(filename, str(version), requires_python, yanked)
