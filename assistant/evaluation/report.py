"""Eval reports: `eval/reports/<date>-<mode>.md`, the same as `.json`, and a PNG chart.

Other suites (the public benchmarks) use the same format under `<date>-<suite>-<mode>`: build a
`Report` with their metrics and call `write_report`.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import (
    METRICS,
    Outcome,
    Value,
    cited_holds,
    compute,
    evidence_rank,
    failure_reasons,
    metric_unit,
    verifies,
)
from assistant.evaluation.seeds import EvalRun
from assistant.evaluation.thresholds import THRESHOLDS, Threshold, load_thresholds
from assistant.models import Citation
from assistant.settings import PROJECT_ROOT

REPORTS_DIR = PROJECT_ROOT / "eval" / "reports"
KIND_COLUMNS = ("hit_at_5", "mrr", "key_fact_recall", "citation_precision", "citation_recall", "refusal_recall")
_SNIPPET = 240


@dataclass(frozen=True)
class Report:
    """One suite in one mode on one date; `to_json` is the `.json` file."""

    suite: str
    mode: str
    date: str
    n: int
    metrics: dict[str, Value]
    n_answerable: int = 0
    by_kind: dict[str, dict[str, Value]] = field(default_factory=dict)  # kind -> {"n": count, metric: value}
    failures: list[dict[str, Any]] = field(default_factory=list)
    setup: dict[str, Any] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)  # of metrics not in the registry (benchmarks)

    @property
    def stem(self) -> str:
        return f"{self.date}-{self.mode}" if self.suite == "seeds" else f"{self.date}-{self.suite}-{self.mode}"

    def summary(self) -> dict[str, Any]:
        """What `assistant eval --json` prints."""
        return {"n": self.n, "metrics": self.metrics, "failures": self.failures}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def build_report(run: EvalRun, date: str | None = None) -> Report:
    kinds = sorted({o.record.kind for o in run.outcomes})
    by_kind = {k: _kind_row([o for o in run.outcomes if o.record.kind == k]) for k in kinds}
    failures = [_failure(o, reasons) for o in run.outcomes if (reasons := failure_reasons(o))]
    return Report(
        suite=run.suite,
        mode=run.mode,
        date=date or datetime.date.today().isoformat(),
        n=len(run.outcomes),
        metrics=compute(run.outcomes),
        n_answerable=sum(o.record.answerable for o in run.outcomes),
        by_kind=by_kind,
        failures=failures,
        setup=run.setup,
    )


def _kind_row(outcomes: list[Outcome]) -> dict[str, Value]:
    values = compute(outcomes)
    return {"n": len(outcomes)} | {name: values[name] for name in KIND_COLUMNS}


def _failure(outcome: Outcome, reasons: list[str]) -> dict[str, Any]:
    record, answer = outcome.record, outcome.answer
    return {
        "id": record.id,
        "kind": record.kind,
        "question": record.question,
        "reasons": reasons,
        "expected_key_facts": [list(f) for f in record.key_facts],
        "reference": record.answer,
        "refused": answer.refused,
        "answer": answer.text,
        "evidence_rank": evidence_rank(outcome) if record.answerable else None,
        "citations": [_cited(c, outcome) for c in answer.citations],
        "nearest": [{"n": c.n, "source": c.source, "text": c.text} for c in answer.nearest],
    }


def _cited(c: Citation, outcome: Outcome) -> dict[str, Any]:
    held, verified = cited_holds(c, outcome.record), verifies(c, outcome.answer)
    return {"n": c.n, "source": c.source, "text": c.text, "holds": held, "verifies": verified}


# --- files -------------------------------------------------------------------------------------
def write_report(report: Report, reports_dir: Path | None = None, thresholds: Path = THRESHOLDS) -> list[Path]:
    """Write the .json, .md and .png of a report (default folder: REPORTS_DIR, read at call time); the
    previous report of its suite and mode is compared."""
    from assistant.evaluation.chart import write_chart

    reports_dir = reports_dir or REPORTS_DIR
    reports_dir.mkdir(parents=True, exist_ok=True)
    previous = previous_report(reports_dir, report)
    targets = load_thresholds("targets", report.mode, thresholds, report.suite)
    gate = load_thresholds("gate", report.mode, thresholds, report.suite)
    base = reports_dir / report.stem
    paths = [base.with_suffix(".json"), base.with_suffix(".md"), base.with_suffix(".png")]
    payload = report.to_json() | {"targets": _json_thresholds(targets), "gate": _json_thresholds(gate)}
    paths[0].write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(report, targets, gate, previous), encoding="utf-8")
    series = [(f"{r.mode} {r.date}", r.metrics) for r in latest_reports(reports_dir, report.suite).values()]
    if previous:
        series.append((f"{previous.mode} {previous.date} (previous)", previous.metrics))
    marks = {name: t.value for name, t in targets.items()}
    title = f"{report.suite} eval, {report.date}" + (" (black ticks: targets)" if marks else "")
    write_chart(paths[2], title, series, marks)
    return paths


def _reports(reports_dir: Path, suite: str) -> list[Report]:
    found = []
    for path in sorted(reports_dir.glob("*.json")):  # names start with the ISO date, so this is oldest first
        try:
            report = Report.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError):
            continue  # not a report (or an older format): it cannot be compared
        if report.suite == suite:
            found.append(report)
    return found


def previous_report(reports_dir: Path, report: Report) -> Report | None:
    """The latest report of the same suite and mode other than this one (same-date reruns overwrite)."""
    same = [r for r in _reports(reports_dir, report.suite) if r.mode == report.mode and r.stem != report.stem]
    return same[-1] if same else None


def latest_reports(reports_dir: Path, suite: str) -> dict[str, Report]:
    """The newest report of each mode of a suite."""
    return {r.mode: r for r in _reports(reports_dir, suite)}


def _json_thresholds(found: dict[str, Threshold]) -> dict[str, str]:
    return {name: str(t) for name, t in found.items()}


def text_summary(report: Report, thresholds: Path = THRESHOLDS) -> str:
    """Metric lines with the gate verdicts, then the failing question ids: what `assistant eval` prints."""
    gate = load_thresholds("gate", report.mode, thresholds, report.suite)
    lines = [f"{report.suite} eval, {report.mode} mode: {report.n} questions"]
    for name, value in report.metrics.items():
        check = gate.get(name)
        verdict = f"  gate {check}: {'ok' if check.met(value) else 'FAILED'}" if check else ""
        lines.append(f"  {name:<28} {fmt(name, value):>8}{verdict}")
    lines.append(f"{len(report.failures)} failing: {' '.join(f['id'] for f in report.failures) or '-'}")
    return "\n".join(lines)


# --- markdown ----------------------------------------------------------------------------------
def fmt(name: str, value: Value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if metric_unit(name) == "ms" else f"{value:.3f}"


def render_markdown(
    report: Report, targets: dict[str, Threshold], gate: dict[str, Threshold], previous: Report | None = None
) -> str:
    lines = [f"# Eval of `{report.suite}`, {report.mode} mode, {report.date}", "", *_setup_lines(report), ""]
    lines += _metric_table(report, targets, gate, previous)
    lines += ["", f"Chart: [{report.stem}.png]({report.stem}.png) (written beside this report, not committed)."]
    if report.by_kind:  # gold sets have kinds and failing questions; benchmark summaries do not
        lines += ["", "## By kind of question", "", *_kind_table(report)]
        lines += ["", f"## Failing questions ({len(report.failures)})", ""]
        for failure in report.failures:
            lines += _failure_lines(failure)
    definitions = {m.name: m.definition for m in METRICS.values()} | report.definitions
    lines += ["", "## Definitions", ""]
    lines += [f"- **{name}**: {definitions[name]}" for name in report.metrics if name in definitions]
    lines += ["", _TERMS] if report.by_kind else []
    return "\n".join(lines) + "\n"


_TERMS = (
    "A passage *holds* gold evidence when it is from the evidence's document and contains the gold sentence "
    "(or, for a sentence split across chunks, begins with its last or ends with its first half or more of its "
    "words); metadata evidence is held by any passage of its document. A citation *verifies* when every answer "
    "sentence citing it is supported. A = answerable questions, U = unanswerable ones."
)


def _setup_lines(report: Report) -> list[str]:
    answerable = f" ({report.n_answerable} answerable)" if report.by_kind else ""
    lines = [f"{report.n} questions{answerable}.", ""]
    return lines + [f"- {key}: {_setting(value)}" for key, value in report.setup.items()]


def _setting(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


def _metric_table(
    report: Report, targets: dict[str, Threshold], gate: dict[str, Threshold], previous: Report | None
) -> list[str]:
    before = f"previous ({previous.date})" if previous else "previous"
    lines = [f"| metric | value | {before} | target | gate | gate passed |", "|---|---:|---:|---|---|---|"]
    for name, value in report.metrics.items():
        old = fmt(name, previous.metrics.get(name)) if previous else "–"
        target, check = targets.get(name), gate.get(name)
        passed = ("yes" if check.met(value) else "**NO**") if check else ""
        lines.append(f"| {name} | {fmt(name, value)} | {old} | {target or ''} | {check or ''} | {passed} |")
    return lines


def _kind_table(report: Report) -> list[str]:
    lines = ["| kind | n | " + " | ".join(KIND_COLUMNS) + " |", "|---|---:|" + "---:|" * len(KIND_COLUMNS)]
    for kind, row in report.by_kind.items():
        cells = [fmt(name, row.get(name)) for name in KIND_COLUMNS]
        lines.append(f"| {kind} | {row['n']:.0f} | " + " | ".join(cells) + " |")
    return lines


def _failure_lines(f: dict[str, Any]) -> list[str]:
    facts = "; ".join(" / ".join(f"`{p}`" for p in fact) for fact in f["expected_key_facts"]) or "(none: refuse)"
    rank = f["evidence_rank"]
    lines = [
        f"### `{f['id']}` ({f['kind']}): {f['question']}",
        "",
        *(f"- **{reason}**" for reason in f["reasons"]),
        f"- expected key facts: {facts}",
        f"- reference: {f['reference']}",
    ]
    if rank is not None or f["expected_key_facts"]:
        lines.append(f"- first retrieved passage holding gold evidence: {f'rank {rank}' if rank else 'none in top 10'}")
    answer = " ".join(f["answer"].split()) if not f["refused"] else "(refused)"
    lines += [f"- answer: {answer}"]
    for c in f["citations"]:
        marks = ", ".join(x for x, ok in (("holds gold evidence", c["holds"]), ("verifies", c["verifies"])) if ok)
        lines.append(f"  - [{c['n']}] {c['source']} ({marks or 'neither holds nor verifies'}): {_snip(c['text'])}")
    lines += [f"  - nearest [{c['n']}] {c['source']}: {_snip(c['text'])}" for c in f["nearest"]]
    return [*lines, ""]


def _snip(text: str) -> str:
    flat = " ".join(text.split())
    return f'"{flat if len(flat) <= _SNIPPET else flat[: _SNIPPET - 1] + "…"}"'
