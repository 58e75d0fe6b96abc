#!/usr/bin/env bash
# Issue 17, the newcomer's path, as .ci/run runs it:
#   .ci/newcomer-steps.sh deps      before `cargo test`: yamllint (Debian), which
#                                   tests/newcomer.rs runs on init's host files
#   .ci/newcomer-steps.sh install [ROOT]
#                                   the README's step one, `cargo install --locked
#                                   --path .`, into ROOT (default: a temporary
#                                   root, removed after); the installed binary
#                                   then builds the sample archive and a new site.
#                                   .ci/run keeps ROOT and runs the release-mode
#                                   tests against ROOT/bin/marginalia
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
deps)
  if ! command -v yamllint >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq yamllint >/dev/null
  fi
  ;;
install)
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # CARGO_TARGET_DIR=target makes cargo install build in target/release
  # (instead of a fresh temporary folder), reusing what the release steps
  # before this one compiled.
  root="${2:-$tmp/root}"
  time CARGO_TARGET_DIR=target cargo install --locked --path . --root "$root"
  bin="$root/bin/marginalia"
  "$bin" --version
  "$bin" build --root . --output "$tmp/sample"
  test -s "$tmp/sample/articles/iran-backchannel/index.html"
  # A new user's first minute, without a terminal: init never waits.
  (cd "$tmp" && "$bin" init my-archive --base-url https://ci.example.net/ </dev/null)
  "$bin" new content/articles/first.md --root "$tmp/my-archive" --date 2024-03-14
  "$bin" build --root "$tmp/my-archive"
  test -s "$tmp/my-archive/output/articles/first/index.html"
  ;;
*)
  echo "usage: $0 deps|install" >&2
  exit 2
  ;;
esac
