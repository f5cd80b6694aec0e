"""The ``course`` command."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


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
    from course_lib.captions import build_captioned_dataset

    path = build_captioned_dataset(args.source, args.out, captions_per_image=args.captions_per_image,
                                   seed=args.seed)
    print(f"Load it with: numpy.load({str(path)!r})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="GANs for Creative Applications: course tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    doctor = sub.add_parser("doctor", help="check the environment and the data")
    doctor.set_defaults(func=_doctor)

    data = sub.add_parser("data", help="look at the course data")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    show = data_sub.add_parser("show", help="save a PNG grid of real digits, one row per class")
    show.add_argument("--source", default="auto", choices=["auto", "mnist", "mnist-5k", "digits8x8"])
    show.add_argument("--out", default="runs/digits_per_class.png", help="PNG file to write")
    show.add_argument("--per-class", type=int, default=10)
    show.set_defaults(func=_data_show)
    build = data_sub.add_parser("build", help="measure, caption and save the digits as one .npz (final project)")
    build.add_argument("--source", default="auto", choices=["auto", "mnist", "mnist-5k", "digits8x8"])
    build.add_argument("--out", default=None, help="file to write (default: the course data dir)")
    build.add_argument("--captions-per-image", type=int, default=5)
    build.add_argument("--seed", type=int, default=0)
    build.set_defaults(func=_data_build)
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
