"""Loaded by every Python process whose PYTHONPATH holds this folder (the test's students' kernels): when
REPO_AUDIT_LOG is set, append to it every path inside REPO_AUDIT_REPO that the process opens or lists,
except the installed course itself. A released notebook that reads the repository works only on the
author's machine, never on a student's laptop or on Colab."""
import os
import sys

_LOG = os.environ.get("REPO_AUDIT_LOG")
_REPO = os.environ.get("REPO_AUDIT_REPO")
# The import system lists this folder itself, as it is on PYTHONPATH.
_ALLOWED = ("course_lib", ".venv", "gans_creative_course.egg-info", "tests/repo_audit")

if _LOG and _REPO:
    def _audit(event, args, _seen=set()):
        if event in ("open", "os.listdir", "os.scandir", "glob.glob") and args and isinstance(args[0], (str, bytes)):
            path = os.path.abspath(os.fsdecode(args[0]))
            if path.startswith(_REPO + os.sep) and not path[len(_REPO) + 1:].startswith(_ALLOWED) and path not in _seen:
                _seen.add(path)
                # O_APPEND: two kernels graded at once never interleave one short line.
                fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                try:
                    os.write(fd, (path + "\n").encode())
                finally:
                    os.close(fd)

    sys.addaudithook(_audit)
