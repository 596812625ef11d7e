"""The lock files pin every package with its hashes, in step with the declared dependencies.

Direct dependencies are declared once, in requirements*.in; `make lock` compiles each into the
requirements*.txt beside it, and `make` installs from the lock with --require-hashes.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# Each declaration file and the lock compiled from it.
LOCKS = {
    "requirements.in": "requirements.txt",
    "requirements-dev.in": "requirements-dev.txt",
    "requirements-bench.in": "requirements-bench.txt",
}
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def _logical_lines(path: Path) -> list[str]:
    """The file's lines with comments dropped and backslash continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            lines.append(line)
    assert not pending, f"{path.name} ends in a continuation"
    return lines


def _declared(name: str) -> list[Requirement]:
    """The direct requirements of a .in file, following its -r includes (not its -c constraints)."""
    requirements: list[Requirement] = []
    for line in _logical_lines(ROOT / name):
        if line.startswith("-r "):
            requirements += _declared(line.split(None, 1)[1])
        elif line.startswith("-c "):
            assert (ROOT / line.split(None, 1)[1]).exists(), line
        else:
            assert not line.startswith("-"), f"{name}: unexpected option {line!r}"
            requirements.append(Requirement(line))
    return requirements


def _own(name: str) -> list[Requirement]:
    """The requirements a .in file declares itself, without its includes."""
    return [Requirement(line) for line in _logical_lines(ROOT / name) if not line.startswith("-")]


def _locked(name: str) -> dict[str, tuple[Version, list[str]]]:
    """A lock file's packages: canonical name -> (pinned version, hashes)."""
    pins: dict[str, tuple[Version, list[str]]] = {}
    for line in _logical_lines(ROOT / name):
        requirement, _, options = line.partition(" ")
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", requirement)
        assert match, f"{name}: not an exact pin: {line[:80]!r}"
        hashes = HASH.findall(options)
        leftover = HASH.sub("", options).strip()
        assert not leftover, f"{name}: {requirement} carries more than hashes: {leftover!r}"
        key = canonicalize_name(match[1])
        assert key not in pins, f"{name}: {key} pinned twice"
        pins[key] = (Version(match[2]), hashes)
    return pins


def _pinned_version(requirement: Requirement) -> Version:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} is not pinned with =="
    return Version(spec.version)


@pytest.mark.parametrize("declared, lock", sorted(LOCKS.items()))
def test_every_locked_package_is_an_exact_pin_with_a_sha256_hash(declared, lock):
    pins = _locked(lock)
    assert len(pins) > len(_declared(declared)), f"{lock} holds no transitive dependency"
    unhashed = sorted(name for name, (_, hashes) in pins.items() if not hashes)
    assert unhashed == [], f"{lock}: packages without a --hash=sha256: {unhashed}"
    # Every requirement line of the file, counted on the raw text as well.
    text = (ROOT / lock).read_text()
    starts = re.findall(r"^[A-Za-z0-9][^\n]*==", text, flags=re.MULTILINE)
    assert len(starts) == len(pins)


@pytest.mark.parametrize("declared, lock", sorted(LOCKS.items()))
def test_every_direct_dependency_is_locked_at_its_declared_version(declared, lock):
    pins = _locked(lock)
    for requirement in _declared(declared):
        key = canonicalize_name(requirement.name)
        assert key in pins, f"{requirement} is declared in {declared} but missing from {lock}"
        assert pins[key][0] == _pinned_version(requirement), (
            f"{declared} pins {requirement}, {lock} has {key}=={pins[key][0]}: run `make lock`"
        )


@pytest.mark.parametrize("declared, lock", sorted(LOCKS.items()))
def test_the_lock_holds_nothing_beyond_what_its_declarations_need(declared, lock):
    """A direct dependency dropped from a .in file leaves the lock at the next `make lock`."""
    text = (ROOT / lock).read_text()
    sources = set(re.findall(r"^\s*#\s+(?:via\s+)?-r (\S+)", text, flags=re.MULTILINE))
    expected = {declared} | {
        line.split(None, 1)[1] for line in _logical_lines(ROOT / declared) if line.startswith("-r ")
    }
    assert sources <= expected, f"{lock} was compiled from {sources}, not {expected}"
    assert declared in sources


def test_each_direct_dependency_is_declared_once():
    seen: dict[str, str] = {}
    for name in LOCKS:
        for requirement in _own(name):
            key = canonicalize_name(requirement.name)
            assert key not in seen, f"{key} is declared in both {seen[key]} and {name}"
            seen[key] = name


def test_shared_packages_have_one_version_across_the_locks():
    runtime = _locked("requirements.txt")
    dev = _locked("requirements-dev.txt")
    bench = _locked("requirements-bench.txt")
    assert set(runtime) <= set(dev) and set(runtime) <= set(bench)
    for other_name, other in (("requirements-dev.txt", dev), ("requirements-bench.txt", bench)):
        for key, (version, _) in runtime.items():
            assert other[key][0] == version, (
                f"{key}: {version} at runtime, {other[key][0]} in {other_name}"
            )
    for key in set(dev) & set(bench):
        assert dev[key][0] == bench[key][0], (
            f"{key}: {dev[key][0]} in dev, {bench[key][0]} in bench"
        )


def test_the_runtime_lock_stays_above_the_advisory_floors():
    header = (ROOT / "requirements.in").read_text()
    floors = re.findall(r"([A-Za-z][A-Za-z0-9_-]*) >= ([0-9]+(?:\.[0-9]+)*)", header)
    assert {canonicalize_name(name) for name, _ in floors} >= {
        "django",
        "daphne",
        "djangorestframework",
        "celery",
    }
    runtime = _locked("requirements.txt")
    for name, floor in floors:
        locked = runtime[canonicalize_name(name)][0]
        assert locked >= Version(floor), f"{name} {locked} is below its advisory floor {floor}"


@pytest.mark.parametrize("declared, lock", sorted(LOCKS.items()))
def test_the_extras_of_direct_dependencies_are_locked(declared, lock):
    pins = _locked(lock)
    with_extras = [r for r in _declared(declared) if r.extras]
    checked = 0
    for requirement in with_extras:
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        if Version(distribution.version) != _pinned_version(requirement):
            continue
        for extra in requirement.extras:
            needed = [
                Requirement(line)
                for line in distribution.requires or []
                if Requirement(line).marker is not None
                and Requirement(line).marker.evaluate({"extra": extra})
                and not Requirement(line).marker.evaluate({"extra": ""})
            ]
            assert needed, f"{requirement.name}[{extra}] requires nothing"
            for dependency in needed:
                key = canonicalize_name(dependency.name)
                assert key in pins, f"{requirement.name}[{extra}] needs {key}, missing from {lock}"
                assert dependency.specifier.contains(pins[key][0], prereleases=True)
            checked += 1
    if with_extras and not checked:
        pytest.skip(f"none of {declared}'s packages with extras is installed at its pinned version")


def test_make_installs_from_the_locks_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install[^\n]*--require-hashes -r requirements-dev\.txt", makefile)
    assert re.search(r"pip install[^\n]*--require-hashes -r requirements-bench\.txt", makefile)
    stamp = re.search(r"^\$\(VENV\)/\.installed:([^|\n]*)", makefile, flags=re.MULTILINE)
    assert stamp and {"requirements.txt", "requirements-dev.txt"} <= set(stamp[1].split())
