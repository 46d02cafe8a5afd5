#!/usr/bin/env bash
# Installs the Debian packages Prescient builds and tests with, skipping what is already there.
# Runs as root (CI, fresh machines) or through sudo.
set -euo pipefail
packages=(
  libsnappy-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler zlib1g-dev libxxhash-dev  # wire libraries, gzip, key hash
  prometheus prometheus-alertmanager victoria-metrics                    # real peers for tests and benchmarks
  curl python3 util-linux openssl                                        # test and benchmark helpers (taskset; test CA)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts these as services on install; tests start their own copies on other ports.
for s in prometheus prometheus-alertmanager victoria-metrics prometheus-node-exporter; do
  $sudo systemctl stop "$s" >/dev/null 2>&1 || $sudo service "$s" stop >/dev/null 2>&1 || true
done
