# What a binary adds to its runtime, and how much it may add: sourced by scripts/build, which
# fails a build over the limits, and scripts/check-binaries, which checks the binaries a workflow
# is about to time or publish. A binary's payload is its size minus its runtime's empty program,
# compiled the same way (flags, target, base, output name); the README (Sizes) says what the
# payloads are made of and why the limits are where they are.
#   BUN_PAYLOAD_LIMIT_MB    default 5.5     (MB of 10^6 bytes, to hundredths)
#   DENO_PAYLOAD_LIMIT_MB   default 2
# The caller has cd'ed to the checkout and set PATH (the pinned deno and bun first).

# The flags of every `bun build --compile` here, one per line (the file says why each is there).
mapfile -t bun_flags < <(grep -vE '^[[:space:]]*(#|$)' scripts/bun-compile-flags)
# The Deno binaries: `deno bundle` of src/main.ts, then `deno compile` of that bundle.
mapfile -t deno_bundle_flags < <(grep -vE '^[[:space:]]*(#|$)' scripts/deno-bundle-flags)
# The package.json export conditions deno bundle adds to its own (it has no flag for them, only
# this variable): "module" picks a package's ES module build where it has one. A CommonJS module
# that is imported dynamically becomes a chunk with a default export only, when split: the
# doctor's `await import("@smithy/core/config")` then found none of its names.
deno_bundle_conditions=module
mapfile -t deno_compile_flags < <(grep -vE '^[[:space:]]*(#|$)' scripts/deno-compile-flags)

declare -A target_of=(
  [bun-linux-amd64]=bun-linux-x64 [bun-linux-arm64]=bun-linux-arm64
  [deno-linux-amd64]=x86_64-unknown-linux-gnu [deno-linux-arm64]=aarch64-unknown-linux-gnu)

# limit_bytes NAME VALUE: VALUE (MB, to hundredths) in bytes, or exit 2 naming the variable.
limit_bytes() {
  [[ $2 =~ ^([0-9]+)(\.([0-9]{1,2}))?$ ]] ||
    { echo "${0##*/}: $1 must be a number of MB with at most two decimals, not '$2'" >&2; exit 2; }
  local hundredths=${BASH_REMATCH[3]:-0}
  [ ${#hundredths} -eq 1 ] && hundredths=${hundredths}0
  echo $((10#${BASH_REMATCH[1]} * 1000000 + 10#$hundredths * 10000))
}
bun_limit_mb=${BUN_PAYLOAD_LIMIT_MB:-5.5}
bun_limit=$(limit_bytes BUN_PAYLOAD_LIMIT_MB "$bun_limit_mb") || exit 2
deno_limit_mb=${DENO_PAYLOAD_LIMIT_MB:-2}
deno_limit=$(limit_bytes DENO_PAYLOAD_LIMIT_MB "$deno_limit_mb") || exit 2

# mb BYTES: BYTES in MB (10^6 bytes), rounded to hundredths.
mb() {
  local hundredths=$((($1 + 5000) / 10000))
  printf '%d.%02d' $((hundredths / 100)) $((hundredths % 100))
}

# denort_for ARCH: DENORT_BIN when it is a binary for that architecture (x86_64 or aarch64).
denort_for() {
  [ -n "${DENORT_BIN:-}" ] && [ -f "$DENORT_BIN" ] || return 1
  local machine
  machine=$(od -An -tx2 -j18 -N2 "$DENORT_BIN" | tr -d ' ')
  case "$1:$machine" in x86_64:003e | aarch64:00b7) return 0 ;; esac
  return 1
}

# deno_base TARGET: the denort deno compile uses for TARGET: DENORT_BIN when it is for TARGET's
# architecture, else nothing (deno compile downloads it).
deno_base() {
  if denort_for "${1%%-*}"; then echo "$DENORT_BIN"; fi
}

# deno_compile BASE DIR TARGET OUTPUT: DIR/main.js and every file beside it, and nothing else,
# compiled for TARGET on BASE (a denort, or a stand-in), or on the denort deno compile downloads
# when BASE is empty.
deno_compile() {
  local base=$1 dir=$2 target=$3 output=$4 env=(-u DENORT_BIN)
  [ -z "$base" ] || env=(DENORT_BIN="$base")
  # deno compile refuses to overwrite a file it did not write; a stale one must not mask the cause.
  rm -f "$output"
  # shellcheck disable=SC2046 # the permission flags are separate words
  env "${env[@]}" deno compile --quiet "${deno_compile_flags[@]}" --target "$target" \
    $(deno run scripts/deno-permissions.ts) --include "$dir" --output "$output" "$dir/main.js"
}

# payload_limit NAME: the limit in bytes for a binary called epicac-NAME.
payload_limit() {
  if [[ $1 == bun-* ]]; then echo "$bun_limit"; else echo "$deno_limit"; fi
}

# payload_limit_mb NAME: the same, as given.
payload_limit_mb() {
  if [[ $1 == bun-* ]]; then echo "$bun_limit_mb"; else echo "$deno_limit_mb"; fi
}

# payload NAME FILE [BASE]: FILE's size in bytes above its runtime's empty program, compiled for
# epicac-NAME's target with the same flags (a Deno one on BASE, else on deno_base's). The empty
# program has FILE's name, which both compilers record in the binary.
payload() {
  local name=$1 file=$2 base=${3-} dir size
  size=$(stat -c %s "$file") || return 1
  dir=$(mktemp -d) || return 1
  if [[ $name == bun-* ]]; then
    : >"$dir/empty.ts" &&
      (cd "$dir" && bun build empty.ts "${bun_flags[@]}" --target="${target_of[$name]}" \
        --outfile "${file##*/}" >/dev/null 2>&1)
  else
    [ -n "$base" ] || base=$(deno_base "${target_of[$name]}")
    mkdir "$dir/program" && : >"$dir/program/main.js" &&
      deno_compile "$base" "$dir/program" "${target_of[$name]}" "$dir/${file##*/}" >/dev/null 2>&1
  fi || { rm -rf "$dir"; return 1; }
  echo $((size - $(stat -c %s "$dir/${file##*/}")))
  rm -rf "$dir"
}

# run_binary FILE ARGS...: run a built binary on this machine, under qemu-user when it is built
# for the other architecture.
run_binary() {
  local file=$1; shift
  if [[ $file == *arm64 && $(uname -m) != aarch64 ]]; then
    qemu-aarch64 -L /usr/aarch64-linux-gnu "$file" "$@"
  elif [[ $file == *amd64 && $(uname -m) == aarch64 ]]; then
    qemu-x86_64 -L /usr/x86_64-linux-gnu "$file" "$@"
  else
    "$file" "$@"
  fi
}
