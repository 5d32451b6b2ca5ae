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
  # the subshell owns the descriptor, so nothing leaks into the caller's shell; another host gets
  # 5 s to answer (a connection to this machine is refused at once)
  if ! pw_is_this_machine "$1" && command -v timeout >/dev/null 2>&1; then
    timeout 5 bash -c '(exec 3<>"/dev/tcp/$0/$1") 2>/dev/null' "$1" "$2"
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

# Prints "host port" of service $1 (rabbitmq or redis): from PW_RABBITMQ_URI / PW_REDIS_URI
# (scheme://[user[:password]@]host[:port][/path]), else 127.0.0.1 and the default port.
pw_service_addr() {
  local uri port rest host
  if [ "$1" = rabbitmq ]; then
    uri=${PW_RABBITMQ_URI:-amqp://127.0.0.1:5672}
    case "$uri" in amqps://*) port=5671 ;; *) port=5672 ;; esac
  else
    uri=${PW_REDIS_URI:-redis://127.0.0.1:6379}
    port=6379
  fi
  rest=${uri#*://}; rest=${rest%%/*}; rest=${rest%%\?*}; rest=${rest##*@}
  case "$rest" in
    \[*\]:*) host=${rest%%\]:*}; host=${host#\[}; port=${rest##*\]:} ;;
    \[*\]) host=${rest#\[}; host=${host%\]} ;;
    *:*) host=${rest%%:*}; port=${rest##*:} ;;
    *) host=$rest ;;
  esac
  echo "${host:-127.0.0.1} $port"
}

pw_service_title() { if [ "$1" = rabbitmq ]; then echo RabbitMQ; else echo Redis; fi; }
# the program, which is also the Debian/Ubuntu package's name
pw_service_bin() { echo "$1-server"; }

# The command that starts service $1 on port $2 of this machine (the README's), as text; $3 = "sudo " or "".
# RabbitMQ's Debian package lets only root (or its own user) start it.
pw_service_start_text() {
  if [ "$1" = redis ]; then
    echo "redis-server --daemonize yes --bind 127.0.0.1 --port $2 --save \"\" --appendonly no"
  elif [ "$2" = 5672 ]; then
    echo "${3}rabbitmq-server -detached"
  else
    echo "${3}env RABBITMQ_NODE_PORT=$2 rabbitmq-server -detached"
  fi
}

# Starts service $1 on port $2 of this machine; $3 = sudo to start RabbitMQ through sudo.
pw_service_start() {
  echo "pipewright: starting $(pw_service_bin "$1") on 127.0.0.1:$2" >&2
  if [ "$1" = redis ]; then
    redis-server --daemonize yes --bind 127.0.0.1 --port "$2" --save "" --appendonly no >/dev/null
  elif [ -n "${3:-}" ]; then
    sudo env RABBITMQ_NODE_PORT="$2" rabbitmq-server -detached >/dev/null 2>&1
  else
    RABBITMQ_NODE_PORT="$2" rabbitmq-server -detached >/dev/null 2>&1
  fi
}

pw_is_this_machine() {
  case "$1" in 127.*|localhost) return 0 ;; *) return 1 ;; esac
}

# pw_services_up [--install]: makes sure RabbitMQ and Redis answer, at PW_RABBITMQ_URI and PW_REDIS_URI,
# else on 127.0.0.1:5672 and 127.0.0.1:6379. While both answer it does nothing at all. One that does not
# answer on this machine is started (pw_service_start_text) when its program is on PATH. When it is not
# installed, --install (bin/quickstart) installs it with apt-get, as root or through sudo when sudo needs no
# password, and starts it. Otherwise it prints the commands to run and returns 1; so does a service on
# another host that does not answer.
pw_services_up() {
  local install=no s host port title
  [ "${1:-}" = --install ] && install=yes
  local down=() missing=()
  for s in rabbitmq redis; do
    read -r host port <<< "$(pw_service_addr "$s")"
    pw_port_open "$host" "$port" && continue
    title=$(pw_service_title "$s")
    if ! pw_is_this_machine "$host"; then
      echo "pipewright: $title does not answer on $host:$port (from $( [ "$s" = rabbitmq ] && echo PW_RABBITMQ_URI || echo PW_REDIS_URI )); start it there, or point the variable at one that runs" >&2
      return 1
    fi
    down+=("$s")
    command -v "$(pw_service_bin "$s")" >/dev/null 2>&1 || missing+=("$s")
  done
  [ ${#down[@]} -eq 0 ] && return 0

  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo "
  if [ ${#missing[@]} -gt 0 ]; then
    local pkgs=() what=() why=""
    for s in "${missing[@]}"; do
      read -r host port <<< "$(pw_service_addr "$s")"
      pkgs+=("$(pw_service_bin "$s")")
      what+=("$(pw_service_title "$s") ($host:$port)")
    done
    if [ $install = no ]; then
      why="install and start"
    elif ! command -v apt-get >/dev/null 2>&1; then
      why="apt-get is not available here; install and start"
    elif [ -n "$sudo" ] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
      why="installing needs root, or sudo without a password; install and start"
    fi
    if [ -n "$why" ]; then
      {
        if [ ${#missing[@]} -eq 1 ]; then
          echo "pipewright: ${what[0]} does not answer, and ${pkgs[0]} is not installed (not on PATH)."
        else
          echo "pipewright: ${what[0]} and ${what[1]} do not answer, and ${pkgs[0]} and ${pkgs[1]} are not installed (not on PATH)."
        fi
        echo "pipewright: $why $( [ ${#missing[@]} -eq 1 ] && echo it || echo them ), then try again:"
        echo "  ${sudo}apt-get install -y ${pkgs[*]}"
        for s in "${missing[@]}"; do
          read -r host port <<< "$(pw_service_addr "$s")"
          echo "  $(pw_service_start_text "$s" "$port" "$sudo")"
        done
        echo "(Debian and Ubuntu packages; elsewhere install RabbitMQ and Redis with the system's package manager,"
        echo "e.g. \`brew install rabbitmq redis\`, and start them as above. Or set PW_RABBITMQ_URI and PW_REDIS_URI"
        echo "to ones that run.)"
      } >&2
      return 1
    fi
    echo "pipewright: ${pkgs[*]} not installed; installing: ${sudo}apt-get install -y ${pkgs[*]}" >&2
    # a fresh system may have no package lists yet
    ${sudo:+sudo} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >&2 \
      || { ${sudo:+sudo} apt-get update -q >&2 && ${sudo:+sudo} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >&2; } \
      || { echo "pipewright: apt-get could not install ${pkgs[*]}" >&2; return 1; }
  fi

  # a package may start its service itself: start only what still does not answer
  local started=()
  for s in "${down[@]}"; do
    read -r host port <<< "$(pw_service_addr "$s")"
    pw_port_open "$host" "$port" && continue
    local via=""
    case " ${missing[*]-} " in *" $s "*) [ "$s" = rabbitmq ] && via=$sudo ;; esac
    # sudo finds rabbitmq-server in /usr/sbin (its secure_path) where a user's PATH may not
    if [ -z "$via" ] && ! command -v "$(pw_service_bin "$s")" >/dev/null 2>&1; then
      echo "pipewright: $(pw_service_bin "$s") is installed but not on PATH; start it: $(pw_service_start_text "$s" "$port" "$sudo")" >&2
      return 1
    fi
    local rc=0
    pw_service_start "$s" "$port" "${via:+sudo}" || rc=$?
    # a RabbitMQ node that is still booting (its port not open yet) makes the start fail: wait for it
    if [ $rc -ne 0 ] && { [ "$s" = redis ] || [ $rc -ge 126 ]; }; then
      echo "pipewright: could not start $(pw_service_title "$s") (exit $rc): $(pw_service_start_text "$s" "$port" "$via")" >&2
      return 1
    fi
    started+=("$s")
  done
  local i all
  for i in $(seq 1 60); do
    all=yes
    for s in "${down[@]}"; do
      read -r host port <<< "$(pw_service_addr "$s")"
      pw_port_open "$host" "$port" || all=no
    done
    if [ $all = yes ]; then
      case " ${started[*]-} " in
        *" rabbitmq "*) if command -v rabbitmqctl >/dev/null; then rabbitmqctl await_startup >/dev/null 2>&1 || true; fi ;;
      esac
      return 0
    fi
    sleep 1
  done
  echo "pipewright: $(for s in "${down[@]}"; do read -r host port <<< "$(pw_service_addr "$s")"; printf '%s (%s:%s) ' "$(pw_service_title "$s")" "$host" "$port"; done)did not come up within 60 s; start them and try again" >&2
  return 1
}
