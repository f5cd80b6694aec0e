"""The ``course`` command."""
from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path

from course_lib.data import SOURCES
from course_lib.runtime import RUN_MODES


def _doctor(args) -> int:
    from course_lib.doctor import report, run_checks

    return report(run_checks())


def _data_show(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from course_lib.data import load_digits_dataset
    from course_lib.plotting import plot_digits_per_class

    data = load_digits_dataset(args.source)
    out = Path(args.out)
    plot_digits_per_class(data.x_train, data.y_train, per_class=args.per_class,
                          title=f"Course digits: {data.origin}", save_to=out)
    print(f"Saved a grid of {args.per_class} real digits per class to {out.resolve()}")
    return 0


def _data_build(args) -> int:
    from course_lib.text2image import build_captioned_dataset

    path = build_captioned_dataset(args.source, args.out, captions_per_image=args.captions_per_image,
                                   seed=args.seed)
    print(f"Load it with: numpy.load({str(path)!r})")
    return 0


def _train(args) -> int:
    from course_lib.text2image import Text2ImageConfig, saved_config, train

    overrides = {"num_epochs": args.epochs} if args.epochs is not None else {}
    # Without --config, a run goes on as it was configured (--epochs extends it); a new run takes the quick preset.
    saved = None if args.fresh or args.config else saved_config(args.run_dir)
    config = (dataclasses.replace(saved, **overrides) if saved
              else Text2ImageConfig.preset(args.config or "quick", **overrides))
    train(args.run_dir, config, source=args.data, fresh=args.fresh)
    print(f"Run directory: {Path(args.run_dir).resolve()} (losses.png, samples/, checkpoints/)")
    return 0


def _check_prompts(prompts) -> list[str]:
    cleaned = [p.strip() for p in prompts]
    empty = [i + 1 for i, p in enumerate(cleaned) if not p]
    if empty:
        raise ValueError(f"prompt {empty[0]} is empty: describe a digit, e.g. \"a thick, slanted seven\"")
    return cleaned


def _load_model(run_dir):
    """The run in ``run_dir``; without --run-dir, the default run or else the pretrained model (said aloud)."""
    from course_lib.text2image import DEFAULT_RUN_DIR, load_run

    run = load_run(run_dir)
    if run.pretrained:
        print(f"No trained run in {DEFAULT_RUN_DIR}: drawing with the pretrained model shipped with the course "
              f"({run.config.name} preset). `course train` makes your own.")
    return run


def _generate(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib.text2image import plot_generation

    prompts = _check_prompts(args.prompts)
    if args.n < 1:
        raise ValueError("-n must be at least 1")
    run = _load_model(args.run_dir)
    drawn = run.generate(prompts, n=args.n, seed=args.seed)
    out = Path(args.out)
    stem = out.with_suffix("") if out.suffix.lower() in (".png", ".npz") else out
    drawn.save_npz(stem.with_suffix(".npz"))
    plt.close(plot_generation(drawn, save_to=stem.with_suffix(".png")))
    for prompt, plan, unknown in zip(prompts, drawn.plans, drawn.unknown_words):
        if plan.length > 1:
            print(f"{prompt!r}: {plan.length} digits, " + ", ".join(f"{s.digit} ({s.caption!r})" for s in plan.slots))
        elif not plan.names_a_digit:
            print(f"{prompt!r} names no digit: every digit is drawn, one per image")
    print(f"Saved {stem.with_suffix('.png').resolve()} and {stem.with_suffix('.npz').resolve()}")
    return 0


def _evaluate(args) -> int:
    import json

    from course_lib.app import format_realism_summary, ratings_dir, realism_summary
    from course_lib.text2image import evaluate

    run = _load_model(args.run_dir)
    print(f"Evaluating {run.describe()}")
    result = evaluate(loaded=run, n=args.n, progress=True)
    human = realism_summary(ratings_dir(run))  # the Realism tab's ratings (course app), when there are any
    if human:
        result["human_realism"] = human
        print("\nHuman realism ratings (course app, Realism tab)\n" + format_realism_summary(human))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
        print(f"Wrote {Path(args.json).resolve()}")
    return 0


def _grade(args) -> int:
    from course_lib.grading.classroom import grade_class, summary

    report = grade_class(args.week, course_dir=args.course_dir, jobs=args.jobs, students=args.student,
                         timeout=args.timeout, memory_limit_gb=args.memory_limit, csv_path=args.csv,
                         progress=not args.no_progress)
    print(summary(report))
    return 0


def _pretrained_judge(args) -> int:
    from course_lib.metrics import export_judge

    path = export_judge(args.data)
    print(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB); `course pretrained check` measures it")
    return 0


def _pretrained_export(args) -> int:
    from course_lib.text2image import export_pretrained

    folder = export_pretrained(args.run_dir)
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    print(f"Wrote {folder} ({size:.1f} MB); `course pretrained check` measures it")
    return 0


def _pretrained_check(args) -> int:
    from course_lib.text2image import check_pretrained

    report = check_pretrained()
    for name, line in report.items():
        print(f"{name}: {line}")
    return 0


def _app(args) -> int:
    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be from 1 to 65535, not {args.port}")
    _refuse_a_busy_port(args.host, args.port)
    from course_lib.app import launch

    launch(args.run_dir, host=args.host, port=args.port, share=args.share, inline=False, block=True)
    return 0


def _refuse_a_busy_port(host: str, port: int) -> None:
    """Say at once that the port is taken, before TensorFlow, Gradio and the model load (half a minute on a
    slow machine). launch() still reports a port taken in between."""
    import errno
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise OSError(f"cannot serve the app on {host}:{port}: another program is using the port. "
                              "Choose another with --port.") from None
            raise OSError(f"cannot serve the app on {host}:{port} ({err.strerror or err}): check --host and "
                          "--port.") from None


DEMO_PROMPTS = ("a thick, slanted seven", "a thin seven", "a bold 3 leaning left", "a fat two", "a skinny upright 1",
                "a handwritten digit", "the number 42", "a thick 7 next to a thin 1")


def demo_steps(out: str = "runs/demo") -> list[list[str]]:
    """The commands of the demo, in order: check the machine, look at the data, train the quick model (or go on
    with runs/text2image: it stops at the preset's epochs), draw prompts, evaluate."""
    return [["doctor"],
            ["data", "show", "--out", f"{out}/digits_per_class.png"],
            ["train", "--config", "quick"],
            ["generate", *DEMO_PROMPTS, "-n", "8", "--out", f"{out}/prompts"],
            ["evaluate", "--json", f"{out}/evaluation.json"]]


def _demo(args) -> int:
    # one process for every step: each `course` command would import TensorFlow again (about 8 s on 2 cores)
    parser = build_parser()
    for argv in demo_steps(args.out):
        print(f"\n$ course {shlex.join(argv)}", flush=True)
        step = parser.parse_args(argv)
        code = step.func(step)
        if code:
            print(f"course demo: stopped, `course {argv[0]}` failed (exit code {code})", file=sys.stderr)
            return code
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="GANs for Creative Applications: course tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    doctor = sub.add_parser("doctor", help="check the environment and the data")
    doctor.set_defaults(func=_doctor)

    demo = sub.add_parser("demo", help="what `make demo` runs: doctor, data show, train the quick model, generate, "
                                       "evaluate, each step printed as its own command")
    demo.add_argument("--out", default="runs/demo", help="folder for the demo's pictures and evaluation")
    demo.set_defaults(func=_demo)

    data = sub.add_parser("data", help="look at the course data")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    show = data_sub.add_parser("show", help="save a PNG grid of real digits, one row per class")
    show.add_argument("--source", default="auto", choices=SOURCES)
    show.add_argument("--out", default="runs/digits_per_class.png", help="PNG file to write")
    show.add_argument("--per-class", type=int, default=10)
    show.set_defaults(func=_data_show)
    build = data_sub.add_parser("build", help="measure, caption and save the digits as one .npz (final project)")
    build.add_argument("--source", default="auto", choices=SOURCES)
    build.add_argument("--out", default=None, help="file to write (default: the course data dir)")
    build.add_argument("--captions-per-image", type=int, default=5)
    build.add_argument("--seed", type=int, default=0)
    build.set_defaults(func=_data_build)

    train = sub.add_parser("train", help="train (or resume) the text2image GAN")
    train.add_argument("--config", default=None, choices=RUN_MODES,
                       help="the preset (default: the run's own settings when it goes on, else quick)")
    train.add_argument("--data", default="auto", choices=SOURCES)
    train.add_argument("--epochs", type=int, default=None, help="total epochs (default: the preset's)")
    train.add_argument("--run-dir", default="runs/text2image")
    train.add_argument("--fresh", action="store_true", help="delete the run directory and start over")
    train.set_defaults(func=_train)

    gen = sub.add_parser("generate", help="draw digits and numbers for one or more prompts")
    gen.add_argument("prompts", nargs="+", metavar="PROMPT",
                     help='e.g. "a thick, slanted seven", "the number 42", "forty-two", "a handwritten digit"')
    gen.add_argument("--run-dir", default=None,
                     help="a trained run (default: runs/text2image, or the pretrained model when that has none)")
    gen.add_argument("-n", type=int, default=8, help="images per prompt")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", required=True,
                     help="FILE: writes FILE.png (grid) and FILE.npz (images, prompts, lengths, digits)")
    gen.set_defaults(func=_generate)

    ev = sub.add_parser("evaluate", help="measure prompt accuracy, attribute control, diversity, numbers, "
                                         "robustness, fidelity")
    ev.add_argument("--run-dir", default=None,
                    help="a trained run (default: runs/text2image, or the pretrained model when that has none)")
    ev.add_argument("--json", default=None, help="also write the results to this JSON file")
    ev.add_argument("-n", type=int, default=10, help="samples per prompt")
    ev.set_defaults(func=_evaluate)

    app = sub.add_parser("app", help="serve the web app (Gradio): Digit, Sentence and Realism tabs")
    app.add_argument("--run-dir", default=None,
                     help="the trained run to serve (default: runs/text2image, or the pretrained model when that has none)")
    app.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    app.add_argument("--port", type=int, default=7860)
    app.add_argument("--share", action="store_true", help="also make a public gradio.live link (needs internet)")
    app.set_defaults(func=_app)

    grade = sub.add_parser("grade", help="autograde every submission of an assignment, in parallel (nbgrader)")
    grade.add_argument("week", metavar="WEEK", help="the assignment, a week folder (e.g. week4_gans)")
    grade.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: nbgrader_config.py's)")
    grade.add_argument("--memory-limit", type=float, default=None, help="GB per submission (default: a fair share)")
    grade.add_argument("--csv", default=None, help="per-exercise scores (default: grades/WEEK.csv)")
    grade.add_argument("--course-dir", default=".", help="the nbgrader course directory (default: here)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    grade.set_defaults(func=_grade)

    pre = sub.add_parser("pretrained", help="rebuild or check the small models that ship with the course")
    pre_sub = pre.add_subparsers(dest="pretrained_command", required=True)
    judge = pre_sub.add_parser("judge", help="write the judge (Week 3's full classifier) into course_lib/pretrained/")
    judge.add_argument("--data", default="mnist-5k", choices=[s for s in SOURCES if s != "auto"])
    judge.set_defaults(func=_pretrained_judge)
    export = pre_sub.add_parser("export", help="copy a trained run's generator (float16), encoder and config "
                                               "into course_lib/pretrained/")
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.set_defaults(func=_pretrained_export)
    check = pre_sub.add_parser("check", help="load each shipped model and measure its accuracy")
    check.set_defaults(func=_pretrained_check)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, RuntimeError, OSError) as err:
        print(f"course: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
