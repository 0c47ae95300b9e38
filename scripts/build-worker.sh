#!/usr/bin/env bash
# Offline build of the mediasoup C++ worker against Debian libraries, for
# machines that cannot download mediasoup's prebuilt worker (air-gapped
# networks). Called by scripts/prepare.mjs; it needs the apt packages that
# prepare.mjs installs (or names) and meson >= 1.1 + ninja from pip.
#
#   build-worker.sh MEDIASOUP_PKG_DIR WORK_DIR
#
# Sources are copied from MEDIASOUP_PKG_DIR into WORK_DIR (never built inside
# node_modules), patched, built; the stripped binary path is the last line.
set -euo pipefail
pkg=$(cd "$1" && pwd)
work=$(mkdir -p "$2" && cd "$2" && pwd)
log() { echo "[build-worker] $*" >&2; }

# meson >= 1.1 (Debian bookworm has 1.0.1) and ninja, in a venv.
venv="$work/venv"
if [ ! -x "$venv/bin/meson" ] || [ ! -x "$venv/bin/ninja" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --retries 1 "meson>=1.1" ninja ||
    { log "pip could not install meson>=1.1 and ninja (no package index reachable?)"; exit 1; }
fi
export NINJA="$venv/bin/ninja"
meson="$venv/bin/meson"

version=$(node -p "require('$pkg/package.json').version")
src="$work/mediasoup-$version"
if [ ! -f "$src/worker/meson.build" ]; then
  rm -rf "$src" && mkdir -p "$src"
  cp -a "$pkg/worker" "$src/worker"
fi
worker="$src/worker"

# The one source fix: onSslBioOut answers its own 1 to every BIO_ctrl(), so
# with Debian's KTLS-enabled OpenSSL BIO_get_ktls_send() says yes, no write
# buffer is allocated and the worker crashes on the first DTLS ClientHello.
dtls="$worker/src/RTC/DtlsTransport.cpp"
sed -i 's/(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1;/(operationType \& BIO_CB_RETURN) ? static_cast<long>(ret) : 1;/' "$dtls"
grep -q '(operationType & BIO_CB_RETURN) ? static_cast<long>(ret) : 1;' "$dtls" ||
  { log "DtlsTransport.cpp is not as expected for mediasoup $version; the DTLS fix could not be applied"; exit 1; }

# Each meson wrap becomes a stub project over the Debian library that exports
# the variables worker/meson.build reads.
stub() { # $1 wrap name; stdin: meson.build
  local d="$worker/subprojects/$(sed -n 's/^directory *= *//p' "$worker/subprojects/$1.wrap" | tr -d '[:space:]')"
  mkdir -p "$d" && cat > "$d/meson.build" && echo '/* system library stub */' > "$d/stub.c"
  echo "$d"
}
stub openssl >/dev/null <<'M'
project('openssl', 'c')
openssl_dep = declare_dependency(dependencies: [dependency('libssl'), dependency('libcrypto')])
libcrypto_lib = static_library('crypto_stub', 'stub.c')
libssl_lib = static_library('ssl_stub', 'stub.c')
M
d=$(stub libuv <<'M'
project('libuv', 'c')
libuv_dep = dependency('libuv')
libuv = static_library('uv_stub', 'stub.c')
M
)
printf "option('build_tests', type: 'boolean', value: false)\noption('build_benchmarks', type: 'boolean', value: false)\n" > "$d/meson_options.txt"
d=$(stub libsrtp2 <<'M'
project('libsrtp2', 'c')
_srtp = dependency('libsrtp2')
libsrtp2_dep = declare_dependency(dependencies: _srtp, compile_args: [
  '-I' + _srtp.get_variable(pkgconfig: 'includedir') / 'srtp2',
  '-include', meson.current_source_dir() / 'srtp_compat.h'])
libsrtp2 = static_library('srtp2_stub', 'stub.c')
M
)
printf "option('crypto-library', type: 'string', value: 'openssl')\noption('crypto-library-kdf', type: 'feature', value: 'disabled')\noption('tests', type: 'feature', value: 'disabled')\n" > "$d/meson_options.txt"
# mediasoup 3.16 is written against versatica's libsrtp fork (size_t* lengths,
# srtp_stream_remove); Debian ships libsrtp2 2.5 (int* lengths, srtp_remove_stream).
cat > "$d/srtp_compat.h" <<'H'
#ifndef VISITWIRE_SRTP_COMPAT_H
#define VISITWIRE_SRTP_COMPAT_H
#ifdef __cplusplus
#include <srtp.h>
#include <climits>
#include <cstddef>
#include <cstdint>
template<typename F> inline srtp_err_status_t vw_int_len(F f, size_t* len) {
  if (*len > static_cast<size_t>(INT_MAX)) return srtp_err_status_bad_param;
  int l = static_cast<int>(*len); const srtp_err_status_t e = f(&l); *len = static_cast<size_t>(l); return e;
}
inline srtp_err_status_t srtp_protect(srtp_t c, void* h, size_t* n) { return vw_int_len([&](int* l) { return srtp_protect(c, h, l); }, n); }
inline srtp_err_status_t srtp_unprotect(srtp_t c, void* h, size_t* n) { return vw_int_len([&](int* l) { return srtp_unprotect(c, h, l); }, n); }
inline srtp_err_status_t srtp_protect_rtcp(srtp_t c, void* h, size_t* n) { return vw_int_len([&](int* l) { return srtp_protect_rtcp(c, h, l); }, n); }
inline srtp_err_status_t srtp_unprotect_rtcp(srtp_t c, void* h, size_t* n) { return vw_int_len([&](int* l) { return srtp_unprotect_rtcp(c, h, l); }, n); }
inline srtp_err_status_t srtp_stream_remove(srtp_t s, uint32_t ssrc) { return srtp_remove_stream(s, ssrc); }
#endif
#endif
H
d=$(stub usrsctp <<'M'
project('usrsctp', 'c')
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('usrsctp_stub', 'stub.c')
M
)
echo "option('sctp_build_programs', type: 'boolean', value: false)" > "$d/meson_options.txt"
stub abseil-cpp >/dev/null <<'M'
project('abseil-cpp', 'c')
_d = []
foreach m : ['absl_flat_hash_map', 'absl_flat_hash_set', 'absl_btree', 'absl_inlined_vector', 'absl_memory']
  _d += dependency(m)
endforeach
absl_container_dep = declare_dependency(dependencies: _d)
_d = []
foreach m : ['absl_strings', 'absl_str_format']
  _d += dependency(m)
endforeach
absl_strings_dep = declare_dependency(dependencies: _d)
_d = []
foreach m : ['absl_optional', 'absl_variant', 'absl_span']
  _d += dependency(m)
endforeach
absl_types_dep = declare_dependency(dependencies: _d)
absl_container_lib = static_library('absl_container_stub', 'stub.c')
M
stub catch2 >/dev/null <<'M'
project('catch2', 'c')
catch2_dep = declare_dependency()
catch2_with_main_dep = declare_dependency()
M
stub flatbuffers >/dev/null <<'M'
project('flatbuffers', 'c')
flatbuffers_dep = dependency('flatbuffers')
flatbuffers_lib = static_library('flatbuffers_stub', 'stub.c')
M

# liburing: bookworm's 2.3 lacks APIs mediasoup needs; it is an optional send path.
build="$worker/out/Release/build"
if [ ! -f "$build/build.ninja" ]; then
  rm -rf "$build"
  (cd "$worker" && "$meson" setup --wrap-mode=nodownload --prefix "$worker/out/Release" --bindir "" --libdir "" \
    --buildtype release -Db_ndebug=true -Dms_disable_liburing=true "$build") >&2
fi
start=$(date +%s)
"$meson" compile -C "$build" flatbuffers-generator >&2
"$meson" compile -C "$build" -j "$(nproc)" mediasoup-worker >&2
log "compiled in $(( $(date +%s) - start ))s"
out="$work/mediasoup-worker"
install -m 0755 "$build/mediasoup-worker" "$out" && strip "$out"
echo "$out"
