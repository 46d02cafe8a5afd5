#!/usr/bin/env bash
# Regenerates Sources/CPrompb from proto/*.proto with protoc-c (Debian: protobuf-c-compiler).
# The output is committed so a build needs only libprotobuf-c-dev, not the compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Sources/CPrompb
command -v protoc-c >/dev/null || { echo "protoc-c missing: apt-get install protobuf-c-compiler" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc-c --proto_path=proto --c_out="$tmp" proto/prometheus.proto proto/write_v2.proto
rm -f "$out"/*.pb-c.c "$out"/include/*.pb-c.h
for f in "$tmp"/*.pb-c.c; do cp "$f" "$out/"; done
for f in "$tmp"/*.pb-c.h; do cp "$f" "$out/include/"; done
# SwiftPM puts public headers in include/; the generated .c files include "NAME.pb-c.h".
echo "regenerated $(ls "$out"/*.pb-c.c | wc -l) sources in $out"
