# Shared by bin/*, benchmarks/run.sh and .ci/run: pick a JDK >= 21, run Maven, make sure RabbitMQ and
# Redis answer. Source it (bash); it defines pw_select_jdk, pw_mvn and pw_services_up.

# The checkout this file belongs to.
PW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

pw_java_major() {
  "$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}

pw_select_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(pw_java_major "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    export PATH="$JAVA_HOME/bin:$PATH"
    pw_quiet_maven
    return 0
  fi
  local best="" best_major=0 dir major
  for dir in /usr/lib/jvm/* /opt/java/* /usr/local/java/*; do
    [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ] || continue
    major=$(pw_java_major "$dir")
    if [ -n "$major" ] && [ "$major" -ge 21 ] 2>/dev/null && [ "$major" -gt "$best_major" ]; then
      best="$dir"; best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    local sys
    sys=$(command -v javac 2>/dev/null) && sys=$(dirname "$(dirname "$(readlink -f "$sys")")") \
      && [ "$(pw_java_major "$sys")" -ge 21 ] 2>/dev/null && best="$sys"
  fi
  if [ -z "$best" ]; then
    echo "pipewright: no JDK 21 or newer found (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
    return 1
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
  pw_quiet_maven
}

# Maven's own libraries use sun.misc.Unsafe, which JDK 24+ warns about on every run.
pw_quiet_maven() {
  if [ "$(pw_java_major "$JAVA_HOME")" -ge 24 ] 2>/dev/null; then
    case "${MAVEN_OPTS:-}" in
      *sun-misc-unsafe-memory-access*) ;;
      *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
    esac
  fi
}

# The Maven that builds the checkout: its wrapper, mvnw (it downloads the Maven version named in
# .mvn/wrapper/maven-wrapper.properties into ~/.m2/wrapper on its first run, so a JDK is all a machine
# needs), else mvn on PATH. pw_mvn_bin prints its path, pw_mvn_name what to tell people, pw_mvn runs it.
pw_mvn_bin() {
  if [ -x "$PW_ROOT/mvnw" ]; then
    echo "$PW_ROOT/mvnw"
  elif command -v mvn >/dev/null 2>&1; then
    echo mvn
  else
    echo "pipewright: no Maven: $PW_ROOT/mvnw is missing and mvn is not on PATH" >&2
    return 127
  fi
}

pw_mvn_name() {
  if [ -x "$PW_ROOT/mvnw" ]; then echo ./mvnw; else echo mvn; fi
}

pw_mvn() {
  local mvn
  mvn=$(pw_mvn_bin) || return
  "$mvn" "$@"
}

pw_port_open() {
  # the subshell owns the descriptor, so nothing leaks into the caller's shell
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Starts the machine's RabbitMQ and Redis when nothing answers on their ports (only for the
# default localhost URIs; with PW_RABBITMQ_URI / PW_REDIS_URI set we just check them).
pw_services_up() {
  if [ -z "${PW_REDIS_URI:-}" ] && ! pw_port_open 127.0.0.1 6379; then
    echo "pipewright: starting redis-server on 127.0.0.1:6379" >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  fi
  if [ -z "${PW_RABBITMQ_URI:-}" ] && ! pw_port_open 127.0.0.1 5672; then
    echo "pipewright: starting rabbitmq-server on 127.0.0.1:5672" >&2
    rabbitmq-server -detached >/dev/null 2>&1 || true
  fi
  local i
  for i in $(seq 1 60); do
    if { [ -n "${PW_REDIS_URI:-}" ] || pw_port_open 127.0.0.1 6379; } && { [ -n "${PW_RABBITMQ_URI:-}" ] || pw_port_open 127.0.0.1 5672; }; then
      if [ -z "${PW_RABBITMQ_URI:-}" ] && command -v rabbitmqctl >/dev/null; then
        rabbitmqctl await_startup >/dev/null 2>&1 || true
      fi
      return 0
    fi
    sleep 1
  done
  echo "pipewright: RabbitMQ (127.0.0.1:5672) or Redis (127.0.0.1:6379) did not come up; start them and try again" >&2
  return 1
}
