#!/usr/bin/env bash
# Runs foreign-language tests against uniffi-generated bindings on Linux: Python (ctypes),
# Kotlin (K2JVMCompiler + JNA on the JVM) and Swift (swiftc in a Debian trixie chroot).
# Installs its toolchains through .ci/setup-kotlin.sh and .ci/setup-swift.sh (cached, idempotent).
#
# usage: .ci/run-binding-tests.sh --cdylib PATH/libNAME.so --bindings DIR
#            [--python TESTDIR] [--kotlin TESTDIR] [--swift TESTDIR]
#            [--kotlin-src DIR]... [--swift-src DIR]... [--env NAME=VALUE]...
#   DIR holds the output of `uniffi-bindgen generate --library ... --out-dir DIR/LANG` for
#   LANG in python, kotlin, swift. A language runs only when its TESTDIR is given.
#   python: every test_*.py in TESTDIR runs with the generated module importable.
#   kotlin: every *.kt in TESTDIR is compiled with the bindings into one jar; each file with a
#           top-level `fun main` runs as class <package.>FileNameKt.
#   swift:  TESTDIR's *.swift (top-level code in main.swift) are compiled into one program,
#           which runs inside the chroot. With --swift-src, the generated bindings and those
#           sources are first compiled as the module GridworkKit in Swift 6 language mode (as
#           the app builds them) and the tests `import GridworkKit`; without, the bindings
#           are compiled into the test program.
#   --kotlin-src / --swift-src: more sources compiled with the tests (a shell's
#           platform-independent wrapper code); --env: set for every test program.
# A test program fails by exiting non-zero. Ends with `bindings: N passed, N failed`
# (one count per test program) and exits non-zero if any failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE="${GRIDWORK_CI_CACHE:-/var/cache/gridwork-ci}"
cdylib='' bindings='' py_tests='' kt_tests='' swift_tests=''
kt_srcs=() swift_srcs=() test_env=()
while [ $# -gt 0 ]; do
    case "$1" in
        --cdylib) cdylib=$2; shift 2 ;;
        --bindings) bindings=$2; shift 2 ;;
        --python) py_tests=$2; shift 2 ;;
        --kotlin) kt_tests=$2; shift 2 ;;
        --swift) swift_tests=$2; shift 2 ;;
        --kotlin-src) kt_srcs+=("$2"); shift 2 ;;
        --swift-src) swift_srcs+=("$2"); shift 2 ;;
        --env) test_env+=("$2"); shift 2 ;;
        *) echo "run-binding-tests: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ ! -f "$cdylib" ] || [ ! -d "$bindings" ]; then
    echo "usage: $0 --cdylib LIB.so --bindings DIR [--python DIR] [--kotlin DIR] [--swift DIR]" >&2
    exit 2
fi
abs() { (cd "$(dirname "$1")" && echo "$(pwd -P)/$(basename "$1")"); }
cdylib=$(abs "$cdylib")
bindings=$(abs "$bindings")
libfile=$(basename "$cdylib")

# Work dir under /tmp: .ci/swiftc-chroot binds /tmp, so paths are the same inside the chroot.
work=$(mktemp -d /tmp/gridwork-bindings.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib"
cp "$cdylib" "$work/lib/$libfile"

passed=0 failed=0
record() { # record NAME COMMAND...: runs a test program and counts it
    local name=$1 t0=$SECONDS
    shift
    echo "=== $name"
    if "$@"; then
        passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1)); echo "=== $name: FAILED ($((SECONDS - t0)) s)"
    fi
}

# --- Python: the generated module loads lib<name>.so from its own folder.
if [ -n "$py_tests" ]; then
    mkdir -p "$work/python"
    cp "$bindings"/python/*.py "$work/python/"
    ln -s "$work/lib/$libfile" "$work/python/$libfile"
    for t in "$py_tests"/test_*.py; do
        [ -f "$t" ] || continue
        record "python $(basename "$t")" env ${test_env[@]+"${test_env[@]}"} \
            PYTHONPATH="$work/python" python3 "$t"
    done
fi

# --- Kotlin: compile bindings + tests with K2JVMCompiler, run on the JVM with Debian's JNA.
if [ -n "$kt_tests" ]; then
    t0=$SECONDS
    bash "$HERE/setup-kotlin.sh" >/dev/null
    # shellcheck disable=SC1091
    . "$CACHE/kotlin.env"
    cp_compile="$KOTLIN_STDLIB_JAR:$JNA_JAR"
    # Async exports make the generated Kotlin import kotlinx.coroutines; the kit's Flows and
    # suspend wrappers (PhoneApi.kt) and its tests do too.
    if grep -rq '^import kotlinx\.coroutines' "$bindings/kotlin" "$kt_tests" ${kt_srcs[@]+"${kt_srcs[@]}"}; then
        cp_compile="$cp_compile:$KOTLINX_COROUTINES_JAR"
    fi
    mapfile -t kt_sources < <(find "$bindings/kotlin" "$kt_tests" ${kt_srcs[@]+"${kt_srcs[@]}"} \
        -name '*.kt' | sort)
    echo "=== kotlin: compiling ${#kt_sources[@]} files (Kotlin $KOTLIN_COMPILER_VERSION)"
    if java -cp "$KOTLIN_COMPILER_JAR" "$KOTLIN_COMPILER_MAIN" -no-stdlib -no-reflect \
        -jvm-target 17 -classpath "$cp_compile" -d "$work/kotlin-tests.jar" \
        "${kt_sources[@]}"; then
        echo "=== kotlin: compiled in $((SECONDS - t0)) s"
        for t in "$kt_tests"/*.kt; do
            grep -q '^fun main' "$t" || continue
            pkg=$(sed -n 's/^package[[:space:]]\{1,\}\([A-Za-z0-9_.]*\).*/\1./p' "$t" | head -n1)
            base=$(basename "$t" .kt)
            main_class="$pkg${base^}Kt"
            record "kotlin $base" env ${test_env[@]+"${test_env[@]}"} java -Djna.nosys=false \
                -Djava.library.path="$JNA_DISPATCH_DIR" -Djna.library.path="$work/lib" \
                -cp "$work/kotlin-tests.jar:$cp_compile" "$main_class"
        done
    else
        failed=$((failed + 1)); echo "=== kotlin: compile FAILED"
    fi
fi

# --- Swift: compile in the trixie chroot against the bookworm-built cdylib, run there too.
if [ -n "$swift_tests" ]; then
    t0=$SECONDS
    bash "$HERE/setup-swift.sh" >/dev/null
    modulemap=$(find "$bindings/swift" -maxdepth 1 -name '*.modulemap' | head -n1)
    sw_binds=()
    kit_sources=()
    for d in ${swift_srcs[@]+"${swift_srcs[@]}"}; do
        mapfile -t -O "${#kit_sources[@]}" kit_sources < <(find "$d" -maxdepth 1 -name '*.swift' | sort)
        sw_binds+=(--bind "$(abs "$d")")
    done
    sw_env=()
    for e in ${test_env[@]+"${test_env[@]}"}; do sw_env+=(--env "$e"); done
    name=${libfile#lib}
    name=${name%.so}
    ffi=(-Xcc -fmodule-map-file="$modulemap" -I "$bindings/swift")
    mapfile -t sw_tests < <(find "$swift_tests" -maxdepth 1 -name '*.swift' | sort)
    compiled=true
    if [ ${#kit_sources[@]} -gt 0 ]; then
        # The kit as the app builds it: the generated bindings and the --swift-src files as
        # one module, GridworkKit, in Swift 6 language mode (strict concurrency); the tests
        # (top-level test code, default language mode) import it.
        echo "=== swift: compiling GridworkKit (${#kit_sources[@]} files + bindings, Swift 6 language mode)"
        mkdir -p "$work/kit"
        "$HERE/swiftc-chroot" --bind "$work" --bind "$bindings" ${sw_binds[@]+"${sw_binds[@]}"} \
            -swift-version 6 -parse-as-library -wmo -module-name GridworkKit "${ffi[@]}" \
            -emit-module -emit-module-path "$work/kit/GridworkKit.swiftmodule" \
            -emit-library -static -o "$work/kit/libGridworkKit.a" \
            "$bindings"/swift/*.swift "${kit_sources[@]}" || compiled=false
        echo "=== swift: GridworkKit compiled in $((SECONDS - t0)) s"
        sw_sources=("${sw_tests[@]}")
        kit_link=(-I "$work/kit" -L "$work/kit" -lGridworkKit)
    else
        mapfile -t sw_sources < <(find "$bindings/swift" -maxdepth 1 -name '*.swift' | sort)
        sw_sources+=("${sw_tests[@]}")
        kit_link=()
    fi
    echo "=== swift: compiling ${#sw_sources[@]} test files"
    if $compiled && "$HERE/swiftc-chroot" --bind "$work" --bind "$bindings" --bind "$(abs "$swift_tests")" \
        ${sw_binds[@]+"${sw_binds[@]}"} \
        -module-name BindingTests -wmo "${ffi[@]}" ${kit_link[@]+"${kit_link[@]}"} \
        "${sw_sources[@]}" \
        -L "$work/lib" -l"$name" -Xlinker -rpath -Xlinker "$work/lib" \
        -o "$work/swift-tests"; then
        echo "=== swift: compiled in $((SECONDS - t0)) s"
        record "swift tests" "$HERE/swiftc-chroot" --bind "$work" ${sw_env[@]+"${sw_env[@]}"} \
            --exec "$work/swift-tests"
    else
        failed=$((failed + 1)); echo "=== swift: compile FAILED"
    fi
fi

echo "bindings: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
