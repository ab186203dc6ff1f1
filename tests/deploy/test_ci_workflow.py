"""Structural checks of the hosted CI definition (.github/workflows/), offline.

No GitHub workflow JSON schema (nor actionlint) is available here, so this checks
what the pipeline promises (docs/ci.md):
- both workflows are YAML with name, on and jobs; every job has runs-on and
  steps, every step exactly one of run/uses, every action pinned to a version;
- every `needs` names an existing job and the graph has no cycle;
- the jobs of the brief exist: release tests on SQLite (with the OpenAPI lint),
  PostgreSQL, asan, tsan, full lint, coverage with a threshold, container build
  with a vulnerability scan, staging then production deploys behind environments,
  and a manual rollback with kubectl rollout undo;
- deploys wait for every check and production waits for staging;
- no `${{ }}` expression is expanded inside a shell script (script injection):
  values reach scripts through env;
- every run script passes shellcheck (expressions replaced by a placeholder);
- `make test` runs `make lint`, which runs scripts/lint.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import REPO

WORKFLOWS = os.path.join(REPO, ".github", "workflows")
CHECK_JOBS = {"test", "postgres", "asan", "tsan", "lint", "coverage", "container"}
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def load(name: str) -> dict:
    with open(os.path.join(WORKFLOWS, name), encoding="utf-8") as f:
        document = yaml.safe_load(f)
    # YAML 1.1 reads the bare key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


@pytest.fixture(scope="module")
def ci() -> dict:
    return load("ci.yml")


@pytest.fixture(scope="module")
def rollback() -> dict:
    return load("rollback.yml")


def scripts(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def needs_of(job: dict) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def upstream(jobs: dict, name: str) -> set[str]:
    seen: set[str] = set()
    stack = needs_of(jobs[name])
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(needs_of(jobs[current]))
    return seen


@pytest.mark.parametrize("name", ["ci.yml", "rollback.yml"])
def test_workflow_shape(name):
    workflow = load(name)
    assert {"name", "on", "jobs"} <= workflow.keys(), workflow.keys()
    assert workflow["permissions"] == {"contents": "read"}, "least privilege by default"
    for job_name, job in workflow["jobs"].items():
        assert "runs-on" in job, job_name
        assert job.get("timeout-minutes", 0) > 0, f"{job_name} has no timeout"
        assert job["steps"], job_name
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), (job_name, step)
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), (job_name, step["uses"])


@pytest.mark.parametrize("name", ["ci.yml", "rollback.yml"])
def test_needs_name_existing_jobs_without_cycles(name):
    jobs = load(name)["jobs"]
    for job_name, job in jobs.items():
        for need in needs_of(job):
            assert need in jobs, f"{job_name} needs unknown job {need}"
        assert job_name not in upstream(jobs, job_name), f"cycle through {job_name}"


def test_every_check_job_exists(ci):
    assert CHECK_JOBS | {"deploy-staging", "deploy-production"} <= ci["jobs"].keys()
    assert ci["on"]["pull_request"] is None and ci["on"]["push"]["branches"] == ["main"]


def test_test_jobs_cover_sqlite_postgres_and_openapi_lint(ci):
    test = scripts(ci["jobs"]["test"])
    assert "cmake --build --preset release" in test
    assert "-R '^openapi\\.lint$'" in test, "the OpenAPI lint (tests/docs_ui/lint_openapi.sh) runs"
    postgres = scripts(ci["jobs"]["postgres"])
    # The PostgreSQL suites are selected in one job and excluded in the other.
    selection = "'^postgres\\.|\\.postgres$|^db\\.cli$|^deploy\\.scaling$'"
    assert f"-R {selection}" in postgres
    assert selection.strip("'") in test and " -E " in test.replace("\n", " ")


def test_sanitizer_jobs_use_the_makefile_targets(ci):
    assert "make test-asan" in scripts(ci["jobs"]["asan"])
    assert "make test-tsan" in scripts(ci["jobs"]["tsan"])


def test_lint_job_runs_the_full_clang_tidy(ci):
    job = ci["jobs"]["lint"]
    assert "bash scripts/lint" in scripts(job)
    lint_step = next(step for step in job["steps"] if "scripts/lint" in step.get("run", ""))
    assert lint_step["env"]["KEEL_LINT_TIDY"] == "all"


def test_coverage_has_a_threshold(ci):
    job = ci["jobs"]["coverage"]
    assert "--coverage" in scripts(job)
    assert 50 <= int(job["env"]["COVERAGE_MIN_LINES"]) <= 100
    assert '--fail-under-line "$COVERAGE_MIN_LINES"' in scripts(job)
    assert "gcovr" in scripts(job)


def test_container_is_built_and_scanned(ci):
    job = ci["jobs"]["container"]
    text = scripts(job)
    assert "docker build -f deploy/Dockerfile" in text
    assert "debsecan" in text and "--only-fixed" in text
    push = next(step for step in job["steps"] if "docker push" in step.get("run", ""))
    assert push["if"] == "github.event_name == 'push'", "pull requests never push images"
    assert job["permissions"]["packages"] == "write"


def test_deploys_wait_for_every_check_and_production_for_staging(ci):
    jobs = ci["jobs"]
    staging, production = jobs["deploy-staging"], jobs["deploy-production"]
    assert CHECK_JOBS <= upstream(jobs, "deploy-staging")
    assert needs_of(production) == ["deploy-staging"]
    assert staging["environment"]["name"] == "staging"
    # Required reviewers on this environment are the manual approval (docs/ci.md).
    assert production["environment"]["name"] == "production"
    for job in (staging, production):
        text = scripts(job)
        assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
        assert "cp -r deploy/k8s" in text and "kubectl kustomize" in text
        assert "kubectl apply" in text
        assert "rollout status deployment/keel" in text
        assert "wait --for=condition=complete job/keel-migrate" in text
        assert "bash scripts/smoke" in text
        assert job["concurrency"]["cancel-in-progress"] is False


def test_rollback_is_manual_and_uses_rollout_undo(rollback):
    assert list(rollback["on"]) == ["workflow_dispatch"]
    inputs = rollback["on"]["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["staging", "production"]
    job = rollback["jobs"]["rollback"]
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert "kubectl -n \"$NAMESPACE\" rollout undo deployment/keel" in scripts(job)
    assert "bash scripts/smoke" in scripts(job)


@pytest.mark.parametrize("name", ["ci.yml", "rollback.yml"])
def test_no_expression_inside_shell_scripts(name):
    for job_name, job in load(name)["jobs"].items():
        for step in job["steps"]:
            assert not EXPRESSION.search(step.get("run", "")), (job_name, step.get("name"))


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is installed by scripts/setup")
@pytest.mark.parametrize("name", ["ci.yml", "rollback.yml"])
def test_run_scripts_pass_shellcheck(name, tmp_path):
    count = 0
    for job_name, job in load(name)["jobs"].items():
        for index, step in enumerate(job["steps"]):
            if "run" not in step:
                continue
            script = tmp_path / f"{job_name}-{index}.sh"
            # GitHub runs `run:` with bash -e {0}; expressions are not shell.
            script.write_text("#!/bin/bash\nset -e\n" + EXPRESSION.sub("placeholder", step["run"]))
            done = subprocess.run(["shellcheck", "-s", "bash", str(script)], capture_output=True, text=True)
            assert done.returncode == 0, f"{job_name} step {step.get('name')}:\n{done.stdout}"
            count += 1
    assert count >= 1


def test_make_test_runs_lint():
    with open(os.path.join(REPO, "Makefile"), encoding="utf-8") as f:
        makefile = f.read()
    assert re.search(r"^test: setup lint ", makefile, re.M)
    assert re.search(r"^lint:\n\t@bash scripts/lint$", makefile, re.M)
