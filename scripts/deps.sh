#!/usr/bin/env bash
# Installs the Debian 12 packages Slate needs to build, run, test and bench,
# s3rver (tests/s3, pinned by its package-lock.json) for the S3 tests and
# oidc-provider (tests/oidc, likewise) for the external-token tests.
# Does nothing (and says nothing) when they are all present.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PACKAGES=(
	build-essential
	ca-certificates
	clang-format
	cmake
	git
	pkg-config
	libargon2-dev
	libcunit1-dev
	libcurl4-openssl-dev
	libjansson-dev
	libjwt-dev
	libmicrohttpd-dev
	libpq-dev
	libssl-dev
	postgresql-15
	postgresql-client-15
	wrk
	awscli
	# media: thumbnails (libvips), probing and video frames (FFmpeg), and
	# the ffmpeg and vips commands that make the tests' media
	libvips-dev
	libvips-tools
	libavformat-dev
	libavcodec-dev
	libavutil-dev
	libswscale-dev
	ffmpeg
	# the libFuzzer targets (tests/fuzz): clang and its fuzzer runtime
	clang
	libclang-rt-14-dev
)
# node and npm run s3rver (test_storage_s3) and oidc-provider (test_oidc). A machine that has its own
# node already (nodesource, nvm) keeps it; Debian's would conflict.
if ! command -v npm >/dev/null; then
	PACKAGES+=(nodejs npm)
fi

# s3rver and its dependencies, exactly as locked, when they are missing.
install_s3rver() {
	[[ -d $root/tests/s3/node_modules/s3rver ]] && return 0
	echo "deps.sh: installing s3rver (npm ci --prefix tests/s3)" >&2
	npm ci --prefix "$root/tests/s3" --no-audit --no-fund >&2
}

# oidc-provider and its dependencies, exactly as locked, when missing.
install_oidc_provider() {
	[[ -d $root/tests/oidc/node_modules/oidc-provider ]] && return 0
	echo "deps.sh: installing oidc-provider (npm ci --prefix tests/oidc)" >&2
	npm ci --prefix "$root/tests/oidc" --no-audit --no-fund >&2
}

# Sets `missing` to the packages of PACKAGES not installed, with a single
# dpkg-query (it names only the packages it knows; unknown ones are missing).
find_missing() {
	local -A have=()
	local status pkg
	while read -r status pkg; do
		[[ $status == installed ]] && have[$pkg]=1
	done < <(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null || true)
	missing=()
	for pkg in "${PACKAGES[@]}"; do
		[[ -n ${have[$pkg]:-} ]] || missing+=("$pkg")
	done
}

find_missing
if [[ ${#missing[@]} -eq 0 ]]; then
	install_s3rver
	install_oidc_provider
	exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
	as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	as_root=(sudo -n)
else
	echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
	echo "deps.sh: install them as root with:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

# Debian's postgresql-common creates and starts a cluster "15/main" when
# postgresql-15 is installed; slated runs its own, so ask for none.
conf=/etc/postgresql-common/createcluster.conf
if ! grep -Eqs '^[[:space:]]*create_main_cluster[[:space:]]*=[[:space:]]*false' "$conf"; then
	"${as_root[@]}" mkdir -p /etc/postgresql-common
	echo "create_main_cluster = false" | "${as_root[@]}" tee -a "$conf" >/dev/null
fi

echo "deps.sh: installing ${missing[*]}" >&2
wanted=("${missing[@]}")
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
# Without systemd (a container, a chroot) the postinst scripts' service
# starts fail; that is harmless here, so a failed configure step is retried
# once and only the final package state decides.
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends "${wanted[@]}"; then
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a || true
fi

find_missing
if [[ ${#missing[@]} -ne 0 ]]; then
	echo "deps.sh: could not install: ${missing[*]}" >&2
	exit 1
fi
install_s3rver
install_oidc_provider
