"""The ``rebalance`` command line.

Exit codes (the contract): 0 done; 2 invalid input (stderr names the file, the field path and
why, every problem at once); 1 anything else. Invalid input writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rebalance.errors import InvalidInputError, KnowledgeBaseError, Problem, RebalanceError, UnknownIdError
from rebalance.programs.minutes import DEFAULT_MINUTES, MINUTES_RANGE

if TYPE_CHECKING:
    from rebalance.config import Settings
    from rebalance.knowledge.loader import KnowledgeBase

__all__ = ["EXIT_ERROR", "EXIT_INVALID", "EXIT_OK", "main"]

EXIT_OK, EXIT_ERROR, EXIT_INVALID = 0, 1, 2


def _problems(count: int) -> str:
    """ "1 problem", "2 problems"."""
    return f"{count} problem" if count == 1 else f"{count} problems"


def _minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole minutes, got {text!r}") from None
    low, high = MINUTES_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"expected {low} to {high} minutes, got {value}")
    return value


def _kb(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from rebalance.knowledge import loader

    data = getattr(args, "data", None)
    return loader.load(Path(data)) if data else loader.default()


def _cmd_explain(args: argparse.Namespace) -> int:
    from rebalance.knowledge.explain import explain, explain_records

    kb = _kb(args)
    if args.json:
        blocks = [block.document() for block in explain_records(kb, args.id)]
        json.dump(blocks, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(explain(kb, args.id))
    return EXIT_OK


def _cmd_kb_dump(args: argparse.Namespace) -> int:
    from rebalance.knowledge.dump import dump

    json.dump(dump(_kb(args)), sys.stdout, indent=1, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")
    return EXIT_OK


def _cmd_kb_check(args: argparse.Namespace) -> int:
    from rebalance.knowledge import check, loader

    data = Path(args.data) if args.data else loader.DATA_DIR
    problems = check.check(data)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{_problems(len(problems))} in {data}", file=sys.stderr)
        return EXIT_ERROR
    kb = loader.load(data)
    counts = ", ".join(f"{len(kb.records[k])} {k.replace('_', ' ')}" for k in loader.KINDS)
    print(f"knowledge base OK: {counts}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from rebalance.assessment.parse import read_assessment

    read_assessment(Path(args.case), _kb(args))
    print(f"{args.case}: valid")
    return EXIT_OK


def _cmd_assess(args: argparse.Namespace) -> int:
    from rebalance.api import analyse_file
    from rebalance.reports.text import render_text

    kb = _kb(args)
    doc = analyse_file(Path(args.case), kb, minutes=args.minutes)
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    elif args.fhir:
        sys.stdout.write(json.dumps(_fhir_of(doc, Path(args.case)), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(doc, kb))
    return EXIT_OK


def _fhir_of(analysis: dict[str, Any], path: Path) -> dict[str, Any]:
    from rebalance.knowledge.loader import default
    from rebalance.reports.fhir import analysis_bundle

    return analysis_bundle(default(), analysis, path.stem, dt.datetime.now(dt.UTC))


def _load_json(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except IsADirectoryError:
        raise InvalidInputError([Problem(path, "", "is a folder, not an analysis file")]) from None
    except OSError as exc:
        raise InvalidInputError([Problem(path, "", f"cannot read: {exc.strerror}")]) from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            [Problem(path, f"line {exc.lineno}, column {exc.colno}", f"malformed JSON: {exc.msg}")]
        ) from None
    if not isinstance(data, dict) or data.get("schema") != "rebalance.analysis/1":
        raise InvalidInputError([Problem(path, "schema", "expected an analysis document (rebalance assess --json)")])
    return data


def _cmd_progress(args: argparse.Namespace) -> int:
    from rebalance.api import analyse_file
    from rebalance.programs.logs import read_logs
    from rebalance.programs.progress import progress
    from rebalance.programs.revise import revise
    from rebalance.reports.progress import render_progress

    kb = _kb(args)
    doc = _load_json(args.analysis)
    logs = read_logs(Path(args.logs))
    if doc.get("program") is None:
        raise InvalidInputError([Problem(args.analysis, "program", "no program to progress (safety withheld it)")])
    if args.assessment:
        new_doc = analyse_file(Path(args.assessment), kb, minutes=doc["program"]["minutes_per_session"])
        result = revise(kb, doc, logs, new_doc)
    else:
        result = progress(kb, doc, logs)
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n" if args.json else render_progress(result, kb)
    sys.stdout.write(text)
    return EXIT_OK


def _cmd_outcomes(args: argparse.Namespace) -> int:
    from rebalance.api import analyse_case, validate_file
    from rebalance.programs.logs import read_logs
    from rebalance.programs.outcomes import outcomes
    from rebalance.reports.progress import render_outcomes

    kb = _kb(args)
    series = []
    for case_path in args.cases:
        case = validate_file(case_path, kb)
        series.append((case, analyse_case(case, kb).document))
    logs = read_logs(Path(args.logs)) if args.logs else None
    result = outcomes(kb, series, logs)
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n" if args.json else render_outcomes(result, kb)
    sys.stdout.write(text)
    return EXIT_OK


def _cmd_video(args: argparse.Namespace) -> int:
    from rebalance.video import EXTRA_HINT, missing_extra

    missing = missing_extra()
    if missing is not None:  # not the user's input: the installation lacks a part (exit 1)
        print(f"rebalance: {EXTRA_HINT} (cannot import {missing})", file=sys.stderr)
        return EXIT_ERROR
    from rebalance.video import batch

    paths = batch.clips(args.paths)
    if not paths:
        raise InvalidInputError(
            [Problem(args.paths[0], "", "no video files (.mp4, .mov, .m4v, .avi, .mkv, .webm) in it")]
        )
    if len(args.paths) == 1 and not Path(args.paths[0]).is_dir():
        from rebalance.video import output
        from rebalance.video.job import analyse

        result = analyse(paths[0], args.movement, args.view)
        if args.out:
            output.write(result.clip, result.measured, Path(args.out))
        _print_data(result.document(), args.json)
        return EXIT_OK
    from rebalance.config import Settings

    settings = Settings()
    if settings.broker_url:
        results = batch.run_celery(
            paths, args.movement, args.view, args.out, settings.broker_url, settings.video_queue, args.timeout
        )
    else:
        results = batch.run_local(paths, args.movement, args.view, args.out, args.workers)
    _print_data({"clips": results}, args.json)
    statuses = {r["status"] for r in results}
    return EXIT_ERROR if "failed" in statuses else EXIT_INVALID if "refused" in statuses else EXIT_OK


def _print_data(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        import yaml

        class _Plain(yaml.SafeDumper):  # the same quality record under two measures is written out twice
            def ignore_aliases(self, data: Any) -> bool:
                return True

        sys.stdout.write(yaml.dump(data, Dumper=_Plain, sort_keys=False, allow_unicode=True, width=120))


def _cmd_figures(args: argparse.Namespace) -> int:
    import shutil

    from rebalance.reports.figure import RSVG_CONVERT, figure_files, svg_to_png

    folder = Path(args.folder)
    if args.png and shutil.which(RSVG_CONVERT) is None:
        raise RebalanceError(f"--png needs {RSVG_CONVERT} (Debian: apt-get install librsvg2-bin); nothing was written")
    kb = _kb(args)
    _writable_folder(folder)
    files = figure_files(kb.exercise.values())
    for name, svg in files.items():
        (folder / name).write_text(svg, encoding="utf-8")
        if args.png:
            svg_to_png(
                folder / name, folder / name.replace(".svg", ".png"), zoom=1 if name == "contact-sheet.svg" else 2
            )
    kinds = "SVG and PNG" if args.png else "SVG"
    print(f"{len(files) - 1} exercise figures and contact-sheet.svg ({kinds}) in {folder}")
    return EXIT_OK


def _writable_folder(folder: Path) -> None:
    """Make ``folder`` (and its parents) if need be; InvalidInputError if it is not a folder one can write in."""
    import tempfile

    if folder.exists() and not folder.is_dir():
        raise InvalidInputError([Problem(str(folder), "", "not a folder")])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InvalidInputError([Problem(str(folder), "", f"cannot write there: {exc.strerror}")]) from None


def _analysis_of(path: str, kb: KnowledgeBase, minutes: int) -> dict[str, Any]:
    """An analysis document (``assess --json``: its program as it was built) or an assessment file, analysed."""
    from rebalance.api import analyse_file

    if path.endswith(".json") and '"rebalance.analysis/1"' in _head(path):
        return _load_json(path)
    return analyse_file(Path(path), kb, minutes=minutes)


def _head(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(200)
    except OSError:
        return ""  # the assessment reader says why


def _cmd_handout(args: argparse.Namespace) -> int:
    from rebalance.config import Settings
    from rebalance.reports import paper
    from rebalance.reports.handout import Clinic, case_handout, handout_pdf

    out = Path(args.out)
    paper.check_writable(out)
    kb = _kb(args)
    doc = _analysis_of(args.case, kb, args.minutes)
    settings = Settings()
    clinic = Clinic.of(args.clinic_name or settings.clinic_name, args.clinic_phone or settings.clinic_phone)
    if clinic is None:
        print("rebalance: no clinic name or phone (--clinic-name, --clinic-phone or REBALANCE_CLINIC_NAME, "
              "REBALANCE_CLINIC_PHONE): the handout leaves a line to write them in", file=sys.stderr)  # fmt: skip
    sheet = case_handout(kb, doc, (args.patient or "").strip(), clinic, dt.date.today())  # none: a line to write it
    paper.write_file(handout_pdf(sheet), out)
    print(f"{out}: the home program{' (stopped: where to go instead)' if sheet.stops else ''}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from rebalance.api import analyse_case, validate_file
    from rebalance.reports import paper
    from rebalance.reports.clinician_report import case_report, report_pdf

    out = Path(args.out)
    paper.check_writable(out)
    kb = _kb(args)
    series = []
    for case_path in args.cases:
        case = validate_file(case_path, kb)
        series.append((case, analyse_case(case, kb, args.minutes).document))
    paper.write_file(report_pdf(case_report(kb, series, dt.date.today())), out)
    print(f"{out}: the clinician's report")
    return EXIT_OK


def _clinic_phone(text: str) -> str:
    import re

    from rebalance.config import PHONE_PATTERN

    if not re.fullmatch(PHONE_PATTERN, text.strip()):
        raise argparse.ArgumentTypeError(f"expected a phone number (digits, spaces, + - ( ) .), got {text!r}")
    return text.strip()


def _clinic_name(text: str) -> str:
    if not text.strip() or len(text) > 120:
        raise argparse.ArgumentTypeError("expected the clinic's name, 1 to 120 characters")
    return text.strip()


MAX_WORKERS = 64


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"expected a number of worker processes, 1 to {MAX_WORKERS}, got {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 1 to 65535, got {text!r}")
    return int(text)


SHUTDOWN_GRACE_S = 3
"""On SIGTERM or Ctrl+C, requests under way get this long to finish; then the server stops."""


def _cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn
    from sqlalchemy import make_url

    from rebalance.config import Settings
    from rebalance.storage.migrate import upgrade
    from rebalance.web.app import create_app, freeze_start_up

    settings = Settings()
    if "public_url" not in settings.model_fields_set:  # the invitation links: where this server listens
        settings = settings.model_copy(update={"public_url": f"http://{args.host}:{args.port}"})
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"rebalance: database {shown}", flush=True)
    upgrade(settings.database_url)
    if args.demo:
        _serve_demo(settings, _kb(args))
    options = {
        "host": args.host,
        "port": args.port,
        "access_log": not args.no_access_log,
        "proxy_headers": False,  # the app trusts forwarded headers from Settings.trusted_proxies only
        "timeout_graceful_shutdown": SHUTDOWN_GRACE_S,
    }
    processes = f", {args.workers} worker processes" if args.workers > 1 else ""
    print(f"rebalance: serving on http://{args.host}:{args.port}{processes}  (Ctrl+C to stop)", flush=True)
    if args.workers > 1:  # each worker makes its own app (web.app.serving_app) on the database migrated above
        os.environ["REBALANCE_PUBLIC_URL"] = settings.public_url  # the workers' Settings come from the environment
        uvicorn.run("rebalance.web.app:serving_app", factory=True, workers=args.workers, **options)
    else:
        app = create_app(settings)
        freeze_start_up()
        uvicorn.run(app, **options)
    return EXIT_OK


def _serve_demo(settings: Settings, kb: KnowledgeBase) -> None:
    from rebalance import demo
    from rebalance.storage.db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        if demo.is_empty(factory):
            demo.seed_demo(factory, kb)
            print("rebalance: seeded the demo clinic (a clinician, five patients with a few weeks of history)")
        elif demo.is_demo(factory):
            print("rebalance: the database is not empty: serving the demo clinic already in it")
        else:
            print("rebalance: the database is not empty: serving it as it is (the demo is seeded only when empty)")
            return
    finally:
        engine.dispose()
    print("rebalance: demo logins (public demo passwords: never use this database for real patients)")
    for login in demo.demo_logins():
        print(f"  {login.role.value:<9}  {login.name:<14} {login.email:<32} {login.password}")


def _video_parser(sub: Any) -> None:
    """``rebalance video``: its own function, the options being many."""
    vd = sub.add_parser(
        "video",
        help="measure a movement from video: the assessment's test entries it measured (needs rebalance[video])",
    )
    vd.add_argument("paths", nargs="+", metavar="FILE|DIR", help="a video, several, or folders of videos")
    vd.add_argument("--movement", required=True, choices=["overhead_squat", "single_leg_stance", "gait"])
    vd.add_argument("--view", choices=["front", "side"], help="where the camera stood (default: read from the video)")
    vd.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    vd.add_argument("-o", dest="out", metavar="DIR", help="also write the per-frame angles (CSV) and key frames (PNG)")
    vd.add_argument(
        "--workers", type=_workers, default=2, help=f"processes for several videos, 1 to {MAX_WORKERS} (default 2)"
    )
    vd.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds to wait for Celery workers (REBALANCE_BROKER_URL)"
    )
    vd.set_defaults(func=_cmd_video)


def _paper_parsers(sub: Any) -> None:
    """``rebalance handout`` and ``rebalance report``: the PDFs."""
    low, high = MINUTES_RANGE
    minutes_help = f"minutes a session for an assessment's program, {low} to {high} (default {DEFAULT_MINUTES})"
    h = sub.add_parser("handout", help="the patient's home program as a PDF (A4), from an assessment")
    h.add_argument("case", help="assessment file (YAML or JSON), or an analysis document (rebalance assess --json)")
    h.add_argument("-o", dest="out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    h.add_argument("--minutes", type=_minutes, default=DEFAULT_MINUTES, help=minutes_help)
    h.add_argument("--patient", help="the name printed on it (default: a line to write it in)")
    h.add_argument("--clinic-name", type=_clinic_name, help="whom to call (default: REBALANCE_CLINIC_NAME)")
    h.add_argument("--clinic-phone", type=_clinic_phone, help="their phone (default: REBALANCE_CLINIC_PHONE)")
    h.set_defaults(func=_cmd_handout)

    r = sub.add_parser("report", help="the clinician's report as a PDF (A4): the latest assessment, charts over all")
    r.add_argument("cases", nargs="+", help="assessment files of one client, any order (the latest is reported)")
    r.add_argument("-o", dest="out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    r.add_argument("--minutes", type=_minutes, default=DEFAULT_MINUTES, help=minutes_help)
    r.set_defaults(func=_cmd_report)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rebalance",
        description="Find the muscle imbalances behind sciatica and low back pain, and a program to correct them.",
    )
    p.add_argument("--data", help="knowledge-base data folder (default: the packaged one)")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("assess", help="validate and analyse an assessment, build the program")
    a.add_argument("case", help="assessment file (YAML or JSON)")
    shown = a.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the analysis document as JSON")
    shown.add_argument("--fhir", action="store_true", help="print it as a FHIR R4B bundle (scores, impression, plan)")
    low, high = MINUTES_RANGE
    a.add_argument(
        "--minutes",
        type=_minutes,
        default=DEFAULT_MINUTES,
        help=f"minutes a session, {low} to {high} (default {DEFAULT_MINUTES})",
    )
    a.set_defaults(func=_cmd_assess)

    v = sub.add_parser("validate", help="validate an assessment file only")
    v.add_argument("case")
    v.set_defaults(func=_cmd_validate)

    pr = sub.add_parser("progress", help="decide progress, hold or regress per exercise from session logs")
    pr.add_argument("analysis", help="the analysis document with its program (rebalance assess --json)")
    pr.add_argument("logs", help="session logs (rebalance.logs/1, YAML or JSON)")
    pr.add_argument("--assessment", help="a new assessment: revise the program and print the diff")
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(func=_cmd_progress)

    oc = sub.add_parser("outcomes", help="change over a series of assessments, against minimal important change")
    oc.add_argument("cases", nargs="+", help="assessment files, any order")
    oc.add_argument("--logs", help="session logs, for adherence")
    oc.add_argument("--json", action="store_true")
    oc.set_defaults(func=_cmd_outcomes)

    fg = sub.add_parser("figures", help="draw every exercise's figure into a folder, with a contact sheet to review")
    fg.add_argument("folder", help="where to write <exercise>.svg and contact-sheet.svg (made if need be)")
    fg.add_argument("--png", action="store_true", help="also write PNGs (needs Debian's rsvg-convert)")
    fg.set_defaults(func=_cmd_figures)

    _paper_parsers(sub)

    e = sub.add_parser("explain", help="teach a muscle, test, pattern, exercise, structure, habit ...")
    e.add_argument("id")
    e.add_argument("--json", action="store_true", help="the same blocks as data, each with its record's ids")
    e.set_defaults(func=_cmd_explain)

    sv = sub.add_parser("serve", help="the clinic web app on REBALANCE_DATABASE_URL (default: ./rebalance.db)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    sv.add_argument("--demo", action="store_true", help="seed a demo clinic into an empty database; print its logins")
    sv.add_argument("--no-access-log", action="store_true", help="do not log every request")
    sv.add_argument(
        "--workers", type=_workers, default=1, help=f"worker processes, 1 to {MAX_WORKERS} (default 1; one a core)"
    )
    sv.set_defaults(func=_cmd_serve)

    _video_parser(sub)

    kb = sub.add_parser("kb", help="the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("dump", help="the whole base as JSON").set_defaults(func=_cmd_kb_dump)
    kb_sub.add_parser("check", help="validate the base; non-zero exit on any problem").set_defaults(func=_cmd_kb_check)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (exit 2) or --help (exit 0)
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except UnknownIdError as exc:
        print(f"rebalance: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except InvalidInputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{_problems(len(exc.problems))}; nothing was written", file=sys.stderr)
        return EXIT_INVALID
    except KnowledgeBaseError as exc:
        print(f"rebalance: the knowledge base has problems (run 'rebalance kb check'):\n{exc}", file=sys.stderr)
        return EXIT_ERROR
    except RebalanceError as exc:
        print(f"rebalance: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
