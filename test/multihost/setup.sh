#!/bin/sh
# Sets up a GlusterFS replica-2 volume on two local brick directories, served on 127.0.0.2 by a
# glusterd of our own (its working directory under $BASE, not /var/lib/glusterd), and mounts it
# twice: two independent FUSE clients, A and B. Idempotent: each step is skipped when done.
# Installs Debian's glusterfs-server and glusterfs-client when missing (noted for teardown.sh).
# Needs root and /dev/fuse. Prints "SKIP: <reason>" and exits 2 where it cannot run.
set -eu
BASE=${IODICT_GLUSTER_DIR:-/var/tmp/iodict-gluster}
VOLUME=iodict
ADDR=127.0.0.2

skip() { echo "SKIP: $*"; exit 2; }
[ "$(uname -s)" = Linux ] || skip "GlusterFS needs Linux"
[ "$(id -u)" = 0 ] || skip "needs root (glusterd, FUSE mounts, unshare)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v unshare >/dev/null || skip "no unshare (util-linux)"

if ! command -v glusterd >/dev/null || ! command -v mount.glusterfs >/dev/null; then
  command -v apt-get >/dev/null || skip "glusterd missing and no apt-get to install it"
  echo "installing glusterfs-server glusterfs-client"
  mkdir -p "$BASE"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y glusterfs-server glusterfs-client; } >"$BASE/apt.log" 2>&1 ||
    skip "apt-get install glusterfs-server glusterfs-client failed (see $BASE/apt.log)"
  echo "glusterfs-server glusterfs-client" >"$BASE/installed-packages"
fi

mkdir -p "$BASE/glusterd" "$BASE/log" "$BASE/bricks/b1" "$BASE/bricks/b2" "$BASE/mnt/a" "$BASE/mnt/b"

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if ! running "$BASE/glusterd.pid"; then
  # Another glusterd owns the CLI socket: ours would fight it for /var/run/glusterd.socket.
  if pgrep -x glusterd >/dev/null; then skip "another glusterd is running on this machine"; fi
  cat >"$BASE/glusterd.vol" <<VOL
volume management
    type mgmt/glusterd
    option working-directory $BASE/glusterd
    option transport-type socket
    option transport.socket.bind-address $ADDR
    option transport.socket.listen-port 24007
    option transport.socket.read-fail-log off
    option ping-timeout 0
    option event-threads 1
    option max-port 60999
end-volume
VOL
  glusterd -f "$BASE/glusterd.vol" -p "$BASE/glusterd.pid" -l "$BASE/log/glusterd.log" || skip "glusterd did not start (see $BASE/log/glusterd.log)"
  # The CLI answers once glusterd listens.
  tries=0
  until gluster --mode=script volume list >/dev/null 2>&1; do
    tries=$((tries + 1)); [ $tries -lt 50 ] || skip "glusterd does not answer (see $BASE/log/glusterd.log)"; sleep 0.2
  done
fi

if ! gluster --mode=script volume info "$VOLUME" >/dev/null 2>&1; then
  # force: both bricks on one server (a replica normally spans servers).
  gluster --mode=script volume create "$VOLUME" replica 2 "$ADDR:$BASE/bricks/b1" "$ADDR:$BASE/bricks/b2" force
fi
# What README.md ("Several machines") asks of a replica volume: without eager-lock, a rename over
# the journal (a rotation) does not wait for as long as another client keeps appending to it;
# without open-behind, opening a name another client renamed away or over fails at once and the
# kernel looks the name up again (with it, the open succeeds on the vanished file and only its
# read fails, for as long as the client caches the name: up to 1 s); with cache invalidation,
# other clients see the journal grow within milliseconds instead of after the client's 1 s
# metadata cache. IODICT_GLUSTER_DEFAULTS=1 runs with GlusterFS's defaults instead (options and
# mounts: tear down first when switching, a mounted client keeps its mount options).
for option in cluster.eager-lock=off performance.open-behind=off features.cache-invalidation=on performance.cache-invalidation=on; do
  if [ "${IODICT_GLUSTER_DEFAULTS:-0}" = 1 ]; then
    gluster --mode=script volume reset "$VOLUME" "${option%%=*}" >/dev/null
  else
    gluster --mode=script volume set "$VOLUME" "${option%%=*}" "${option#*=}" >/dev/null
  fi
done
if ! gluster --mode=script volume info "$VOLUME" | grep -q '^Status: Started'; then
  gluster --mode=script volume start "$VOLUME"
fi

# Direct I/O: a FUSE client's page cache puts its own O_APPEND write where it believes the file
# ends, which lags behind other clients' appends; reading the journal back from that cache, a
# client would see its own entry in place of another's and never see that one.
mount_options=direct-io-mode=enable
[ "${IODICT_GLUSTER_DEFAULTS:-0}" = 1 ] && mount_options=defaults
for client in a b; do
  # A client that died leaves a mount whose every stat fails (ENOTCONN): clear it, mount again.
  if grep -q " $BASE/mnt/$client " /proc/mounts && ! stat "$BASE/mnt/$client" >/dev/null 2>&1; then
    umount -l "$BASE/mnt/$client"
  fi
  if ! mountpoint -q "$BASE/mnt/$client"; then
    tries=0
    until mount -t glusterfs -o "$mount_options" "$ADDR:/$VOLUME" "$BASE/mnt/$client"; do
      tries=$((tries + 1)); [ $tries -lt 10 ] || skip "mounting the volume failed"; sleep 1
    done
  fi
done
echo "mounted $BASE/mnt/a $BASE/mnt/b"
