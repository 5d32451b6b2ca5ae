#!/usr/bin/env bash
# Builds benchmarks/target/benchmarks.jar and runs JMH with the given options, e.g.
#   benchmarks/run.sh                       every benchmark, the short defaults (1 fork, 3 x 1 s warm-up, 5 x 1 s)
#   benchmarks/run.sh ClaimBench -prof gc   one class, with allocation per operation
#   benchmarks/run.sh -h                    JMH's options
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/env.sh
pw_select_jdk
pw_mvn -B -q -pl benchmarks -am -Pjmh package -DskipTests
exec java -jar benchmarks/target/benchmarks.jar "$@"
