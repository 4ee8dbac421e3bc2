#!/usr/bin/env bash
# A three-broker KRaft cluster on loopback, each broker its own JVM started by Kafka's own main class
# (kafka.Kafka, as kafka-server-start.sh does) from the service's shaded jar, for trying
# `LoadTest --bootstrap-servers` on a replicated cluster where no other cluster is at hand.
#
#   ./three-broker-cluster.sh DIR      formats DIR/broker-{1,2,3} on free ports, starts the brokers,
#                                      prints "bootstrap: H:P,H:P,H:P" and waits; Ctrl-C stops them
set -euo pipefail
dir=${1:?usage: three-broker-cluster.sh DIR}
jar=$(cd "$(dirname "$0")/.." && pwd)/service/target/hindsight.jar
[[ -f $jar ]] || { echo "no $jar: run mvn -B -q install -DskipTests in the repository root" >&2; exit 2; }
mkdir -p "$dir"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -a broker controller
for i in 1 2 3; do broker[$i]=$(free_port); controller[$i]=$(free_port); done
voters="1@127.0.0.1:${controller[1]},2@127.0.0.1:${controller[2]},3@127.0.0.1:${controller[3]}"
cluster_id=$(java -cp "$jar" kafka.tools.StorageTool random-uuid)

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for i in 1 2 3; do
  cat >"$dir/broker-$i.properties" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:${broker[$i]},CONTROLLER://127.0.0.1:${controller[$i]}
advertised.listeners=PLAINTEXT://127.0.0.1:${broker[$i]}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/broker-$i
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
group.initial.rebalance.delay.ms=0
EOF
  java -cp "$jar" kafka.tools.StorageTool format --config "$dir/broker-$i.properties" \
    --cluster-id "$cluster_id" --ignore-formatted >/dev/null
  java -Xmx512m -cp "$jar" kafka.Kafka "$dir/broker-$i.properties" >"$dir/broker-$i.log" 2>&1 &
  pids+=($!)
done
echo "bootstrap: 127.0.0.1:${broker[1]},127.0.0.1:${broker[2]},127.0.0.1:${broker[3]}"
wait
