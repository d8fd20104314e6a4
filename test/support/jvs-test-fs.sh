#!/usr/bin/env bash
# jvs-test-fs.sh — provide real filesystems (XFS, btrfs, ext4, JuiceFS) for the JVS tests.
#
# Used by .ci/run and by the vitest globalSetup (test/setup/filesystems.ts); usable by hand.
# See docs/testing.md for the full story.
#
#   jvs-test-fs.sh up [--state DIR] [--owner-pid PID]
#       Create what is missing, print `export K='V'` lines on stdout, and write the same pairs as
#       plain `K=V` lines to DIR/env. For each fs in xfs btrfs ext4 juicefs: if JVS_TEST_<FS> or
#       JVS_TEST_<FS>_SKIP is already set, that value is passed through and nothing is created;
#       otherwise the fs is created, or JVS_TEST_<FS>_SKIP=<one-line reason> is emitted.
#       Always exits 0 once the state dir exists (a missing fs is a reason, not an error).
#   jvs-test-fs.sh down DIR          unmount, detach and delete everything under state dir DIR
#   jvs-test-fs.sh clean-stale       tear down state dirs of earlier runs whose owner process is gone
#   jvs-test-fs.sh status            list state dirs, their mounts and loop devices
#   jvs-test-fs.sh build-juicefs     build the JuiceFS client with `go` into $JVS_CI_PREFIX/bin
#   jvs-test-fs.sh juicefs-bin       print the juicefs binary that `up` would use (exit 1 if none)
#
# Environment:
#   JVS_TEST_FS_ROOT      where state dirs are created (default: $TMPDIR or /tmp); must be a local fs
#   JVS_TEST_FS_SIZE      size of each sparse loop image (default 4G)
#   JVS_TEST_EXT4_LOOP=1  use a loop-mounted ext4 image even if the state dir is already on ext4
#   JVS_JUICEFS_BIN       juicefs binary to use (default: $JVS_CI_PREFIX/bin/juicefs-$JVS_JUICEFS_VERSION
#                         if that variable is set and the file exists, else $JVS_CI_PREFIX/bin/juicefs,
#                         else juicefs on PATH)
#   JVS_JUICEFS_VERSION   version built by build-juicefs (default v1.3.1; the proxy here also serves
#                         v1.4.1, v1.4.0 and v1.2.0); binaries go to $JVS_CI_PREFIX/bin/juicefs-vX.Y.Z
#                         and bin/juicefs links to the default version
#   JVS_JUICEFS_MOUNT_OPTS extra `juicefs mount` options, e.g. --prefix-internal
#   JVS_CI_PREFIX         default /opt/jvs-ci
#
# Everything one run creates lives under one state dir named jvs-testfs.XXXXXXXX in the root, with
# an `owner` file (pid, process start time, boot id). Teardown is scan-based: it unmounts every
# mount point under the state dir (deepest first), detaches every loop device backed by an image
# in it, waits for (then kills) the juicefs processes whose command line names it, and only then
# deletes it. Loop devices are also put in autoclear mode right after mounting, so the kernel frees
# them on unmount even if this script never runs again.
set -euo pipefail

PROG=jvs-test-fs
PREFIX_NAME=jvs-testfs
JVS_CI_PREFIX=${JVS_CI_PREFIX:-/opt/jvs-ci}
JUICEFS_DEFAULT_VERSION=v1.3.1
JUICEFS_VERSION=${JVS_JUICEFS_VERSION:-$JUICEFS_DEFAULT_VERSION}
JUICEFS_VERSION=v${JUICEFS_VERSION#v}
# The Makefile's `juicefs.lite` tag list (perf-anchors §1.9) minus `nosqlite`: keeps sqlite3 + redis
# metadata and file/S3 storage, drops every other backend.
JUICEFS_TAGS=nogateway,nowebdav,nocos,nobos,nohdfs,noibmcos,noobs,nooss,noqingstor,nosftp,noswift,noazure,nogs,noufile,nob2,nonfs,nodragonfly,nomysql,nopg,notikv,nobadger,noetcd,nocifs,nostorj,noqiniu,notos,noks3

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

fs_root() {
  local r=${JVS_TEST_FS_ROOT:-${TMPDIR:-/tmp}}
  r=${r%/}
  printf '%s\n' "${r:-/}"
}

is_root() { [ "$(id -u)" = 0 ]; }

boot_id() { cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown; }

# Start time (clock ticks since boot) of a process, field 22 of /proc/PID/stat; the command name
# (field 2) may contain spaces and parentheses, so cut after the last ')'.
proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # after "comm) " the fields start at field 3; field 22 is the 20th of these
  # shellcheck disable=SC2086 # word splitting is the point
  set -- $stat
  printf '%s\n' "${20}"
}

owner_alive() { # state dir -> 0 if its owner process still runs
  local f=$1/owner pid start boot
  [ -r "$f" ] || return 1
  read -r pid start boot <"$f" || return 1
  [ "$boot" = "$(boot_id)" ] || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  [ "$(proc_start "$pid" 2>/dev/null)" = "$start" ]
}

# Mount points at or below DIR, deepest first. Paths are validated to need no unescaping.
mounts_under() {
  local dir=$1
  awk -v d="$dir" '{ if ($5 == d || index($5, d "/") == 1) print length($5) " " $5 }' /proc/self/mountinfo |
    sort -rn | cut -d' ' -f2-
}

loops_for() { # image file -> loop devices backed by it
  losetup -n -O NAME -j "$1" 2>/dev/null || true
}

pids_naming() { # state dir -> pids (other than ours) whose command line mentions it
  local dir=$1 p cmd
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = "$$" ] && continue
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
    case "$cmd" in *"$dir/"*) printf '%s\n' "$p" ;; esac
  done
}

unmount_one() {
  local m=$1 i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    mountpoint -q "$m" 2>/dev/null || grep -q " $m " /proc/self/mountinfo || return 0
    if umount "$m" 2>/dev/null || { ! is_root && fusermount3 -u "$m" 2>/dev/null; }; then
      grep -q " $m " /proc/self/mountinfo || return 0
    fi
    sleep 0.3
  done
  log "umount $m still busy after 3 s; detaching it lazily (umount -l)"
  umount -l "$m" 2>/dev/null || { ! is_root && fusermount3 -uz "$m" 2>/dev/null; } || {
    log "could not unmount $m"
    return 1
  }
}

# Tear down one state dir. Safe to call repeatedly and on half-built dirs.
teardown_state() {
  local dir=$1 ok=0 m img dev p i
  case "$dir" in */"$PREFIX_NAME".*) ;; *) die "refusing to tear down $dir: not a $PREFIX_NAME.* dir" ;; esac
  [ -d "$dir" ] || return 0
  # 1. mounts (juicefs FUSE first, it sits on the same disk; order is deepest-first anyway)
  while IFS= read -r m; do
    [ -n "$m" ] || continue
    unmount_one "$m" || ok=1
  done < <(mounts_under "$dir")
  # 2. loop devices still attached to our images (normally autocleared on unmount)
  for img in "$dir"/img/*.img; do
    [ -e "$img" ] || continue
    for i in 1 2 3 4 5; do
      dev=$(loops_for "$img")
      [ -n "$dev" ] || break
      for d in $dev; do losetup -d "$d" 2>/dev/null || true; done
      sleep 0.2
    done
    if [ -n "$(loops_for "$img")" ]; then
      log "loop device(s) still attached to $img: $(loops_for "$img" | tr '\n' ' ')"
      ok=1
    fi
  done
  # 3. juicefs daemons of this state dir exit once unmounted; give them a moment, then kill them.
  for i in $(seq 1 50); do
    [ -n "$(pids_naming "$dir")" ] || break
    sleep 0.1
  done
  if [ -n "$(pids_naming "$dir")" ]; then
    log "processes still using $dir after unmount: $(pids_naming "$dir" | tr '\n' ' ')- terminating them"
    for p in $(pids_naming "$dir"); do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in $(pids_naming "$dir"); do kill -KILL "$p" 2>/dev/null || true; done
  fi
  # 4. delete, but never across a mount point that is still there
  if [ -n "$(mounts_under "$dir")" ]; then
    log "not deleting $dir: still mounted: $(mounts_under "$dir" | tr '\n' ' ')"
    return 1
  fi
  rm -rf --one-file-system "$dir" 2>/dev/null || rm -rf --one-file-system "$dir" || ok=1
  return $ok
}

cmd_down() {
  [ $# -eq 1 ] || die "usage: $0 down STATE_DIR"
  local dir=${1%/} rc=0
  [ -d "$dir" ] || return 0
  # serialize with a concurrent clean-stale of the same dir
  exec 9>>"$dir/.lock"
  flock 9
  teardown_state "$dir" || rc=$?
  exec 9>&-
  return $rc
}

cmd_clean_stale() {
  local root dir rc=0
  root=$(fs_root)
  for dir in "$root/$PREFIX_NAME".*; do
    [ -d "$dir" ] && [ -f "$dir/owner" ] || continue
    owner_alive "$dir" && continue
    exec 9>>"$dir/.lock"
    if flock -n 9; then
      log "cleaning leftovers of a dead run: $dir"
      teardown_state "$dir" || rc=1
    fi
    exec 9>&-
  done
  return $rc
}

cmd_status() {
  local root dir
  root=$(fs_root)
  for dir in "$root/$PREFIX_NAME".*; do
    [ -d "$dir" ] || continue
    if owner_alive "$dir"; then echo "$dir (owner alive: $(cut -d' ' -f1 "$dir/owner"))"; else echo "$dir (stale)"; fi
    mounts_under "$dir" | sed 's/^/  mount: /'
    for img in "$dir"/img/*.img; do [ -e "$img" ] && loops_for "$img" | sed "s|^|  loop: |;s|\$| -> $img|"; done
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# up

ENV_KEYS=()
ENV_VALS=()
emit() { ENV_KEYS+=("$1"); ENV_VALS+=("$2"); }

one_line() { # collapse a message to one line, keep the tail that names the error
  tr '\n\t' '  ' | sed 's/  */ /g;s/^ //;s/ $//' | tail -c 300
}

REASON=
# run STEP_DESCRIPTION CMD...: run quietly; on failure set REASON and return 1
run() {
  local desc=$1 out
  shift
  if out=$("$@" 2>&1 </dev/null); then return 0; fi
  REASON="$desc failed: $(printf '%s' "$out" | tail -n 3 | one_line)"
  [ "$REASON" != "$desc failed: " ] || REASON="$desc failed (exit status, no output)"
  return 1
}

need_tools() { # fs tools...
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  REASON="missing tools: ${missing[*]} (Debian: apt-get install xfsprogs btrfs-progs e2fsprogs util-linux)"
  return 1
}

fstype_of() { findmnt -n -o FSTYPE -T "$1" 2>/dev/null | head -n1; }

mkdir_test_dir() { # the directory handed to the tests: world-writable, so non-root test code works too
  if mkdir -p "$1" && chmod 0777 "$1"; then DIR_OUT=$1; return 0; fi
  REASON="could not create $1"
  return 1
}

# make_loop_fs FS: sparse image -> mkfs -> loop (direct I/O) -> mount -> autoclear; sets DIR_OUT
make_loop_fs() {
  local fs=$1 img mnt dev mkfs
  img=$STATE/img/$fs.img
  mnt=$STATE/mnt/$fs
  if ! is_root; then
    REASON="loop mounts need root (running as uid $(id -u)); set JVS_TEST_${fs^^} to a writable directory on $fs"
    return 1
  fi
  case $fs in
    xfs) need_tools mkfs.xfs losetup mount || return 1; mkfs=(mkfs.xfs -q -f -K -m reflink=1 "$img") ;;
    btrfs) need_tools mkfs.btrfs losetup mount || return 1; mkfs=(mkfs.btrfs -q -f -K "$img") ;;
    ext4) need_tools mkfs.ext4 losetup mount || return 1; mkfs=(mkfs.ext4 -q -F -E nodiscard "$img") ;;
  esac
  [ -e /dev/loop-control ] || { REASON="no /dev/loop-control (kernel without loop support?)"; return 1; }
  mkdir -p "$STATE/img" "$mnt"
  run "truncate -s $SIZE $img" truncate -s "$SIZE" "$img" || return 1
  run "${mkfs[0]}" "${mkfs[@]}" || return 1
  run "losetup" losetup -f --show --direct-io=on "$img" || return 1
  dev=$(loops_for "$img" | head -n1)
  [ -n "$dev" ] || { REASON="losetup attached no device for $img"; return 1; }
  if ! run "mount -t $fs $dev" mount -t "$fs" "$dev" "$mnt"; then
    losetup -d "$dev" 2>/dev/null || true
    return 1
  fi
  # The mount holds the device open, so this only sets LO_FLAGS_AUTOCLEAR: the kernel detaches the
  # loop device by itself when the filesystem is unmounted (even by someone else, even lazily).
  losetup -d "$dev" 2>/dev/null || true
  mkdir_test_dir "$mnt/jvs-test" || return 1
}

setup_ext4() {
  local t
  t=$(fstype_of "$STATE")
  if [ "$t" = ext4 ] && [ "${JVS_TEST_EXT4_LOOP:-0}" != 1 ]; then
    mkdir_test_dir "$STATE/ext4"
    return
  fi
  make_loop_fs ext4
}

find_juicefs() {
  if [ -n "${JVS_JUICEFS_BIN:-}" ]; then
    [ -x "$JVS_JUICEFS_BIN" ] && { printf '%s\n' "$JVS_JUICEFS_BIN"; return 0; }
    return 1
  fi
  if [ -n "${JVS_JUICEFS_VERSION:-}" ] && [ -x "$JVS_CI_PREFIX/bin/juicefs-$JUICEFS_VERSION" ]; then
    printf '%s\n' "$JVS_CI_PREFIX/bin/juicefs-$JUICEFS_VERSION"
    return 0
  fi
  if [ -x "$JVS_CI_PREFIX/bin/juicefs" ]; then printf '%s\n' "$JVS_CI_PREFIX/bin/juicefs"; return 0; fi
  command -v juicefs 2>/dev/null
}

setup_juicefs() {
  local bin d mnt meta i opts
  if ! bin=$(find_juicefs); then
    if [ -n "${JVS_JUICEFS_BIN:-}" ]; then
      REASON="JVS_JUICEFS_BIN=$JVS_JUICEFS_BIN is not executable"
    else
      REASON="no juicefs binary (not in $JVS_CI_PREFIX/bin or PATH); build one with: test/support/jvs-test-fs.sh build-juicefs (needs Go >= 1.21, about 2-4 min)"
    fi
    return 1
  fi
  [ -e /dev/fuse ] || { REASON="no /dev/fuse"; return 1; }
  if ! is_root && ! { [ -r /dev/fuse ] && [ -w /dev/fuse ]; }; then
    REASON="/dev/fuse is not readable and writable by uid $(id -u) ($(stat -c '%A %U:%G' /dev/fuse)); run as root or set JVS_TEST_JUICEFS"
    return 1
  fi
  if ! is_root && ! command -v fusermount3 >/dev/null && ! command -v fusermount >/dev/null; then
    REASON="not root and no fusermount3 (Debian: apt-get install fuse3)"
    return 1
  fi
  d=$STATE/juicefs
  mnt=$STATE/mnt/juicefs
  meta="sqlite3://$d/meta.db"
  mkdir -p "$d/data" "$d/cache" "$mnt"
  run "juicefs format" "$bin" format --storage file --bucket "$d/data/" --trash-days 0 "$meta" jvs-test || return 1
  # shellcheck disable=SC2206
  opts=(${JVS_JUICEFS_MOUNT_OPTS:-})
  # -d daemonizes and returns when the mount is ready; its output goes to the log, never to our
  # stdout (a daemon holding the caller's pipe open would hang it).
  if ! "$bin" mount -d --no-usage-report --backup-meta 0 --log "$d/juicefs.log" --cache-dir "$d/cache" \
    "${opts[@]}" "$meta" "$mnt" </dev/null >>"$d/mount.out" 2>&1; then
    # the first fatal line of the mount process's log names the cause; the launcher only says "gave up"
    REASON="juicefs mount failed: $({ grep -h -m1 -E 'fusermount[0-9]*: |<FATAL>|<ERROR>' "$d/juicefs.log" "$d/mount.out" 2>/dev/null ||
      tail -n 3 "$d/mount.out"; } | head -n1 | sed -E 's/^[0-9/]+ [0-9:.]+ juicefs\[[0-9]+\] //' | one_line)"
    return 1
  fi
  for i in $(seq 1 50); do
    [ "$(fstype_of "$mnt")" = fuse.juicefs ] && break
    sleep 0.1
  done
  [ "$(fstype_of "$mnt")" = fuse.juicefs ] || { REASON="juicefs mount at $mnt did not appear within 5 s"; return 1; }
  mkdir_test_dir "$mnt/jvs-test" || return 1
  emit JVS_TEST_JUICEFS_BIN "$bin"
  emit JVS_TEST_JUICEFS_META "$meta"
  emit JVS_TEST_JUICEFS_MOUNT "$mnt"
}

sanitize() { printf '%s' "$1" | tr -d "'\n\r" ; }

cmd_up() {
  local state='' owner=$PPID root fs var skipvar t0 t1
  while [ $# -gt 0 ]; do
    case $1 in
      --state) state=$2; shift 2 ;;
      --owner-pid) owner=$2; shift 2 ;;
      *) die "up: unknown argument $1" ;;
    esac
  done
  SIZE=${JVS_TEST_FS_SIZE:-4G}
  root=$(fs_root)
  cmd_clean_stale || log "warning: some leftovers of earlier runs could not be cleaned (see above)"
  if [ -z "$state" ]; then
    mkdir -p "$root"
    state=$(mktemp -d "$root/$PREFIX_NAME.XXXXXXXX")
  else
    mkdir -p "$state"
  fi
  # mktemp makes it 0700; tests also run children as an unprivileged user (uid 65534), who must
  # be able to traverse to the mounts inside.
  chmod 0755 "$state"
  case "$state" in */"$PREFIX_NAME".*) ;; *) die "state dir must be named $PREFIX_NAME.*: $state" ;; esac
  [[ "$state" =~ ^[A-Za-z0-9_./-]+$ ]] || die "state dir path must not need escaping: $state"
  STATE=$state
  printf '%s %s %s\n' "$owner" "$(proc_start "$owner" || echo 0)" "$(boot_id)" >"$STATE/owner.tmp"
  mv "$STATE/owner.tmp" "$STATE/owner"
  emit JVS_TEST_FS_STATE "$STATE"

  for fs in xfs btrfs ext4 juicefs; do
    var=JVS_TEST_${fs^^}
    skipvar=${var}_SKIP
    if [ -n "${!var:-}" ]; then
      emit "$var" "${!var}"
      continue
    fi
    if [ -n "${!skipvar:-}" ]; then
      emit "$skipvar" "${!skipvar}"
      continue
    fi
    REASON=
    DIR_OUT=
    t0=$(date +%s%N)
    case $fs in
      ext4) setup_ext4 || true ;;
      juicefs) setup_juicefs || true ;;
      *) make_loop_fs "$fs" || true ;;
    esac
    t1=$(date +%s%N)
    if [ -n "$DIR_OUT" ] && [ -z "$REASON" ]; then
      emit "$var" "$DIR_OUT"
      log "$fs: $DIR_OUT ($(( (t1 - t0) / 1000000 )) ms)"
    else
      [ -n "$REASON" ] || REASON="setup failed for an unknown reason"
      emit "$skipvar" "$(sanitize "$REASON")"
      log "$fs: unavailable: $REASON"
      # leave nothing half-built behind for this fs
      for m in $(mounts_under "$STATE/mnt/$fs"); do unmount_one "$m" || true; done
      if [ -e "$STATE/img/$fs.img" ]; then
        for d in $(loops_for "$STATE/img/$fs.img"); do losetup -d "$d" 2>/dev/null || true; done
      fi
    fi
  done

  local i
  : >"$STATE/env.tmp"
  for i in "${!ENV_KEYS[@]}"; do
    printf '%s=%s\n' "${ENV_KEYS[$i]}" "${ENV_VALS[$i]}" >>"$STATE/env.tmp"
    printf "export %s='%s'\n" "${ENV_KEYS[$i]}" "$(sanitize "${ENV_VALS[$i]}")"
  done
  mv "$STATE/env.tmp" "$STATE/env"
}

# ---------------------------------------------------------------------------------------------
# build-juicefs

juicefs_version_of() { "$1" version 2>/dev/null | sed -n 's/^juicefs version \([0-9][^+ ]*\).*/\1/p'; }

# Binaries: $JVS_CI_PREFIX/bin/juicefs-vX.Y.Z for every version built, and bin/juicefs -> the
# default version (the one `up` uses unless JVS_JUICEFS_BIN says otherwise).
link_default_juicefs() {
  [ "$JUICEFS_VERSION" = "$JUICEFS_DEFAULT_VERSION" ] || return 0
  ln -sfn "juicefs-$JUICEFS_VERSION" "$JVS_CI_PREFIX/bin/juicefs.tmp.$$"
  mv -Tf "$JVS_CI_PREFIX/bin/juicefs.tmp.$$" "$JVS_CI_PREFIX/bin/juicefs"
}

cmd_build_juicefs() {
  local bin=$JVS_CI_PREFIX/bin/juicefs-$JUICEFS_VERSION want=${JUICEFS_VERSION#v} have work json dir rev date t0
  if [ -x "$bin" ] && have=$(juicefs_version_of "$bin") && [ "$have" = "$want" ]; then
    link_default_juicefs
    log "juicefs $have already built: $bin"
    printf '%s\n' "$bin"
    return 0
  fi
  command -v go >/dev/null 2>&1 || PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null 2>&1 || die "no go command (JuiceFS $JUICEFS_VERSION needs Go >= 1.21)"
  command -v gcc >/dev/null 2>&1 || die "no gcc (sqlite3 metadata needs CGO)"
  t0=$(date +%s)
  work=$(mktemp -d "${TMPDIR:-/tmp}/jvs-juicefs-build.XXXXXXXX")
  # shellcheck disable=SC2064
  trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work'" EXIT
  export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=1
  log "downloading github.com/juicedata/juicefs@$JUICEFS_VERSION through the Go module proxy ($(go version))"
  json=$(cd "$work" && go mod download -json "github.com/juicedata/juicefs@$JUICEFS_VERSION") ||
    die "go mod download github.com/juicedata/juicefs@$JUICEFS_VERSION failed: $json"
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rev=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{7\}\).*/\1/p')
  date=$(sed -n 's/.*"Time":"\([0-9-]\{10\}\).*/\1/p' "$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Info": "\(.*\)",$/\1/p')" 2>/dev/null || true)
  [ -n "$dir" ] && [ -d "$dir" ] || die "go mod download gave no source dir: $json"
  # `go install pkg@version` refuses modules with replace directives (juicefs has many), so build
  # a writable copy of the module source instead.
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
  log "building juicefs $JUICEFS_VERSION (tags: lite minus nosqlite)"
  (cd "$work/src" && go build -tags "$JUICEFS_TAGS" \
    -ldflags "-s -w -X github.com/juicedata/juicefs/pkg/version.revision=${rev:-unknown} -X github.com/juicedata/juicefs/pkg/version.revisionDate=${date:-unknown}" \
    -o "$work/juicefs" .) || die "go build of juicefs $JUICEFS_VERSION failed"
  have=$(juicefs_version_of "$work/juicefs")
  [ "$have" = "$want" ] || die "built binary reports version '$have', expected $want"
  mkdir -p "$JVS_CI_PREFIX/bin"
  install -m 0755 "$work/juicefs" "$bin.tmp.$$"
  mv -f "$bin.tmp.$$" "$bin"
  link_default_juicefs
  log "juicefs $have built in $(( $(date +%s) - t0 )) s: $bin ($("$bin" version))"
  printf '%s\n' "$bin"
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    clean-stale) cmd_clean_stale ;;
    status) cmd_status ;;
    build-juicefs) cmd_build_juicefs ;;
    juicefs-bin) find_juicefs ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
