# Shared by the scripts: installs what clprop needs on Debian/Ubuntu, or says exactly what is missing.
# Sourced, not run.

CLPROP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# have_pkg NAME: is the Debian package installed?
have_pkg() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# ensure_packages PKG...: apt-get installs the missing ones (as root, or through sudo).
ensure_packages() {
    local missing=()
    local p
    for p in "$@"; do
        have_pkg "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "clprop: missing ${missing[*]}, and this is not a Debian/Ubuntu system: install the equivalents by hand" >&2
        return 1
    fi
    local run=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            run=(sudo)
        else
            echo "clprop: missing packages ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
            return 1
        fi
    fi
    echo "clprop: installing ${missing[*]}" >&2
    "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
    "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Java 17+ and Maven build and run clprop.
ensure_build_tools() {
    local need=()
    if ! command -v javac >/dev/null 2>&1 || ! javac -version 2>&1 | grep -Eq 'javac (1[7-9]|[2-9][0-9])'; then
        need+=(openjdk-17-jdk-headless)
    fi
    command -v mvn >/dev/null 2>&1 || need+=(maven)
    [ ${#need[@]} -eq 0 ] || ensure_packages "${need[@]}"
}

# The OpenCL ICD loader with the unversioned libOpenCL.so that JOCL loads.
ensure_opencl_loader() {
    ensure_packages ocl-icd-opencl-dev
}

# A CPU OpenCL device (PoCL) and clinfo, for tests and CI.
ensure_opencl_cpu_device() {
    ensure_packages ocl-icd-opencl-dev pocl-opencl-icd clinfo
}

# OpenCL implementations beside PoCL that the tests also run on (scripts/opencl-drivers): Mesa's
# rusticl (a software device with RUSTICL_ENABLE=llvmpipe) and the Oclgrind simulator.
ensure_opencl_test_drivers() {
    ensure_packages mesa-opencl-icd oclgrind
}

# build_jar: builds target/clprop.jar when it is missing or older than any source.
build_jar() {
    local jar="$CLPROP_ROOT/target/clprop.jar"
    if [ -f "$jar" ] && [ -z "$(find "$CLPROP_ROOT/src/main" "$CLPROP_ROOT/kernels" "$CLPROP_ROOT/pom.xml" -newer "$jar" -type f -print -quit)" ]; then
        return 0
    fi
    echo "clprop: building target/clprop.jar" >&2
    (cd "$CLPROP_ROOT" && mvn -B -q -DskipTests package >&2)
}

# java_env: signal chaining. OpenCL drivers built on LLVM (PoCL among them) install their own
# SIGSEGV handler over the JVM's; the JVM uses SIGSEGV internally (safepoint polls, null checks),
# so without chaining a run can die at random. Preloading the JDK's libjsig.so keeps the JVM's
# handler first and chains the driver's. (-XX:-PrintWarnings in the launcher hides the JVM's note
# that a library used signal() rather than sigaction().)
java_env() {
    local jsig
    jsig="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/libjsig.so"
    if [ -f "$jsig" ]; then
        export LD_PRELOAD="$jsig${LD_PRELOAD:+:$LD_PRELOAD}"
    else
        echo "clprop: $jsig not found; OpenCL runs may crash (see docs/devices.md, Signal chaining)" >&2
    fi
}
