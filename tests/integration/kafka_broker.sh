#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft mode) for the integration
# tests, obtained from Maven Central with the machine's Maven (cached in
# ~/.m2) and run with the machine's Java 17.
#
#   kafka_broker.sh start DIR   fetch if needed, format a fresh log dir under DIR,
#                               start on free loopback ports, wait until it answers
#                               metadata requests; writes DIR/bootstrap (host:port)
#   kafka_broker.sh stop DIR    stop it and wait for the process to end
#   kafka_broker.sh resume DIR  start a stopped broker again on the same ports,
#                               keeping its data (for broker-outage tests)
set -euo pipefail

KAFKA_VERSION="${NEWSD_KAFKA_VERSION:-3.9.1}"
SLF4J_VERSION="1.7.36"
here="$(cd "$(dirname "$0")" && pwd)"

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
command="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

classpath() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/newsd/kafka-$KAFKA_VERSION"
  if [ ! -s "$cache/classpath" ]; then
    mkdir -p "$cache"
    sed -e "s/@KAFKA_VERSION@/$KAFKA_VERSION/" -e "s/@SLF4J_VERSION@/$SLF4J_VERSION/" \
      "$here/kafka-broker-pom.xml" > "$cache/pom.xml"
    if ! mvn -q -B -f "$cache/pom.xml" dependency:build-classpath \
        -Dmdep.outputFile="$cache/classpath.tmp" > "$cache/mvn.log" 2>&1; then
      echo "kafka_broker.sh: Maven could not fetch Apache Kafka $KAFKA_VERSION:" >&2
      tail -20 "$cache/mvn.log" >&2
      exit 1
    fi
    mv "$cache/classpath.tmp" "$cache/classpath"
  fi
  cat "$cache/classpath"
}

start() {
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "kafka_broker.sh: a broker already runs from $dir (pid $(cat "$dir/pid"))" >&2
    exit 1
  fi
  local cp; cp="$(classpath)"
  rm -rf "$dir/logs" "$dir/bootstrap"
  mkdir -p "$dir/logs"
  local port controller
  port="$(free_port)"; controller="$(free_port)"
  while [ "$controller" = "$port" ]; do controller="$(free_port)"; done
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/logs
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  cat > "$dir/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
                   "-Dlog4j.configuration=file:$dir/log4j.properties")
  java "${java_opts[@]}" -cp "$cp" kafka.tools.StorageTool format \
    -t "$(java -cp "$cp" "-Dlog4j.configuration=file:$dir/log4j.properties" kafka.tools.StorageTool random-uuid)" \
    -c "$dir/server.properties" > "$dir/format.log" 2>&1 || {
      echo "kafka_broker.sh: formatting the log directory failed:" >&2; cat "$dir/format.log" >&2; exit 1; }
  launch "$cp" "$port"
}

# Runs the broker of $dir/server.properties and waits until it answers
# metadata requests on $2.
launch() {
  local cp="$1" port="$2"
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
                   "-Dlog4j.configuration=file:$dir/log4j.properties")
  nohup java "${java_opts[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties" \
    >> "$dir/broker.log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
  local deadline=$((SECONDS + 90))
  until kcat -b "127.0.0.1:$port" -L -m 2 > /dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "kafka_broker.sh: the broker exited during start-up:" >&2; tail -30 "$dir/broker.log" >&2; exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "kafka_broker.sh: the broker did not answer metadata requests within 90 s" >&2
      tail -30 "$dir/broker.log" >&2; stop; exit 1
    fi
    sleep 0.5
  done
  echo "127.0.0.1:$port" > "$dir/bootstrap"
  echo "kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$port, pid $(cat "$dir/pid"), logs in $dir"
}

stop() {
  [ -f "$dir/pid" ] || { echo "kafka_broker.sh: no broker in $dir"; return 0; }
  local pid; pid="$(cat "$dir/pid")"
  if kill "$pid" 2>/dev/null; then
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
  echo "kafka broker stopped"
}

resume() {
  [ -f "$dir/server.properties" ] || { echo "kafka_broker.sh: nothing to resume in $dir" >&2; exit 1; }
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "kafka_broker.sh: the broker in $dir is running" >&2; exit 1
  fi
  local port
  port="$(sed -n 's/^advertised.listeners=PLAINTEXT:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$dir/server.properties")"
  launch "$(classpath)" "$port"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  resume) resume ;;
  *) usage ;;
esac
