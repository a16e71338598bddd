"""A real package index on 127.0.0.1 for tests: tiny wheels and sdists built on the spot.

``PackageIndex`` serves PEP 503 simple HTML and, when asked with the PEP 691 ``Accept`` header,
the JSON form, from a temporary directory, with every file's sha256 in its link; pip and uv
install from it as from any index. Wheels are written by hand (a wheel is a zip with a
``.dist-info`` holding ``METADATA``, ``WHEEL`` and ``RECORD``), so building one takes
milliseconds and needs no build backend. ``repack_installed`` turns a distribution installed
in this interpreter back into a wheel (its files as ``RECORD`` lists them), so an environment
can get ipykernel and its dependencies without any network.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import re
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

_NORMALISE = re.compile(r"[-_.]+")


def normalise(name: str) -> str:
    return _NORMALISE.sub("-", name).lower()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    modules: dict[str, str] | None = None,
    requires: list[str] | None = None,
    requires_python: str | None = None,
) -> Path:
    """A pure-Python wheel ``name-version-py3-none-any.whl`` with ``modules`` (path -> text)."""
    project = name.replace("-", "_")
    dist_info = f"{project}-{version}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {requirement}" for requirement in requires or []]
    files = dict(modules or {f"{project}/__init__.py": f'__version__ = "{version}"\n'})
    files[f"{dist_info}/METADATA"] = "\n".join(lines) + "\n"
    files[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: nbgraduate-tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n"
    )
    path = directory / f"{project}-{version}-py3-none-any.whl"
    record_rows = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for relative, text in files.items():
            data = text.encode("utf-8")
            wheel.writestr(relative, data)
            record_rows.append(f"{relative},{_record_hash(data)},{len(data)}")
        record_rows.append(f"{dist_info}/RECORD,,")
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(record_rows) + "\n")
    return path


def build_sdist(directory: Path, name: str, version: str) -> Path:
    """A source distribution with a ``PKG-INFO`` (listed by the index; never built here)."""
    project = name.replace("-", "_")
    base = f"{project}-{version}"
    path = directory / f"{base}.tar.gz"
    info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    with tarfile.open(path, "w:gz") as archive:
        member = tarfile.TarInfo(f"{base}/PKG-INFO")
        member.size = len(info)
        archive.addfile(member, io.BytesIO(info))
    return path


def repack_installed(directory: Path, name: str) -> Path:
    """Rebuild the wheel of a distribution installed in this interpreter, from its RECORD."""
    distribution = metadata.distribution(name)
    site = Path(str(distribution.locate_file("")))
    dist_info = Path(str(distribution._path))  # type: ignore[attr-defined]
    wheel_text = (dist_info / "WHEEL").read_text(encoding="utf-8")
    tags = [
        line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")
    ]
    project = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
    version = distribution.version
    # ``Tag: py2-none-any`` and ``Tag: py3-none-any`` compress to ``py2.py3-none-any``.
    parts = [sorted({tag.split("-")[index] for tag in tags}) for index in range(3)]
    path = directory / f"{project}-{version}-{'-'.join('.'.join(p) for p in parts)}.whl"
    rows = list(csv.reader(io.StringIO(distribution.read_text("RECORD") or "")))
    record_rows = []
    # Stored, not deflated: these wheels never leave the machine, and compressing debugpy alone
    # would take seconds.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as wheel:
        for row in rows:
            relative = row[0]
            if not relative or relative.startswith("..") or "__pycache__" in relative:
                continue
            if relative.endswith(("/RECORD", "/INSTALLER", "/REQUESTED", "/direct_url.json")):
                continue
            source = site / relative
            if not source.is_file():
                continue
            data = source.read_bytes()
            wheel.writestr(relative, data)
            record_rows.append(f"{relative},{_record_hash(data)},{len(data)}")
        record = f"{dist_info.name}/RECORD"
        record_rows.append(f"{record},,")
        wheel.writestr(record, "\n".join(record_rows) + "\n")
    return path


def installed_closure(*names: str) -> list[str]:
    """``names`` and every distribution they require in this interpreter (markers evaluated)."""
    from packaging.requirements import Requirement

    seen: dict[str, str] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        key = normalise(name)
        if key in seen:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = distribution.metadata["Name"]
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return sorted(seen.values())


@dataclass
class PackageIndex:
    """Files in ``root/files``, simple pages in ``root/simple``; ``url`` once started."""

    root: Path
    files: list[Path] = field(default_factory=list)
    url: str = ""
    requests: list[str] = field(default_factory=list)
    #: ``file name -> Requires-Python`` the index lists with the file (PEP 503 / 691).
    requires_python: dict[str, str] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def file_dir(self) -> Path:
        path = self.root / "files"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def publish(self) -> None:
        """Write the simple pages (HTML and JSON) for every file in ``files``."""
        projects: dict[str, list[Path]] = {}
        for path in self.files:
            project = normalise(re.split(r"-\d", path.name, maxsplit=1)[0])
            projects.setdefault(project, []).append(path)
        simple = self.root / "simple"
        simple.mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(projects))
        (simple / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
        for project, paths in projects.items():
            page = simple / project
            page.mkdir(exist_ok=True)
            anchors, entries = [], []
            for path in sorted(paths):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                href = f"../../files/{path.name}"
                entry = {"filename": path.name, "url": href, "hashes": {"sha256": digest}}
                requires = self.requires_python.get(path.name)
                attribute = ""
                if requires:
                    entry["requires-python"] = requires
                    attribute = f' data-requires-python="{html.escape(requires)}"'
                anchors.append(
                    f'<a href="{href}#sha256={digest}"{attribute}>{html.escape(path.name)}</a>'
                )
                entries.append(entry)
            (page / "index.html").write_text(
                "<html><body>\n" + "<br/>\n".join(anchors) + "\n</body></html>\n"
            )
            document = {"meta": {"api-version": "1.0"}, "name": project, "files": entries}
            (page / "index.json").write_text(json.dumps(document))

    def add_wheel(self, name: str, version: str, **options: object) -> Path:
        path = build_wheel(self.file_dir, name, version, **options)  # type: ignore[arg-type]
        if options.get("requires_python"):
            self.requires_python[path.name] = str(options["requires_python"])
        self.files.append(path)
        return path

    def add_sdist(self, name: str, version: str) -> Path:
        path = build_sdist(self.file_dir, name, version)
        self.files.append(path)
        return path

    def add_installed(self, *names: str) -> None:
        for name in installed_closure(*names):
            self.files.append(repack_installed(self.file_dir, name))

    def start(self) -> str:
        self.publish()
        handler = partial(_IndexHandler, directory=str(self.root), index=self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/simple/"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _IndexHandler(SimpleHTTPRequestHandler):
    """Static files, with PEP 691 content negotiation on the project pages."""

    def __init__(self, *args: object, index: PackageIndex, **kwargs: object) -> None:
        self.index = index
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        self.index.requests.append(self.path)
        accept = self.headers.get("Accept", "")
        path = self.path.split("?", 1)[0]
        if path.startswith("/simple/") and path.endswith("/"):
            page = Path(self.directory) / path.lstrip("/")
            # An index without the JSON form answers HTML whatever the client prefers.
            wants_json = (
                "application/vnd.pypi.simple.v1+json" in accept and (page / "index.json").is_file()
            )
            target = page / ("index.json" if wants_json else "index.html")
            if not target.is_file():
                self.send_error(404)
                return
            body = target.read_bytes()
            self.send_response(200)
            self.send_header(
                "Content-Type",
                "application/vnd.pypi.simple.v1+json" if wants_json else "text/html",
            )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        return
