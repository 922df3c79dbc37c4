#!/usr/bin/env bash
# Installs what the Kotlin binding tests need, from registries this machine reaches:
#   - JNA from Debian (libjna-java: /usr/share/java/jna.jar; libjna-jni: libjnidispatch.system.so),
#   - a Kotlin compiler: PyPI's kotlin-jupyter-kernel bundles a fat jar holding
#     org.jetbrains.kotlin.cli.jvm.K2JVMCompiler plus a kotlin-stdlib jar; it goes into a venv.
# Idempotent: installed pieces are skipped (a cached run takes about a second).
# Cache: $GRIDWORK_CI_CACHE (default /var/cache/gridwork-ci). Needs root for apt-get.
# Writes $CACHE/kotlin.env (sourceable NAME=value lines) and prints it on stdout.
#
# kotlinx-coroutines: uniffi's generated Kotlin imports it only when the crate exports async
# functions; gridwork-ffi exports none, so it is not on the classpath. The compiler jar bundles
# kotlinx-coroutines-core (unrelocated); this script extracts it to $KOTLINX_COROUTINES_JAR
# in case async exports are ever needed.
set -euo pipefail

CACHE="${GRIDWORK_CI_CACHE:-/var/cache/gridwork-ci}"
KERNEL_VERSION="${GRIDWORK_KOTLIN_KERNEL_VERSION:-0.19.0.944}"
VENV="$CACHE/kotlin-venv"
ENV_FILE="$CACHE/kotlin.env"
COMPILER_MAIN=org.jetbrains.kotlin.cli.jvm.K2JVMCompiler
export DEBIAN_FRONTEND=noninteractive

log() { echo "setup-kotlin: $*" >&2; }

apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

start=$SECONDS
mkdir -p "$CACHE"
# One setup at a time on this machine (a developer's run beside CI's).
exec 9>"$CACHE/kotlin.lock"
flock 9

missing=()
for p in libjna-java libjna-jni; do pkg_installed "$p" || missing+=("$p"); done
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

jna_jar=/usr/share/java/jna.jar
dispatch=$(dpkg-query -L libjna-jni | grep -E '/libjnidispatch[^/]*\.so$' | head -n1)
if [ ! -f "$jna_jar" ] || [ -z "$dispatch" ]; then
    log "JNA files missing after install"
    exit 1
fi
dispatch_dir=$(dirname "$dispatch")

have_version=
if [ -x "$VENV/bin/python" ]; then
    have_version=$("$VENV/bin/python" -m pip show kotlin-jupyter-kernel 2>/dev/null |
        awk '/^Version:/ { print $2 }') || true
fi
fresh=
if [ "$have_version" != "$KERNEL_VERSION" ]; then
    log "pip install kotlin-jupyter-kernel==$KERNEL_VERSION into $VENV"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        apt_install python3-venv
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        "kotlin-jupyter-kernel==$KERNEL_VERSION"
    fresh=1
fi

compiler_jar=$(find "$VENV" -name 'kotlin-jupyter-kernel-*-all.jar' | head -n1)
[ -n "$compiler_jar" ] || { log "no *-all.jar in $VENV"; exit 1; }
jars_dir=$(dirname "$compiler_jar")
stdlib_jar=$(find "$jars_dir" -maxdepth 1 -name 'kotlin-stdlib-[0-9]*.jar' | head -n1)
[ -n "$stdlib_jar" ] || { log "no kotlin-stdlib jar beside $compiler_jar"; exit 1; }
coroutines_jar="$CACHE/kotlinx-coroutines-core-from-kernel-$KERNEL_VERSION.jar"

if [ -n "$fresh" ] || [ ! -f "$coroutines_jar" ]; then
    # Check the compiler is really in the fat jar, and cut the coroutines classes out of it.
    "$VENV/bin/python" - "$compiler_jar" "$coroutines_jar" "$COMPILER_MAIN" <<'EOF'
import sys, zipfile
src, dst, main = sys.argv[1:4]
with zipfile.ZipFile(src) as z:
    names = z.namelist()
    if main.replace(".", "/") + ".class" not in names:
        sys.exit(f"{main} not found in {src}")
    # Classes plus the .kotlin_module file: without it top-level functions (launch,
    # runBlocking, ...) are unresolved at compile time.
    keep = [n for n in names if n.startswith(("kotlinx/coroutines/",
            "META-INF/kotlinx-coroutines-core.", "META-INF/kotlinx_coroutines_core.",
            "META-INF/services/kotlinx.coroutines."))]
    with zipfile.ZipFile(dst + ".tmp", "w", zipfile.ZIP_DEFLATED) as out:
        for n in keep:
            out.writestr(n, z.read(n))
import os
os.replace(dst + ".tmp", dst)
EOF
fi

compiler_version=$("$VENV/bin/python" -c '
import sys, zipfile
print(zipfile.ZipFile(sys.argv[1]).read("META-INF/compiler.version").decode().strip())' "$compiler_jar")

cat >"$ENV_FILE.tmp" <<EOF
KOTLIN_COMPILER_JAR=$compiler_jar
KOTLIN_COMPILER_MAIN=$COMPILER_MAIN
KOTLIN_COMPILER_VERSION=$compiler_version
KOTLIN_STDLIB_JAR=$stdlib_jar
KOTLINX_COROUTINES_JAR=$coroutines_jar
JNA_JAR=$jna_jar
JNA_DISPATCH_DIR=$dispatch_dir
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"
log "ready after $((SECONDS - start)) s (Kotlin compiler $compiler_version)"
cat "$ENV_FILE"
