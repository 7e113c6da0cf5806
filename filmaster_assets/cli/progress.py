"""A Dagster logger for the CLI: one line per finished step (and warnings/errors), instead of the
console logger's step-by-step DEBUG stream. Everything still lands in the instance for the UI.
Every line ends itself, so an error printed next starts on a line of its own."""

import logging
import re
import sys

import dagster as dg


# Dagster's note for each step downstream of a failure; the failure itself is printed once, with its cause
_SKIPPED = re.compile(r"Dependencies for step \S+ (failed|were not executed)")


class _StepLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is not None and event.event_type_value == "STEP_SUCCESS":
            seconds = event.event_specific_data.duration_ms / 1000
            print(f"    {event.step_key} done in {seconds:.1f}s", file=sys.stdout, flush=True)
        elif record.levelno >= logging.WARNING and event is None and not _SKIPPED.match(
                str(meta.get("orig_message", record.getMessage()))):
            print(f"    {meta.get('step_key') or 'run'}: {meta.get('orig_message', record.getMessage())}",
                  file=sys.stderr, flush=True)


@dg.logger(description="One line per finished step (used by the filmaster CLI).")
def step_progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("filmaster.progress")
    log.setLevel(logging.DEBUG)  # step events are DEBUG records
    if not any(isinstance(h, _StepLines) for h in log.handlers):
        log.addHandler(_StepLines())
    log.propagate = False
    return log
