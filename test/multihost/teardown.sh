#!/bin/sh
# Undoes setup.sh: unmounts both clients, stops and deletes the volume, stops our glusterd and
# the brick and self-heal processes it started, removes $BASE, and removes the Debian packages
# when setup.sh installed them. Safe to run when nothing (or only part) is set up.
set -u
BASE=${IODICT_GLUSTER_DIR:-/var/tmp/iodict-gluster}
VOLUME=iodict
[ -d "$BASE" ] || exit 0

# By /proc/mounts: a client whose process died leaves its mount point failing every stat
# (ENOTCONN), which mountpoint(1) reports as not mounted; only a lazy unmount clears it.
for client in a b; do
  if grep -q " $BASE/mnt/$client " /proc/mounts; then
    umount "$BASE/mnt/$client" 2>/dev/null || umount -l "$BASE/mnt/$client"
  fi
done
if [ -f "$BASE/glusterd.pid" ] && kill -0 "$(cat "$BASE/glusterd.pid")" 2>/dev/null; then
  gluster --mode=script volume stop "$VOLUME" force >/dev/null 2>&1
  gluster --mode=script volume delete "$VOLUME" >/dev/null 2>&1
  # The self-heal daemon glusterd started for the volume, by its pid file.
  for pidfile in /var/run/gluster/shd/$VOLUME/*.pid /var/run/gluster/vols/$VOLUME/*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  pid=$(cat "$BASE/glusterd.pid")
  kill "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
fi
packages=$(cat "$BASE/installed-packages" 2>/dev/null || true)
rm -rf "$BASE"
if [ -n "$packages" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get remove -y --purge $packages >/dev/null 2>&1 && apt-get autoremove -y >/dev/null 2>&1
fi
exit 0
