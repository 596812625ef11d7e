"""Where a profiled studio process spent its time: ``python -m bench.profile_summary``.

Reads py-spy's collapsed stacks (``--format raw``: one ``frame;frame;...;frame count`` a line,
outermost first) and prints the functions with the largest inclusive share (the function or
anything it called was running) and self share (the function itself was running).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from bench.config import RESULTS_DIR

_LINE = re.compile(r":\d+\)$")
# Frames every stack goes through (thread and event-loop machinery, the server's main loop):
# left out of the inclusive ranking, where they would only say "100%".
SCAFFOLDING = (
    "(threading.py)",
    "(futures/thread.py)",
    "(<frozen runpy>)",
    "(daphne/cli.py)",
    "(daphne/__main__.py)",
    "(daphne/server.py)",
    "(asyncio/base_events.py)",
    "(asyncio/events.py)",
    "(internet/asyncioreactor.py)",
)


def _function(frame: str) -> str:
    """``name (path/to/file.py:123)`` -> ``name (file.py)``: one entry per function."""
    frame = _LINE.sub(")", frame.strip())
    name, _, where = frame.partition(" (")
    if where:
        parts = where.rstrip(")").split("/")
        short = "/".join(parts[-2:]) if len(parts) > 1 else parts[0]
        return f"{name} ({short})"
    return name


def read(path: Path) -> tuple[Counter, Counter, int]:
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_function(f) for f in stack.split(";")]
        # The process/thread header py-spy puts first is not a function.
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        for function in set(frames):
            if not function.endswith(SCAFFOLDING):
                inclusive[function] += n
        if frames:
            own[frames[-1]] += n
    return inclusive, own, total


def threads(path: Path, top: int = 4) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """Per thread (py-spy ``--threads``: a ``thread (0x...)`` first frame): its samples and the
    functions with the largest self share in it, most samples first."""
    samples: Counter = Counter()
    leaves: dict[str, Counter] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        thread = next((f for f in frames if f.startswith("thread ")), "")
        if not thread:
            continue
        frames = [_function(f) for f in frames if not f.startswith(("process ", "thread "))]
        samples[thread] += int(count)
        if frames:
            leaves.setdefault(thread, Counter())[frames[-1]] += int(count)
    return [(t, n, leaves.get(t, Counter()).most_common(top)) for t, n in samples.most_common()]


def summarize(path: Path, top: int = 25) -> str:
    if not path.exists():
        return f"no profile at {path}"
    inclusive, own, total = read(path)
    if not total:
        return f"no samples in {path}"
    lines = [f"{total:,} samples from {path}"]
    for title, counter in (("inclusive", inclusive), ("self", own)):
        lines.append(f"\ntop {top} by {title} share")
        for function, n in counter.most_common(top):
            lines.append(f"  {100 * n / total:5.1f}%  {function}")
    per_thread = threads(path)
    if per_thread:
        lines.append("\nper thread (share of all samples; its largest self shares)")
        for thread, n, leaves in per_thread:
            lines.append(f"  {100 * n / total:5.1f}%  {thread}")
            for function, m in leaves:
                lines.append(f"           {100 * m / total:5.1f}%  {function}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=RESULTS_DIR / "profile-votes.txt")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summarize(args.path, args.top))


if __name__ == "__main__":
    main()
