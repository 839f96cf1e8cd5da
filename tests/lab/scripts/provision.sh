#!/usr/bin/env bash
# Provision the ntpkit lab: the reference ntpd 4.2.8p15 (Debian bullseye packages unpacked into a private
# root, never installed), NTPsec 1.2.2 (bookworm's `ntpsec`, installed) and the tools the lab drives.
#
# Usage: provision.sh CACHE_DIR
#
# Idempotent: a warm cache only re-checks what is there (well under a second). Safe to run concurrently
# (a lock file serialises runs). Needs root and the Debian package mirror the machine's apt already uses.
set -euo pipefail

cache=${1:?usage: provision.sh CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
root="$cache/ref"
stamp="$cache/provisioned"
# Bump when the set of packages or the layout of the cache changes: a stale cache is then redone.
layout=1

ref_pkgs=(ntp ntpdate sntp libopts25 libssl1.1 libevent-pthreads-2.1-7)
# Bookworm libraries the bullseye binaries link against; installed system-wide (they are ordinary
# bookworm packages) so the loader finds them.
sys_libs=(libedit2 libcap2 libevent-core-2.1-7)
# Daemons on shifted clocks: libfaketime (preloaded into the daemon) and the seccomp bindings of the wrapper
# that keeps kernel receive timestamps off (scripts/no-packet-stamps.py).
shift_pkgs=(libfaketime python3-seccomp)
# Health-check tests (ntpq check): monitoring-plugins' check_ntp_peer to compare verdicts with, jq for the
# documented shell recipe, and a Python venv in the cache holding PyPI's prometheus_client, whose parsers
# validate our exposition.
check_pkgs=(monitoring-plugins-basic jq python3-venv)
venv="$cache/py"
prometheus_client="prometheus_client==0.26.0"
# What the lab itself runs: ip (iproute2), kill/pgrep/sysctl (procps), setpriv/unshare/flock (util-linux),
# perl (the reference ntptrace script), dpkg-deb (dpkg), tmux (the TUI tests type into a terminal).
sys_tools=(iproute2 procps util-linux perl dpkg tmux)

say() { printf 'provision: %s\n' "$*"; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, apt)"

exec 9>"$cache/provision.lock"
flock 9

libpath="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"

ref_ok() {
    [ -x "$root/usr/sbin/ntpd" ] || return 1
    LD_LIBRARY_PATH=$libpath "$root/usr/sbin/ntpd" --version 2>&1 | grep -q 'ntpd 4\.2\.8p15' || return 1
    local bin
    for bin in usr/sbin/ntpd usr/bin/ntpq usr/bin/ntpdc usr/sbin/ntpdate usr/sbin/ntp-keygen usr/bin/sntp; do
        [ -x "$root/$bin" ] || return 1
        if LD_LIBRARY_PATH=$libpath ldd "$root/$bin" | grep -q 'not found'; then return 1; fi
    done
    [ -f "$root/usr/bin/ntptrace" ] && [ -d "$root/usr/share/ntp/lib" ]
}

system_ok() {
    local t
    for t in ip kill pgrep sysctl setpriv unshare flock perl dpkg-deb apt-get tmux; do
        command -v "$t" >/dev/null || return 1
    done
    [ -x /usr/sbin/ntpd ] && /usr/sbin/ntpd --version 2>&1 | grep -q 'ntpsec-1\.2\.2' || return 1
    command -v ntpdig >/dev/null && [ -x /usr/bin/ntpq ] || return 1
    local p
    for p in "${sys_libs[@]}" "${shift_pkgs[@]}"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
    done
    [ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] && [ -x /usr/bin/python3 ]
}

check_tools_ok() {
    [ -x /usr/lib/nagios/plugins/check_ntp_peer ] && command -v jq >/dev/null || return 1
    "$venv/bin/python3" -c 'import prometheus_client.parser, prometheus_client.openmetrics.parser' 2>/dev/null
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "layout=$layout" ] && system_ok && ref_ok && check_tools_ok; then
    say "cache $cache is ready"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# apt-get update may warn or fail on third-party repositories this machine lists; only the Debian
# archive matters here, and what we need is checked afterwards.
system_update_done=0
system_update() {
    if [ "$system_update_done" -eq 0 ]; then
        say "apt-get update (system lists; failures of non-Debian sources are ignored)"
        apt-get update -q >"$cache/apt-update.log" 2>&1 || say "apt-get update reported errors (see $cache/apt-update.log); continuing"
        system_update_done=1
    fi
}
have_candidate() {
    apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'
}

# Keep any init script from starting ntpsec's daemon in the root namespace during the install.
policy_rc=/usr/sbin/policy-rc.d
ours_policy=0
install_pkgs() {
    local p
    for p in "$@"; do
        have_candidate "$p" || system_update
    done
    if [ ! -e "$policy_rc" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
        chmod 755 "$policy_rc"
        ours_policy=1
    fi
    local rc=0
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$@" >>"$cache/apt-install.log" 2>&1 || rc=$?
    if [ "$ours_policy" -eq 1 ]; then rm -f "$policy_rc"; ours_policy=0; fi
    return "$rc"
}

missing=()
for t in ip:iproute2 kill:procps pgrep:procps sysctl:procps setpriv:util-linux unshare:util-linux \
    flock:util-linux perl:perl dpkg-deb:dpkg tmux:tmux; do
    command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
done
for p in "${sys_libs[@]}" "${shift_pkgs[@]}" "${check_pkgs[@]}"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! { [ -x /usr/sbin/ntpd ] && /usr/sbin/ntpd --version 2>&1 | grep -q 'ntpsec-1\.2\.2'; }; then
    missing+=(ntpsec)
fi
if ! command -v ntpdig >/dev/null; then
    missing+=(ntpsec-ntpdig)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    install_pkgs "${missing[@]}" || die "apt-get install ${missing[*]} failed (see $cache/apt-install.log)"
fi
# tcpdump is handy for looking at lab traffic; the lab does not need it.
if ! command -v tcpdump >/dev/null; then
    install_pkgs tcpdump || say "tcpdump not installed (optional)"
fi

# Installing ntpsec must not leave a daemon in the root network namespace (it would discipline the
# machine's clock). Daemons inside namespaces (ours, from a running lab) are left alone.
root_netns=$(readlink /proc/1/ns/net 2>/dev/null || true)
for pid in $(pgrep -x ntpd || true); do
    ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null || true)
    if [ -n "$root_netns" ] && [ "$ns" = "$root_netns" ]; then
        say "stopping ntpd pid $pid running in the root namespace (started by the ntpsec install)"
        kill "$pid" || true
    fi
done
for unit in ntpsec.service ntp.service; do
    if command -v systemctl >/dev/null && systemctl is-enabled "$unit" >/dev/null 2>&1; then
        systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
done

if ! ref_ok; then
    # The mirror: the Debian archive this machine's apt already uses (from its deb822 or one-line sources).
    mirror=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        mirror=$(awk '
            /^URIs:/ { u = $2 }
            /^Suites:/ { if ($0 ~ /(bookworm|bullseye)( |$)/ && u ~ /\/debian\/?$/) { print u; exit } }
        ' "$f")
        [ -n "$mirror" ] && break
    done
    if [ -z "$mirror" ]; then
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ && $2 ~ /\/debian\/?$/ { print $2; exit }
                          $1 == "deb" && $2 ~ /^\[/ { for (i = 3; i <= NF; i++) if ($i ~ /\]$/) { if ($(i+1) ~ /\/debian\/?$/) { print $(i+1); exit } } }' "$f")
            [ -n "$mirror" ] && break
        done
    fi
    [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || install_pkgs debian-archive-keyring || die "cannot install debian-archive-keyring"

    apt_dir="$cache/apt"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$cache/debs"
    cat >"$apt_dir/sources.list" <<EOF
deb [signed-by=$keyring] $mirror bullseye main
EOF
    apt_opts=(
        -o "Dir::Etc::sourcelist=$apt_dir/sources.list"
        -o "Dir::Etc::sourceparts=-"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::Cache=$apt_dir/cache"
        -o "APT::Get::List-Cleanup=0"
    )
    say "apt-get update (private bullseye list from $mirror)"
    apt-get "${apt_opts[@]}" update -q >"$cache/apt-bullseye.log" 2>&1 \
        || die "apt-get update of the private bullseye list failed (see $cache/apt-bullseye.log)"
    say "apt-get download ${ref_pkgs[*]}"
    (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "${ref_pkgs[@]}") >>"$cache/apt-bullseye.log" 2>&1 \
        || die "apt-get download failed (see $cache/apt-bullseye.log)"
    rm -rf "$root.tmp"
    mkdir -p "$root.tmp"
    for p in "${ref_pkgs[@]}"; do
        deb=$(ls -t "$cache/debs/${p}_"*.deb 2>/dev/null | head -n1)
        [ -n "$deb" ] || die "package $p was not downloaded"
        say "unpack $(basename "$deb")"
        dpkg-deb -x "$deb" "$root.tmp"
    done
    rm -rf "$root"
    mv "$root.tmp" "$root"
    ref_ok || die "the unpacked reference ntpd does not run (try: LD_LIBRARY_PATH=$libpath $root/usr/sbin/ntpd --version)"
fi

if ! check_tools_ok; then
    say "python venv $venv with $prometheus_client (from PyPI)"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv" >>"$cache/pip.log" 2>&1 || die "cannot create the venv $venv (see $cache/pip.log)"
    "$venv/bin/pip" install -q --disable-pip-version-check "$prometheus_client" >>"$cache/pip.log" 2>&1 \
        || die "pip install $prometheus_client failed (see $cache/pip.log)"
fi

system_ok || die "system tools or NTPsec still missing after install (see $cache/apt-install.log)"
check_tools_ok || die "check_ntp_peer or the prometheus_client venv still missing (see $cache/apt-install.log, $cache/pip.log)"
printf 'layout=%s\n' "$layout" >"$stamp"
say "reference: $(LD_LIBRARY_PATH=$libpath "$root/usr/sbin/ntpd" --version 2>&1 | tail -n1)"
say "ntpsec: $(/usr/sbin/ntpd --version 2>&1 | tail -n1)"
say "cache $cache is ready"
