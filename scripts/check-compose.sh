#!/usr/bin/env bash
# Checks the deployment files without Docker (no daemon runs here):
#   1. docker-compose.yml against the Compose Specification's JSON schema, as bundled
#      in check-jsonschema (`--builtin-schema vendor.compose-spec`);
#   2. the project's own rules (scripts/compose/check_project.py): the hub's healthcheck
#      on /readyz, depends_on db healthy, no inline secrets, named volumes, a non-root
#      multi-stage Dockerfile, and .env.example documenting every ${VAR} compose uses;
#   3. the Dockerfile with hadolint (settings in scripts/compose/hadolint.yaml);
#   4. deploy/haproxy.cfg with `haproxy -c`, from Debian's package unpacked under
#      target/ (Debian ships 2.6; the image runs 2.8, which accepts 2.6's syntax).
# The tools are installed once into target/compose-check/ and reused.
# Usage, from anywhere: scripts/check-compose.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/scripts/compose
cache=$root/target/compose-check
venv=$cache/venv
mkdir -p "$cache"
cd "$root"

want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
have=$(cat "$venv/.requirements.sha256" 2>/dev/null || true)
if [[ "$want" != "$have" || ! -x "$venv/bin/check-jsonschema" ]]; then
  echo "check-compose: installing scripts/compose/requirements.txt into $venv"
  rm -rf "$venv"
  timeout 60 python3 -m venv "$venv"
  timeout 180 "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$here/requirements.txt"
  echo "$want" >"$venv/.requirements.sha256"
fi

status=0
step() {
  local name=$1
  shift
  if "$@"; then
    echo "check-compose: ok: $name"
  else
    echo "check-compose: FAILED: $name"
    status=1
  fi
}

step "docker-compose.yml matches the Compose Specification schema" \
  "$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
step "project rules (scripts/compose/check_project.py)" \
  "$venv/bin/python" "$here/check_project.py" "$root"
step "hadolint Dockerfile" \
  "$venv/bin/hadolint" --no-color --config "$here/hadolint.yaml" Dockerfile

# haproxy and the libraries it needs beyond the base system, unpacked without
# installing (no service starts, nothing outside target/ changes).
haproxy_root=$cache/haproxy
haproxy_debs=(haproxy liblua5.3-0 libopentracing-c-wrapper0 libopentracing1)
if [[ ! -x "$haproxy_root/usr/sbin/haproxy" ]]; then
  echo "check-compose: unpacking Debian's haproxy into $haproxy_root"
  debs=$(mktemp -d)
  # An apt cache that was never updated knows no packages: update once and retry.
  if ! (cd "$debs" && timeout 60 apt-get download -qq "${haproxy_debs[@]}" 2>/dev/null); then
    timeout 120 apt-get update -qq
    (cd "$debs" && timeout 60 apt-get download -qq "${haproxy_debs[@]}" 2>/dev/null)
  fi
  rm -rf "$haproxy_root.partial"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$haproxy_root.partial"; done
  rm -rf "$debs" "$haproxy_root"
  mv "$haproxy_root.partial" "$haproxy_root"
fi
haproxy_libs=$(find "$haproxy_root" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)
step "haproxy -c deploy/haproxy.cfg" \
  env LD_LIBRARY_PATH="$haproxy_libs" "$haproxy_root/usr/sbin/haproxy" -c -q -f deploy/haproxy.cfg

if [[ $status -ne 0 ]]; then
  echo "check-compose: FAILED" >&2
  exit 1
fi
echo "check-compose: OK"
