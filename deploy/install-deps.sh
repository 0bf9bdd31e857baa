#!/usr/bin/env bash
# Installs what building, running and testing newsd needs on Debian 12, from
# Debian's own packages (Apache Kafka for the tests comes from Maven Central
# at test time, see tests/integration/kafka_broker.sh). Does nothing when
# everything is already there.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcurl4-openssl-dev zlib1g-dev libssl-dev libpugixml-dev librdkafka-dev libspdlog-dev
  libtomlplusplus-dev libgumbo-dev libxml2-dev libicu-dev libuchardet-dev liblmdb-dev libcld2-dev libgtest-dev
  # tests: kcat as the independent consumer, Java 17 and Maven for the broker
  python3 python3-jsonschema kcat maven openjdk-17-jre-headless
  # tests: an HTTP/2 server (nghttpd) and openssl for its throw-away certificate
  nghttp2-server openssl
  # tests: the examples/postgres consumer (Kafka and PostgreSQL clients for Debian's python3)
  # and the PostgreSQL server the test runs in a temporary directory
  python3-confluent-kafka python3-psycopg2 postgresql
  # benchmark peers
  python3-feedparser python3-readability
  # operations: systemd-analyze (unit check), dpkg-dev (the .deb's dependencies),
  # headless Chromium and a font for the status page screenshot, curl
  systemd dpkg-dev chromium fonts-dejavu-core curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
