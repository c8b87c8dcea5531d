#!/usr/bin/env bash
# Installs the OPA reference engine used by conftest_ref.py into
# tests/conformance/.opa/ (gitignored). Needs only python3 (>= 3.10) and pip,
# and network access to PyPI. Idempotent: re-running is a no-op once installed.
#
# The engine is the PyPI package `opa-golib-python-bindings` (OPA v1.20.2 built
# as a Go c-shared library, driven through ctypes). Two things about it:
#   * it declares Requires-Python >= 3.14 but is pure ctypes + a .so, so we
#     download the wheel for 3.14 and unzip it ourselves (works on 3.10+);
#   * its bridge hard-codes rego.StrictBuiltinErrors(true), while conftest runs
#     OPA with the default NON-strict builtin errors (a failing builtin makes
#     the expression undefined). We patch the 4 bytes of the closure that sets
#     that flag so it stores false instead (`movzbl 0x8(%rdx),%ecx` ->
#     `xor %ecx,%ecx; nop`). The patch is checked by sha256 before and after,
#     and by a behavioural self-test.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="${OPA_REF_HOME:-$HERE/.opa}"
PY="${PYTHON:-python3}"

VERSION="0.4.4"
WHEEL="opa_golib_python_bindings-${VERSION}-py3-none-manylinux_2_34_x86_64.whl"
WHEEL_SHA256="d411c901e14b8c7c3023e23e4a944f4cf429c1d31baf80e959e57d11efbfd24a"
SO_SHA256_ORIG="8da2cf16edeae1c07e617b9572d2d1c61bad2ead8b620c79fc093be493b0f582"
SO_SHA256_PATCHED="91f2b8aec171a9b9be20f375004c69058da55fadf85db54eff93f3043844ae7a"
MARKER="$DEST/site/.installed-${VERSION}-nonstrict"

if [[ -f "$MARKER" ]]; then
  echo "OPA reference engine already installed in $DEST"
  exit 0
fi

if [[ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]]; then
  echo "install_opa.sh: only linux x86_64 is supported (the wheel is manylinux x86_64)" >&2
  exit 1
fi

mkdir -p "$DEST/wheel"
if [[ ! -f "$DEST/wheel/$WHEEL" ]]; then
  "$PY" -m pip download --quiet --disable-pip-version-check \
    --python-version 3.14 --only-binary=:all: --no-deps \
    -d "$DEST/wheel" "opa-golib-python-bindings==${VERSION}"
fi

rm -rf "$DEST/site.tmp"
"$PY" - "$DEST/wheel/$WHEEL" "$DEST/site.tmp" "$WHEEL_SHA256" "$SO_SHA256_ORIG" "$SO_SHA256_PATCHED" <<'PYEOF'
import hashlib, sys, zipfile, pathlib
wheel, dest, wheel_sha, so_orig, so_patched = sys.argv[1:]
data = pathlib.Path(wheel).read_bytes()
got = hashlib.sha256(data).hexdigest()
if got != wheel_sha:
    sys.exit(f"wheel sha256 mismatch: {got} != {wheel_sha}")
with zipfile.ZipFile(wheel) as z:
    z.extractall(dest)
so = pathlib.Path(dest) / "opa_bindings" / "libopabridge.so"
b = bytearray(so.read_bytes())
if hashlib.sha256(b).hexdigest() != so_orig:
    sys.exit("libopabridge.so is not the expected build; refusing to patch")
# main.evalCommon.func1.StrictBuiltinErrors.3 (text vaddr == file offset here)
OFF = 0x9AB7A0
expect = bytes.fromhex("0fb64a08" "888880020000" "c3")
if bytes(b[OFF:OFF + len(expect)]) != expect:
    sys.exit("unexpected bytes at the StrictBuiltinErrors closure; refusing to patch")
b[OFF:OFF + 4] = bytes.fromhex("31c96690")   # xor %ecx,%ecx ; 2-byte nop
if hashlib.sha256(b).hexdigest() != so_patched:
    sys.exit("patched library sha256 mismatch")
so.write_bytes(bytes(b))
PYEOF

# Behavioural self-test: non-strict builtin errors must make expressions undefined.
PYTHONPATH="$DEST/site.tmp" "$PY" - <<'PYEOF'
from opa_bindings import OpaEngine
e = OpaEngine()
e.print_handler = lambda *a: None
e.add_policy("selftest.rego", """package selftest
r contains "a" if { to_number("abc") > 0 }
r contains "b" if { not to_number("abc") }
r contains "c" if { 1 / 0 }
r contains "d" if { true }
""")
got = e.eval_document("selftest.r")
assert sorted(got) == ["b", "d"], got
print("OPA self-test ok (non-strict builtin errors)")
PYEOF

rm -rf "$DEST/site"
mv "$DEST/site.tmp" "$DEST/site"
touch "$MARKER"
echo "OPA reference engine installed in $DEST/site"
