"""Generated projects run their own toolchain: lint, typecheck, tests, deptry, imports.

Slow: a virtual environment with every pillar's dependencies is built once per session (with a
lock, so xdist workers share it) and each rendered project runs its own Makefile against it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests import helpers

pytestmark = pytest.mark.slow

VALID = [combo for combo in helpers.pillar_combinations() if helpers.is_valid(combo)]
NONE = dict.fromkeys(helpers.PILLAR_ANSWERS, False)
# The all-pillars project runs its whole toolchain in test_readme_commands_from_a_fresh_venv (from
# a bare Python, as the README says); here: no pillar, and each pillar alone with what it requires.
REPRESENTATIVE = [NONE]
for _name, _pillar in helpers.PILLARS.items():
    _single = {**NONE, _pillar["answer"]: True}
    for _required in _pillar["requires"]:
        _single[helpers.PILLARS[_required]["answer"]] = True
    REPRESENTATIVE.append(_single)
# Options that change what a pillar's tests run against: the RAG suite against PostgreSQL/pgvector
# (the default store is LanceDB), the LLM suite with a provider that is not the default.
REPRESENTATIVE.append({**NONE, "use_rag": True, "vector_store": "pgvector"})
REPRESENTATIVE.append({**NONE, "use_llm": True, "llm_provider": "ollama"})
# Serving with ML: /predict's edge checks against the trained model, and the playground's predict
# tab in a real browser (the all-pillars project runs every tab in the README test).
REPRESENTATIVE.append({**NONE, "use_ml": True, "use_serving": True})
# Browser tests that must run, not skip (Chromium comes from `make install`'s system step).
PLAYGROUND_TESTS = {
    "use_serving": "test_it_shows_one_tab_per_pillar_present_and_the_trace_view",
    "use_ml": "test_predict_form_comes_from_the_schema_and_shows_the_answer",
    "use_llm": "test_chat_streams_an_answer_from_the_picked_model",
    "use_rag": "test_ask_answers_with_citations_that_open_to_the_chunk",
    "use_agents": "test_a_run_streams_steps_then_answer_and_cost",
}

BUILD = helpers.REPO_ROOT / "build"
BASE_PYTHON = Path(sys.base_prefix) / "bin" / "python{}.{}".format(*sys.version_info[:2])


def base_env() -> dict[str, str]:
    """Environment for generated projects: uv from this venv, this interpreter, offline-safe."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["UV_PYTHON"] = str(BASE_PYTHON)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["BENTOML_DO_NOT_TRACK"] = "true"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


@pytest.fixture(scope="session")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One venv with the all-pillars project's dependencies and dev tools (built once, locked)."""
    BUILD.mkdir(exist_ok=True)
    venv = BUILD / "generated-venv"
    with (BUILD / "generated-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        project = helpers.render_cookiecutter(tmp_path_factory.mktemp("venv-src"))
        env = {**base_env(), "UV_PROJECT_ENVIRONMENT": str(venv)}
        # Byte-compiled, as `make install` does: with PYTHONDONTWRITEBYTECODE set every project's
        # pytest, servers and import checks would compile the dependencies from source again.
        sync = ["uv", "sync", "--quiet", "--all-groups", "--compile-bytecode"]
        subprocess.run(sync, cwd=project, env=env, check=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
    return venv


def project_env(venv: Path) -> dict[str, str]:
    """Run a rendered project's Makefile against the shared venv without syncing it.

    Its `make test` runs in one process (PYTEST_WORKERS=0): these projects already run two at a
    time under this suite's own workers, and xdist workers inside them only added work (the ml-only
    and rag-only projects' `make test` at once: 156 s with workers, 144 s without; 124 vs 101 s).
    The README-following test runs `make test` as users do, on workers.
    """
    return {
        **base_env(),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_NO_SYNC": "1",
        "PYTHONPATH": "src",
        "PYTEST_WORKERS": "0",
    }


def run(command: list[str], project: Path, env: dict[str, str]) -> str:
    """Run ``command`` in ``project``; fail the test with its output when it fails."""
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{_failure_excerpt(output)}"
    return output


def _failure_excerpt(output: str) -> str:
    """pytest's ERRORS (fixture set-up) or FAILURES section when there is one (the tail alone is
    the coverage table), and the last lines."""
    found = [i for i in (output.find("= ERRORS ="), output.find("= FAILURES =")) if i >= 0]
    start = min(found, default=-1)
    head = output[max(start - 200, 0) : start + 8000] + "\n[...]\n" if start >= 0 else ""
    return head + output[-3000:]


def passed(junit_report: Path, test_name: str) -> bool:
    """Whether the JUnit XML report holds ``test_name`` (any parameters), run and passed."""
    cases = [
        case
        for case in ElementTree.parse(junit_report).iter("testcase")  # noqa: S314 - our report
        # pytest-xdist's --dist loadgroup appends "@<group>" to a grouped test's name.
        if case.get("name", "").split("[")[0].split("@")[0] == test_name
    ]
    outcomes = {child.tag for case in cases for child in case}
    return bool(cases) and not outcomes & {"skipped", "failure", "error"}


@pytest.mark.parametrize("combo", REPRESENTATIVE, ids=helpers.combo_id)
def test_make_lint_typecheck_test(
    combo: dict[str, bool], tmp_path: Path, shared_venv: Path
) -> None:
    # A fresh render: the tools write caches into the tree, which other tests compare.
    project = helpers.render_cookiecutter(tmp_path, **combo)
    report = tmp_path / "junit.xml"
    env = {**project_env(shared_venv), "PYTEST_ADDOPTS": f"--junitxml={report}"}
    output = run(["make", "lint", "typecheck", "test"], project, env)
    assert " passed" in output
    assert " failed" not in output
    if combo["use_rag"]:
        # The shared venv has prefect-dask (the ML pillar's): the Dask flow test runs, not skips.
        assert passed(report, "test_dask_flow_builds_the_same_index_as_the_serial_flow")
    assert_playground_ran(combo, report)


def assert_playground_ran(combo: dict[str, object], report: Path) -> None:
    """With serving, the browser test of the page and of each chosen pillar's tab passed."""
    if combo["use_serving"]:
        for answer, test_name in PLAYGROUND_TESTS.items():
            if combo[answer]:
                assert passed(report, test_name), f"{test_name} did not run and pass"


@pytest.mark.parametrize("combo", VALID, ids=helpers.combo_id)
def test_deptry_import_contracts_and_imports(
    combo: dict[str, bool], tmp_path: Path, shared_venv: Path
) -> None:
    project = helpers.render_cookiecutter(tmp_path, **combo)
    env = project_env(shared_venv)
    run(["uv", "run", "deptry", "src"], project, env)
    contracts = run(["uv", "run", "lint-imports"], project, env)
    assert " broken" in contracts
    assert "0 broken" in contracts
    script = (
        "import importlib, pkgutil, my_ai_service as p\n"
        "names = [m.name for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.')]\n"
        "[importlib.import_module(n) for n in names]\n"
        "assert p.__file__.startswith('src/') or '/src/' in p.__file__, p.__file__\n"
        "print(len(names))\n"
    )
    output = run(["uv", "run", "python", "-c", script], project, env)
    assert int(output.strip().splitlines()[-1]) >= 5


def test_import_contracts_catch_an_upward_import_and_a_pillar_to_pillar_import(
    tmp_path: Path, shared_venv: Path
) -> None:
    project = helpers.render_cookiecutter(tmp_path)
    package = project / "src" / "my_ai_service"
    (package / "rag" / "leak.py").write_text("from ..serving import settings\nfrom .. import ml\n")
    result = subprocess.run(
        ["uv", "run", "lint-imports"],
        cwd=project,
        env=project_env(shared_venv),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Floors: a package imports only the floors below it BROKEN" in result.stdout
    assert "rag imports no pillar of its floor (bridges join two pillars) BROKEN" in result.stdout
    assert "my_ai_service.rag.leak -> my_ai_service.serving.settings" in result.stdout


@pytest.mark.parametrize(
    "combo", [dict.fromkeys(helpers.PILLAR_ANSWERS, True), NONE], ids=helpers.combo_id
)
def test_docs_build_and_pre_commit_hooks(
    combo: dict[str, bool], tmp_path: Path, shared_venv: Path
) -> None:
    """`make docs` (mkdocs --strict) and every pre-commit hook pass on a fresh repository."""
    project = helpers.render_cookiecutter(tmp_path, **combo)
    env = project_env(shared_venv)
    run(["make", "docs"], project, env)
    assert (project / "site" / "index.html").is_file()
    (project / "site").rename(tmp_path / "site")  # built output is not part of the repository
    helpers.git(project, "init", "-q")
    helpers.git(project, "add", "-A")
    output = run(["uv", "run", "pre-commit", "run", "--all-files"], project, env)
    assert "Failed" not in output
    assert "Passed" in output


def test_readme_commands_from_a_fresh_venv(tmp_path: Path) -> None:
    """The all-pillars project, following its README literally: `make install`, then lint,
    typecheck and `make test`."""
    project = helpers.render_cookiecutter(tmp_path)
    readme = (project / "README.md").read_text()
    assert "make install" in readme
    assert "make test" in readme
    # A bare machine: Python with pip, make and git, no uv (make install must bring it).
    bare = tmp_path / "bare-python"
    subprocess.run([str(BASE_PYTHON), "-m", "venv", str(bare)], check=True)
    env = {
        **base_env(),
        "PATH": os.pathsep.join([str(bare / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    }
    assert shutil.which("uv", path=env["PATH"]) is None
    run(["make", "install"], project, env)
    assert (bare / "bin" / "uv").is_file()
    assert (project / ".venv").is_dir()
    assert (project / "uv.lock").is_file()
    report = tmp_path / "junit.xml"
    env["PYTEST_ADDOPTS"] = f"--junitxml={report}"
    output = run(["make", "lint", "typecheck", "test"], project, env)
    assert " passed" in output
    assert " failed" not in output
    assert_playground_ran(dict.fromkeys(helpers.PILLAR_ANSWERS, True), report)


def _python_311() -> Path | None:
    found = shutil.which("python3.11")
    return Path(found) if found else None


def project_with_cpu_torch(tmp_path: Path, extra: str, **answers: object) -> tuple[Path, Path]:
    """Render a Python 3.11 project and install it with ``extra`` and pytest: (project, python).

    PyPI's Linux torch is a multi-GB CUDA build; this machine and CI carry the CPU build of torch
    2.13.0 for CPython 3.11 in the folder named by $PIP_FIND_LINKS, so the project is installed
    with Python 3.11, that folder, and a constraint that pins torch to it.
    """
    wheels = os.environ.get("PIP_FIND_LINKS", "")
    python = _python_311()
    if not wheels or not list(Path(wheels).glob("torch-*+cpu-cp311-*.whl")) or python is None:
        pytest.skip("needs Python 3.11 and torch's CPU wheel in $PIP_FIND_LINKS")
    off = dict.fromkeys(helpers.PILLAR_ANSWERS, False)
    project = helpers.render_cookiecutter(tmp_path, **{**off, **answers, "python_version": "3.11"})
    env = base_env()
    venv = tmp_path / "venv"
    constraint = tmp_path / "torch-cpu.txt"
    constraint.write_text("torch==2.13.0+cpu\n")
    run(["uv", "venv", "--quiet", "-p", str(python), str(venv)], project, env)
    venv_python = venv / "bin" / "python"
    install = ["uv", "pip", "install", "--quiet", "--python", str(venv_python)]
    install += ["--find-links", wheels, "-c", str(constraint), "-e", f".[{extra}]", "pytest"]
    run(install, project, env)
    installed = run(["uv", "pip", "freeze", "--python", str(venv_python)], project, env)
    assert "torch==2.13.0+cpu" in installed.splitlines()
    assert "nvidia-" not in installed  # no CUDA libraries came along
    return project, venv_python


def test_llm_finetune_extra_trains_a_lora_adapter_on_cpu(tmp_path: Path) -> None:
    """The `finetune` extra for real: a tiny LoRA run on CPU (torch's CPU wheel, no downloads)."""
    project, python = project_with_cpu_torch(tmp_path, "finetune", use_llm=True)
    test = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    output = run([*test, "-o", "addopts=", "tests/llm/test_finetune.py"], project, base_env())
    assert " passed" in output
    assert " failed" not in output


def test_rag_rerank_extra_with_tiny_local_models(tmp_path: Path) -> None:
    """The `rerank` extra for real: cross-encoder reranker and sentence-transformers embedder.

    The tests build tiny BERT models on disk (the default models would download); none may skip.
    """
    project, python = project_with_cpu_torch(tmp_path, "rerank", use_rag=True)
    test = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    output = run([*test, "tests/rag/test_rerank.py"], project, base_env())
    assert " passed" in output
    assert " failed" not in output
    assert "skipped" not in output


def test_make_bento_builds_and_exports_the_service(tmp_path: Path, shared_venv: Path) -> None:
    """`make bento` (the CI `bento` job and the release attachment) builds from pyproject alone."""
    off = dict.fromkeys(helpers.PILLAR_ANSWERS, False)
    project = helpers.render_cookiecutter(tmp_path, **{**off, "use_serving": True})
    env = {**project_env(shared_venv), "BENTOML_HOME": str(tmp_path / "bentoml")}
    run(["make", "bento"], project, env)
    (bento,) = (project / "dist").glob("my-ai-service-*.bento")
    with tarfile.open(bento) as archive:
        names = set(archive.getnames())
        requirements = archive.extractfile("./env/python/requirements.txt")
        assert requirements is not None
        pinned = requirements.read().decode()
    assert "./src/my_ai_service/serving/service.py" in names
    assert "bentoml" in pinned
