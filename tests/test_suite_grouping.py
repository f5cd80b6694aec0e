"""The test suite's own rule for pytest-xdist (tests/conftest.py): a module whose tests share a module-scoped
fixture is one xdist group, or two workers would each build the fixture (a graded class, a trained run)."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent


def _module_fixtures(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and any(
                        k.arg == "scope" and isinstance(k.value, ast.Constant) and k.value.value == "module"
                        for k in deco.keywords):
                    found.append(node.name)
    return found


def _groups(tree: ast.Module) -> int:
    return sum(isinstance(n, ast.Attribute) and n.attr == "xdist_group" for n in ast.walk(tree))


def test_the_rule_sees_a_module_fixture_and_a_group():
    bare = ast.parse('@pytest.fixture(scope="module")\ndef trained():\n    return 1\n')
    grouped = ast.parse('pytestmark = pytest.mark.xdist_group("m")\n' + ast.unparse(bare))
    assert _module_fixtures(bare) == ["trained"] and _groups(bare) == 0 and _groups(grouped) == 1


@pytest.mark.parametrize("path", sorted(TESTS.glob("test_*.py")), ids=lambda p: p.name)
def test_a_module_with_a_shared_fixture_is_one_xdist_group(path):
    tree = ast.parse(path.read_text())
    shared = _module_fixtures(tree)
    assert not shared or _groups(tree), (
        f"{path.name} has module-scoped fixtures {shared} but no xdist_group mark: add "
        f'pytestmark = pytest.mark.xdist_group("{path.stem}")')


GROUPED = '''import pytest
pytestmark = pytest.mark.xdist_group("shared")
@pytest.mark.parametrize("i", range(6))
def test_shared(i):
    pass
'''
PER_PARAM = '''import pytest
@pytest.fixture(scope="module", params=[pytest.param(p, marks=pytest.mark.xdist_group(p)) for p in ("a", "b")])
def week(request):
    return request.param
@pytest.mark.parametrize("i", range(4))
def test_week(week, i):
    pass
'''


def test_xdist_keeps_each_group_in_one_worker(tmp_path):
    """The installed pytest and pytest-xdist really group (pytest 9.2 silently stopped them: pytest-xdist#1386)."""
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_per_param.py").write_text(PER_PARAM)
    (tmp_path / "test_free.py").write_text("def test_free():\n    pass\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the course's settings
    run = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
                          "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    workers: dict[str, set[str]] = {}
    for worker, group in re.findall(r"\[(gw\d)\].*PASSED \S+@(\S+)", run.stdout):  # loadgroup: <nodeid>@<group>
        workers.setdefault(group, set()).add(worker)
    assert set(workers) == {"shared", "a", "b"}, f"groups seen: {sorted(workers)}\n{run.stdout[-3000:]}"
    split = {g: w for g, w in workers.items() if len(w) > 1}
    assert not split, f"groups split over workers: {split}\n{run.stdout[-3000:]}"


def test_the_heaviest_modules_are_handed_out_first():
    """Notebook and grader modules, then the other slow ones, then the rest; a module stays in one piece."""
    files = ["test_grading_checks.py", "test_text2image_cli.py", "test_grading_class.py", "test_runtime.py"]
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          *(str(TESTS / f) for f in files)], cwd=TESTS.parent, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    modules = [line.split("::")[0].split("/")[-1] for line in run.stdout.splitlines() if "::" in line]
    in_order = [m for i, m in enumerate(modules) if i == 0 or m != modules[i - 1]]
    assert in_order == ["test_grading_class.py", "test_text2image_cli.py", "test_grading_checks.py",
                        "test_runtime.py"], in_order
