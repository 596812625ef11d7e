"""Precision and recall of the automatic checks on the labelled corpus (docs/moderation.md)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.automod.evaluation import (
    CORPUS,
    MIN_PRECISION,
    MIN_RECALL,
    SPLITS,
    SplitReport,
    evaluate,
    load_corpus,
    missed_targets,
)

SPLIT_TITLES = {
    "all": "whole corpus",
    "dev": "dev: tuned on",
    "holdout": "holdout: written before the checks, never tuned on",
    "late": "late: hard cases written after the checks to find their gaps, then fixed",
}


class Command(BaseCommand):
    help = (
        "Run the automatic moderation checks on the labelled corpus and print precision, "
        "recall and F1 per flag, duplicate detection, language and question accuracy. Exits "
        "non-zero when a target is missed on the whole corpus."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")
        parser.add_argument(
            "--corpus", type=Path, default=CORPUS, help="A JSONL corpus (default: the bundled one)."
        )
        parser.add_argument(
            "--errors", action="store_true", help="Also list the lines the checks get wrong."
        )

    def handle(self, *args, **options) -> None:
        lines = load_corpus(options["corpus"])
        reports = evaluate(lines)
        missed = missed_targets(reports["all"])
        if options["json"]:
            payload = {
                "corpus": str(options["corpus"]),
                "splits": {split: reports[split].as_dict() for split in SPLITS},
                "targets": {
                    "min_recall": MIN_RECALL,
                    "min_precision": MIN_PRECISION,
                    "met": not missed,
                    "missed": missed,
                },
            }
            if options["errors"]:
                # The payload is JSON of mixed values; inferred from its first item.
                payload["errors"] = reports["all"].errors  # type: ignore[assignment]
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(self.render(reports, options["corpus"], missed))
            if options["errors"]:
                self.stdout.write("\nLines the checks get wrong (index = line number from 0):")
                for error in reports["all"].errors:
                    self.stdout.write(f"  {json.dumps(error, ensure_ascii=False)}")
        if missed:
            raise CommandError("Targets missed: " + "; ".join(missed))

    def render(self, reports: dict[str, SplitReport], corpus: Path, missed: list[str]) -> str:
        name = corpus.name if corpus == CORPUS else str(corpus)
        out = [f"Automatic checks on {name}: {reports['all'].lines} lines"]
        for split in SPLITS:
            report = reports[split]
            if not report.lines:
                continue
            out += ["", f"{SPLIT_TITLES[split]} ({report.lines} lines)"]
            out.append(f"  {'check':<20}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
            rows = [*report.flags.items(), ("duplicates (pairs)", report.duplicates)]
            for code, score in rows:
                out.append(
                    f"  {code:<20}{score.precision:>10.3f}{score.recall:>8.3f}"
                    f"{score.f1:>8.3f}{score.support:>9}"
                )
            out.append(
                f"  {'language accuracy':<20}{report.language_accuracy:>10.3f}"
                f"  ({report.language_unsure} unsure)"
            )
            out.append(f"  {'is_question accuracy':<20}{report.question_accuracy:>10.3f}")
        recall = ", ".join(f"{code} recall >= {value}" for code, value in MIN_RECALL.items())
        verdict = "met" if not missed else "MISSED: " + "; ".join(missed)
        out += [
            "",
            f"Targets on the whole corpus ({recall}, precision >= {MIN_PRECISION}): {verdict}",
        ]
        return "\n".join(out)
