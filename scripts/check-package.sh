#!/usr/bin/env bash
# Packaging check: build the sdist and the wheel (the wheel from the sdist), check their metadata,
# look inside the wheel, then install it into a fresh venv with the Airflow the project runs on and
# prove that Airflow finds the provider and that everything it promises is there. Exits non-zero on
# the first failure. Run by .ci/run; by hand: bash scripts/check-package.sh
#
# The fresh venv gets the wheel (with its [sql] extra, for SqlToSmsOperator) and exactly the versions
# of .venv/ (pip freeze as constraints), so pip resolves nothing new and installs from its cache.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source scripts/setup.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$SECONDS

echo "== build (sdist, then the wheel from it)"
python -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
sdist=("$work"/dist/*.tar.gz)
wheel=("$work"/dist/*.whl)
echo "   ${sdist[0]##*/} ${wheel[0]##*/}"

echo "== twine check --strict"
python -m twine check --strict "${sdist[0]}" "${wheel[0]}"

echo "== wheel contents"
python scripts/check_package.py contents "${wheel[0]}" "${sdist[0]}"

echo "== install the wheel into a fresh venv"
python -m pip freeze --exclude-editable >"$work/constraints.txt"
python -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-compile --disable-pip-version-check \
  --constraint "$work/constraints.txt" "${wheel[0]}[sql]"

echo "== the installed provider, from outside the source tree"
cd "$work"  # the checkout's airflow_provider_sms/ must not shadow the installed one
export AIRFLOW_HOME="$work/airflow_home" AIRFLOW__CORE__LOAD_EXAMPLES=False PYTHONWARNINGS=ignore
"$work/venv/bin/python" "$ROOT/scripts/check_package.py" installed "$ROOT"
"$work/venv/bin/airflow" providers get airflow-provider-sms -o json >"$work/provider.json"
"$work/venv/bin/airflow" providers hooks -o json >"$work/hooks.json"
"$work/venv/bin/python" - "$work/provider.json" "$work/hooks.json" <<'PY'
import json, sys
provider = json.load(open(sys.argv[1]))
hooks = json.load(open(sys.argv[2]))
assert any(p.get("Provider") == "airflow-provider-sms" for p in provider), provider
types = {h.get("connection_type") for h in hooks}
missing = {"primotexto", "smspartner"} - types
assert not missing, f"airflow providers hooks lacks the connection types {sorted(missing)}"
print("   airflow providers get/hooks: airflow-provider-sms, connection types primotexto and smspartner")
PY
"$work/venv/bin/sms-gateway-emulator" --help >/dev/null
echo "   sms-gateway-emulator --help runs"
echo "== package check passed in $((SECONDS - started)) s"
