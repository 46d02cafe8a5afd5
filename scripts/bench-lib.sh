# Helpers the benchmark and soak scripts share; source it, do not run it.

# wait_up URL SECONDS: polls URL every 0.1 s until it answers 2xx; exits the script after SECONDS.
wait_up() {
  local tries=$(( $2 * 10 ))
  for _ in $(seq 1 "$tries"); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "did not start: $1" >&2
  exit 1
}

# metric PORT NAME: the value of the unlabelled sample NAME on 127.0.0.1:PORT/metrics.
metric() { curl -fs "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n {print $2}'; }
