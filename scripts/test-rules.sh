#!/usr/bin/env bash
# Checks Prescient's alerting with the real tools: promtool checks and unit-tests the rules
# (every alert has a test file in alerts/tests/ proving it fires when it should and stays silent
# when it should not), amtool checks the Alertmanager example and where its route sends a page
# and a ticket. Exits non-zero if anything fails; the last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

rules=alerts/prescient-rules.yml
passed=0
failed=0

check() {  # check NAME COMMAND...: runs the command, shows its output on failure
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then
    echo "ok    $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name"
    echo "$out" | sed 's/^/      /'
    failed=$((failed + 1))
  fi
}

expect_output() {  # expect_output NAME WANT COMMAND...: the command's last line must equal WANT
  local name=$1 want=$2; shift 2
  local got
  got=$("$@" 2>/dev/null | tail -n 1)
  if [ "$got" = "$want" ]; then
    echo "ok    $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name: got '$got', want '$want'"
    failed=$((failed + 1))
  fi
}

for tool in promtool amtool; do
  command -v "$tool" >/dev/null || { echo "$tool not found (make deps installs it)"; echo "0 passed, 1 failed"; exit 1; }
done

check "promtool check rules $rules" promtool check rules "$rules"

# Every alert needs its own test file with at least one case where it fires and one where it
# must stay silent; promtool then proves both.
for alert in $(sed -n 's/^ *- alert: *//p' "$rules"); do
  file=alerts/tests/$alert.yml
  if [ ! -f "$file" ]; then
    echo "FAIL  $alert: no $file"; failed=$((failed + 1)); continue
  fi
  if ! grep -q "alertname: $alert\$" "$file" || ! grep -q 'exp_alerts: \[\]' "$file" \
     || ! grep -A1 'exp_alerts:$' "$file" | grep -q 'exp_labels:'; then
    echo "FAIL  $alert: $file must expect it both firing and silent"; failed=$((failed + 1)); continue
  fi
  check "promtool test rules $file (fires and stays silent)" promtool test rules "$file"
done
for file in alerts/tests/*.yml; do
  alert=$(basename "$file" .yml)
  grep -q "^ *- alert: $alert\$" "$rules" && continue
  check "promtool test rules $file" promtool test rules "$file"
done

am=alerts/alertmanager.yml
check "amtool check-config $am" amtool check-config "$am"
expect_output "a page goes to the pager and leaves a ticket" "pager,tickets" \
  amtool config routes test --config.file="$am" severity=page alertname=PrescientDown
expect_output "a ticket goes to the ticket queue only" "tickets" \
  amtool config routes test --config.file="$am" severity=ticket alertname=PrescientSeriesAnomalous

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
