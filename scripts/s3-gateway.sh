#!/usr/bin/env bash
# A real S3-compatible server for tests, benches and local topologies: Ceph RADOS Gateway (Pacific,
# Debian packages) with one ceph-mon and one in-memory ceph-osd (memstore), all on 127.0.0.1,
# everything under $CEPH_DIR (nothing in /etc/ceph or /var/lib/ceph, no systemd).
# Recipe and measurements: docs/decisions/object-storage.md (from ../shared/notes/s3-ceph-radosgw.md).
#
#   scripts/s3-gateway.sh install         apt-get install the Debian packages when missing
#   scripts/s3-gateway.sh start           start, create the S3 user and the bucket, print KEY=value lines
#   scripts/s3-gateway.sh stop            stop the daemons started in $CEPH_DIR (SIGTERM, reverse order: ~6 s)
#   scripts/s3-gateway.sh kill            the same at once with SIGKILL (the data is thrown away anyway)
#
# Environment (all optional): CEPH_DIR (default: a new temp dir; stop needs the same one),
# RGW_PORT (7480), MON_PORT (3300, msgr2) and MON_V1_PORT (6789), S3_ACCESS_KEY / S3_SECRET_KEY,
# S3_BUCKET (created when set), MEMSTORE_BYTES (the OSD's RAM cap, 2 GiB), WATCH_PID (stop
# everything when that process exits: tests set it to themselves so a killed test run leaks nothing).
# The OSD takes a free port in 6800-7300, so several gateways can run at once on distinct RGW/MON ports.
set -euo pipefail
D=${CEPH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/entropic-s3-XXXXXX")}
PORT=${RGW_PORT:-7480}
MON_V2=${MON_PORT:-3300}
MON_V1=${MON_V1_PORT:-6789}
AK=${S3_ACCESS_KEY:-test-access-key}
SK=${S3_SECRET_KEY:-test-secret-key}
export CEPH_CONF=$D/ceph.conf

stop() {
  [ -f "$D/pids" ] || return 0
  for p in $(tac "$D/pids"); do
    [ "${1:-}" = now ] && { kill -9 "$p" 2>/dev/null || true; continue; }
    kill "$p" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -f "$D/pids"
}
fail() {
  echo "s3-gateway: $*" >&2
  tail -n 20 "$D"/log/*.log "$D"/log/*.out >&2 2>/dev/null || true
  stop
  exit 1
}
install() {
  command -v radosgw >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 && command -v ceph-osd >/dev/null 2>&1 && return 0
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd >/dev/null
}

case "${1:-start}" in
  install) install; exit 0 ;;
  stop) stop; exit 0 ;;
  kill) stop now; exit 0 ;;
  start) ;;
  *) echo "usage: $0 install|start|stop|kill" >&2; exit 2 ;;
esac

command -v radosgw >/dev/null 2>&1 || { echo "s3-gateway: radosgw is not installed (run: $0 install)" >&2; exit 1; }
[ -f "$D/pids" ] && stop
rm -rf "${D:?}"/{mon.a,osd.0,run,log,rgw,monmap,ceph.conf}
mkdir -p "$D"/{mon.a,osd.0,run,log,rgw}
: > "$D/pids"
FSID=$(cat /proc/sys/kernel/random/uuid)
MON="[v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]"
cat > "$CEPH_CONF" <<EOF
[global]
fsid = $FSID
mon host = $MON
auth cluster required = none
auth service required = none
auth client required = none
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
run dir = $D/run
log file = $D/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail crit = 1
[mon]
mon data = $D/mon.\$id
paxos propose interval = 0.05
[osd]
osd data = $D/osd.\$id
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-2147483648}
[client.rgw.a]
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw
EOF

if [ -n "${WATCH_PID:-}" ]; then
  # detached: outlives this script, ends when the watched process or the gateway does
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -f "$2/pids" ]; do sleep 1; done; CEPH_DIR=$2 "$3" kill' \
    _ "$WATCH_PID" "$D" "$(readlink -f "$0")" </dev/null >/dev/null 2>&1 &
fi

monmaptool --create --fsid "$FSID" --addv a "$MON" "$D/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap" >/dev/null 2>&1 || fail "mon mkfs"
ceph-mon -f -i a >"$D/log/mon.out" 2>&1 &
echo $! >> "$D/pids"
for _ in $(seq 60); do ceph --connect-timeout 2 mon stat >/dev/null 2>&1 && break; sleep 0.5; done
U=$(cat /proc/sys/kernel/random/uuid)
ID=$(ceph --connect-timeout 5 osd new "$U") || fail "mon / osd new"
ceph-osd -i "$ID" --mkfs --osd-uuid "$U" >"$D/log/mkfs.out" 2>&1 || fail "osd mkfs"
ceph-osd -f -i "$ID" >"$D/log/osd.out" 2>&1 &
echo $! >> "$D/pids"
for _ in $(seq 120); do ceph osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1' && break; sleep 0.5; done
ceph osd stat -f json | grep -q '"num_up_osds":1' || fail "osd not up"
radosgw -f -n client.rgw.a >"$D/log/rgw.out" 2>&1 &
echo $! >> "$D/pids"
radosgw-admin user create --uid=test --display-name=test --access-key="$AK" --secret-key="$SK" >/dev/null 2>&1 || fail "user create"
for _ in $(seq 240); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.25; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "rgw not up"
if [ -n "${S3_BUCKET:-}" ]; then
  # RGW needs the payload hash header curl does not add: this is the sha256 of the empty body
  curl -sf -o /dev/null -X PUT -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "http://127.0.0.1:$PORT/$S3_BUCKET" ||
    fail "create bucket $S3_BUCKET"
fi
cat <<EOF
CEPH_DIR=$D
S3_ENDPOINT=http://127.0.0.1:$PORT
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=$AK
AWS_SECRET_ACCESS_KEY=$SK
S3_FORCE_PATH_STYLE=true
S3_BUCKET=${S3_BUCKET:-}
PIDS=$(tr '\n' ' ' < "$D/pids")
EOF
