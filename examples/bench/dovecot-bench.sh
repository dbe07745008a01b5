#!/usr/bin/env bash
# Starts a private Dovecot (IMAP + POP3 on free loopback ports, one passwd-file user, a maildir of
# N messages of about 10 KB written directly), runs FetchBenchmark against it, and stops it again.
#
#   examples/bench/dovecot-bench.sh [messages] [rounds] [wanMessages] [naiveLimit] [wanNaiveLimit]
#   KEEP=1 examples/bench/dovecot-bench.sh ...  leaves the server running (stop: kill "$(cat DIR/run/master.pid)")
#   ONLY_SERVER=1 ...                           starts and fills the server, prints its ports, runs nothing
#   MVN_ARGS="-Dmaven.repo.local=..." ...       extra Maven arguments for the benchmark run
#   JAVA_OPTS="-Xmx48m -Dbench.cases=POP3" ...  JVM options of the benchmark (default -Xmx256m)
#
# Needs /usr/sbin/dovecot (2.3), python3 and Java 17 with Maven; run from the repository root after
# `mvn -q -B -o install -DskipTests`. Mail files belong to the user `nobody`; Dovecot itself runs as
# root with its usual unprivileged `dovecot`/`dovenull` helpers. Nothing outside DIR is touched.
set -euo pipefail

MESSAGES=${1:-5000}
ROUNDS=${2:-2}
WAN_MESSAGES=${3:-$MESSAGES}
NAIVE_LIMIT=${4:-$MESSAGES}
WAN_NAIVE_LIMIT=${5:-500}
DIR=${DIR:-/tmp/mailcore-dovecot-bench}
USER_NAME=bench
PASSWORD=secret
MAIL_UID=$(id -u nobody)
MAIL_GID=$(id -g nobody)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

if [[ -f "$DIR/run/master.pid" ]] && kill -0 "$(cat "$DIR/run/master.pid")" 2>/dev/null; then
  echo "a benchmark Dovecot is already running from $DIR (pid $(cat "$DIR/run/master.pid"))" >&2
  exit 1
fi
rm -rf "$DIR"
mkdir -p "$DIR/run" "$DIR/state" "$DIR/home/$USER_NAME"
IMAP_PORT=$(free_port)
POP3_PORT=$(free_port)
while [[ "$POP3_PORT" == "$IMAP_PORT" ]]; do POP3_PORT=$(free_port); done

echo "$USER_NAME:{PLAIN}$PASSWORD:$MAIL_UID:$MAIL_GID::$DIR/home/$USER_NAME::" > "$DIR/passwd"
cat > "$DIR/dovecot.conf" <<CONF
# private benchmark instance; see examples/bench/dovecot-bench.sh
base_dir = $DIR/run
state_dir = $DIR/state
instance_name = mailcore-bench
log_path = $DIR/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
pop3_uidl_format = %08Xu%08Xv
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $DIR/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0600
  }
}
CONF

# ~10 KB text messages, written straight into the maildir's cur/ (already seen, no moves)
python3 - "$DIR/home/$USER_NAME/Maildir" "$MESSAGES" <<'PY'
import os, random, sys, time
root, count = sys.argv[1], int(sys.argv[2])
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
words = ["invoice", "delivery", "total", "shipment", "order", "account", "parcel"]
rnd = random.Random(42)
base = 1_700_000_000
for i in range(count):
    lines = []
    size = 0
    while size < 10_000:
        line = " ".join(rnd.choice(words) for _ in range(10)) + " "
        lines.append(line)
        size += len(line) + 2
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(base + i * 60))
    head = (f"From: ana{i % 50}@shop.example\r\nTo: bench@example.org\r\n"
            f"Subject: Order {i} shipped\r\nDate: {date}\r\n"
            f"Message-ID: <order-{i}@shop.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
    body = (head + "\r\n".join(lines) + "\r\n").replace("\r\n", "\n").encode("ascii")
    name = f"{base + i}.M{i}P1.bench,S={len(body)}:2,S"
    with open(os.path.join(root, "cur", name), "wb") as f:
        f.write(body)
PY
chown -R "$MAIL_UID:$MAIL_GID" "$DIR/home"

/usr/sbin/dovecot -c "$DIR/dovecot.conf"
stop() {
  if [[ -f "$DIR/run/master.pid" ]]; then
    kill "$(cat "$DIR/run/master.pid")" 2>/dev/null || true
  fi
}
if [[ -z "${KEEP:-}" && -z "${ONLY_SERVER:-}" ]]; then
  trap stop EXIT
fi
for _ in $(seq 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$POP3_PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
echo "Dovecot $(/usr/sbin/dovecot --version) on 127.0.0.1: IMAP $IMAP_PORT, POP3 $POP3_PORT, user $USER_NAME, $MESSAGES messages in $DIR"
if [[ -n "${ONLY_SERVER:-}" ]]; then
  exit 0
fi

mvn -q -B -o ${MVN_ARGS:-} -pl examples exec:exec -Dexec.executable=java \
  -Dexec.args="${JAVA_OPTS:--Xmx256m} -Dbench.host=127.0.0.1 -Dbench.imapPort=$IMAP_PORT -Dbench.pop3Port=$POP3_PORT -Dbench.user=$USER_NAME -Dbench.password=$PASSWORD -cp %classpath dev.mailcore.examples.bench.FetchBenchmark $MESSAGES $ROUNDS $WAN_MESSAGES $NAIVE_LIMIT $WAN_NAIVE_LIMIT"
