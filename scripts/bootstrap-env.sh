#!/usr/bin/env bash
# Creates (or refreshes) one virtual environment per supported Airflow line, pinned by constraints/.
# airflow-3 (newest 3.x) and airflow-2 (2.11) run everything; airflow-3.0/3.1/3.2 run the per-line
# subset of the test suite (see the Makefile).
# Usage: scripts/bootstrap-env.sh airflow-3|airflow-2|airflow-3.0|airflow-3.1|airflow-3.2 [--refreeze]
set -euo pipefail
cd "$(dirname "$0")/.."

line="${1:?which environment: airflow-3, airflow-2, airflow-3.0, airflow-3.1 or airflow-3.2}"
refreeze="${2:-}"
line_packages=()
# The full-suite environments also get the export tests' S3 server and filesystem (pyproject's export-test).
line_extras=""
overrides=()
exclude_newer=""
exempt_from_exclude_newer=()
case "$line" in
  # `make lint` runs here, so this line also gets import-linter (the layers contract in pyproject.toml);
  # it needs Python 3.11+ and a newer rich than Airflow 2.11 allows, so it is not in the dev extra.
  # botocore (the export tests' S3 client and server) caps python-dateutil below 3; Airflow 3.3 pins 4.0,
  # which botocore's date parsing works with: keep Airflow's pin rather than downgrade it.
  airflow-3) airflow_version="3.3.2"; constraints="constraints/airflow-3.3.txt"
    line_packages=("import-linter>=2.17"); line_extras=",export-test"
    overrides=(--override constraints/overrides-airflow-3.3.txt) ;;
  airflow-2) airflow_version="2.11.2"; constraints="constraints/airflow-2.11.txt"; line_extras=",export-test" ;;
  # With the FAB provider, as Airflow's own image ships it: Airflow 3.0 shows extra fields only then.
  # Airflow 3.0 leaves cadwyn and FastAPI unbounded; newer majors break its execution API (HTTP 422).
  airflow-3.0) airflow_version="3.0.6"; constraints="constraints/airflow-3.0.txt"
    line_packages=(apache-airflow-providers-fab "cadwyn<6" "fastapi<0.118") ;;
  airflow-3.1) airflow_version="3.1.8"; constraints="constraints/airflow-3.1.txt" ;;
  # Airflow 3.2.2 puts no upper bound on the libraries its in-process execution API is built on, and
  # some later releases break that API under dag.test() and the triggerer: svcs 26 fails every request
  # with KeyError 'svcs_registry', FastAPI 0.165 (with cadwyn 8) with a pydantic error on the
  # task-state payload. Rather than bound only the ones found so far, --refreeze resolves this line
  # from what PyPI held when 3.2.2 was released (uploaded 2026-05-29 05:19 UTC; the bound leaves it a
  # few minutes), as Airflow's own constraints for it were; the pins in constraints/ then keep ordinary
  # installs to those versions. Exempt: common-compat, whose minimum in pyproject.toml came later.
  airflow-3.2) airflow_version="3.2.2"; constraints="constraints/airflow-3.2.txt"
    exclude_newer="2026-05-29T06:00:00Z"; exempt_from_exclude_newer=(apache-airflow-providers-common-compat) ;;
  *) echo "unknown environment: $line" >&2; exit 2 ;;
esac

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] < (3, 13) else 1)'; then
  echo "Python 3.10-3.12 is needed (set PYTHON=...); found: $("$python" --version 2>&1)" >&2
  exit 1
fi

tools=".venv/tools"
mkdir -p .venv
# `make env` builds the environments at once: the first to get here installs uv, the others wait.
(
  flock 9
  if [ ! -x "$tools/bin/uv" ]; then
    "$python" -m venv "$tools"
    "$tools/bin/pip" install --quiet "uv==0.13.9"
  fi
) 9>.venv/.tools.lock
uv="$tools/bin/uv"

# The project's own environment: the emulator, users' test extra, our dev tools and the benchmarks' baseline.
project=".[emulator,test,dev,bench${line_extras}]"
env_dir=".venv/$line"
stamp="$env_dir/.installed"
want="$( (cat pyproject.toml "$0" "$constraints" constraints/overrides-* 2>/dev/null || true) | sha256sum | cut -d' ' -f1)"
if [ -z "$refreeze" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

# uv keeps installed packages that satisfy the requirements, whatever their upload date: a date-bounded
# re-resolve starts from an empty environment.
if [ -n "$refreeze" ] && [ -n "$exclude_newer" ]; then
  rm -rf "$env_dir"
fi
[ -x "$env_dir/bin/python" ] || "$uv" venv --quiet --python "$python" "$env_dir"
if [ -n "$refreeze" ]; then
  date_bounds=()
  if [ -n "$exclude_newer" ]; then
    date_bounds=(--exclude-newer "$exclude_newer")
    for package in ${exempt_from_exclude_newer[@]+"${exempt_from_exclude_newer[@]}"}; do
      date_bounds+=(--exclude-newer-package "$package=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
    done
  fi
  "$uv" pip install --quiet --python "$env_dir/bin/python" ${date_bounds[@]+"${date_bounds[@]}"} \
    ${overrides[@]+"${overrides[@]}"} "apache-airflow==$airflow_version" ${line_packages[@]+"${line_packages[@]}"} -e "$project"
  "$uv" pip freeze --quiet --python "$env_dir/bin/python" --exclude-editable \
    | grep -v '^airflow-provider-twilio' > "$constraints"
  want="$(cat pyproject.toml "$0" "$constraints" constraints/overrides-* 2>/dev/null | sha256sum | cut -d' ' -f1)"
else
  "$uv" pip install --quiet --python "$env_dir/bin/python" -c "$constraints" ${overrides[@]+"${overrides[@]}"} \
    "apache-airflow==$airflow_version" ${line_packages[@]+"${line_packages[@]}"} -e "$project"
fi
# Fresh interpreters (tests, dag.test subprocesses, benchmarks) start fast only with bytecode on disk.
"$env_dir/bin/python" -m compileall -q -j 0 "$("$env_dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null 2>&1 || true
echo "$want" > "$stamp"
echo "ready: $env_dir (Airflow $airflow_version)"
