#!/usr/bin/env bash
# Installs a Swift 6 compiler for the binding tests: Debian bookworm has no Swift package, so this
# builds a Debian trixie chroot (debootstrap, minbase) in the machine cache and installs Debian's
# `swiftlang` inside it. `.ci/swiftc-chroot` then runs swiftc/the compiled program inside it.
#
# Idempotent: a chroot whose swiftc answers `-version` is left alone (about a second).
# Cache: $GRIDWORK_CI_CACHE (default /var/cache/gridwork-ci)/swift-trixie. Needs root.
# Prints the chroot path on stdout as `GRIDWORK_SWIFT_CHROOT=...` and writes $CACHE/swift.env.
# shellcheck disable=SC2016 # the inner script expands its own arguments
set -euo pipefail

CACHE="${GRIDWORK_CI_CACHE:-/var/cache/gridwork-ci}"
ROOT="$CACHE/swift-trixie"
SUITE=trixie
PACKAGES=(swiftlang libc6-dev libstdc++-14-dev)
export DEBIAN_FRONTEND=noninteractive

log() { echo "setup-swift: $*" >&2; }

# Runs a command inside the chroot. /proc and /dev are mounted in a private mount namespace
# (unshare), so the kernel drops every mount when the command ends, even on SIGKILL.
in_chroot() {
    unshare --mount --propagation private -- /bin/bash -c '
        set -e
        root=$1; shift
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
            LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
    ' bash "$ROOT" "$@" </dev/null
}

# Refuses to go on when something is mounted below the chroot in this namespace (a leftover
# from a hand-made mount): `rm -rf` would otherwise walk into the host's files.
assert_no_mounts() {
    if awk -v r="$ROOT/" 'index($2 "/", r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
        log "something is mounted below $ROOT; unmount it first (see /proc/mounts)"
        exit 1
    fi
}

# Prints the URI of the Debian archive this machine's apt uses for its own release
# (deb822 *.sources first, then one-line *.list), so the chroot uses the same mirror.
debian_mirror() {
    local codename f
    # shellcheck disable=SC1091
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v cn="$codename" '
            BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; suites = ""; enabled = 1
                for (i = 1; i <= NF; i++) {
                    line = $i
                    if (line ~ /^[ \t]*#/) continue
                    if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); uris = line }
                    if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = " " line " " }
                    if (line ~ /^Enabled:[ \t]*no/) enabled = 0
                }
                if (enabled && uris != "" && index(suites, " " cn " ")) { split(uris, u, " "); print u[1] }
            }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v cn="$codename" '
            $1 == "deb" {
                i = 2
                if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == cn) print $i
            }' "$f"
    done
}

swiftc_works() {
    [ -x "$ROOT/usr/bin/swiftc" ] && in_chroot swiftc -version >/dev/null 2>&1
}

write_env() {
    mkdir -p "$CACHE"
    printf 'GRIDWORK_SWIFT_CHROOT=%s\n' "$ROOT" >"$CACHE/swift.env"
    cat "$CACHE/swift.env"
}

if [ "$(id -u)" != 0 ]; then
    log "needs root (debootstrap, chroot, mount)"
    exit 1
fi

# One setup at a time on this machine (a developer's run beside CI's).
mkdir -p "$CACHE"
exec 9>"$CACHE/swift.lock"
flock 9

if swiftc_works; then
    log "cached: $(in_chroot swiftc -version 2>&1 | head -n1)"
    write_env
    exit 0
fi

start=$SECONDS
mkdir -p "$CACHE"

if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

if [ ! -f "$ROOT/.gridwork-debootstrap-done" ]; then
    mirror=$(debian_mirror | head -n1)
    if [ -z "$mirror" ]; then
        log "could not find this machine's Debian mirror in /etc/apt/sources.list(.d)"
        exit 1
    fi
    assert_no_mounts
    rm -rf "$ROOT"
    log "debootstrap --variant=minbase $SUITE $ROOT $mirror"
    debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror" >"$CACHE/debootstrap.log" 2>&1 || {
        tail -n 30 "$CACHE/debootstrap.log" >&2
        exit 1
    }
    touch "$ROOT/.gridwork-debootstrap-done"
    log "debootstrap done after $((SECONDS - start)) s"
fi

# Name resolution inside the chroot: the host's resolver (may be a symlink on the host).
cat /etc/resolv.conf >"$ROOT/etc/resolv.conf"

log "apt-get install ${PACKAGES[*]} (inside the chroot)"
in_chroot apt-get update -qq
in_chroot apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >"$CACHE/swift-apt.log" 2>&1 || {
    tail -n 30 "$CACHE/swift-apt.log" >&2
    exit 1
}
in_chroot apt-get clean

if ! swiftc_works; then
    log "swiftc does not run inside $ROOT"
    exit 1
fi
log "ready after $((SECONDS - start)) s: $(in_chroot swiftc -version 2>&1 | head -n1)"
write_env
